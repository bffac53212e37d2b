"""What crosstalk does when blog announces a post: queue its mentions.

The signals are sent after the writer's transaction commits, with ids only; each
receiver enqueues one task with that id and nothing more (the task compares the
post's links with what was sent before, in the worker).
"""

from __future__ import annotations

import datetime
from typing import Any

from firsthand.crosstalk import tasks_outbound


def post_published(sender: object, *, post_id: int, **kwargs: Any) -> None:
    tasks_outbound.send_post_mentions_task.enqueue(post_id)


def post_edited(sender: object, *, post_id: int, **kwargs: Any) -> None:
    # Webmention section 3.3.1: after an update, re-send (removed links included).
    tasks_outbound.send_post_mentions_task.enqueue(post_id)


def post_scheduled(
    sender: object, *, post_id: int, at: datetime.datetime, **kwargs: Any
) -> None:
    """A post that appears later sends its mentions then (the task checks that it
    is public by that time, so a post unscheduled meanwhile sends nothing)."""
    task = tasks_outbound.send_post_mentions_task
    if task.get_backend().supports_defer:
        task.using(run_after=at).enqueue(post_id)
