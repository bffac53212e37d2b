"""What crosstalk does when blog announces a post: queue its mentions.

The signals are sent after the writer's transaction commits, with ids only; each
receiver enqueues one task with that id and nothing more (the task compares the
post's links with what was sent before, in the worker).
"""

from __future__ import annotations

from typing import Any

from firsthand.crosstalk import tasks_outbound


def post_published(sender: object, *, post_id: int, **kwargs: Any) -> None:
    tasks_outbound.send_post_mentions_task.enqueue(post_id)


def post_edited(sender: object, *, post_id: int, **kwargs: Any) -> None:
    # Webmention section 3.3.1: after an update, re-send (removed links included).
    tasks_outbound.send_post_mentions_task.enqueue(post_id)
