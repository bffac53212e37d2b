"""What syndication does when the rooms below announce something: queue the push.

The signals are sent after the writer's transaction commits, with ids only; each
receiver enqueues one task with those ids and nothing more (the task decides which
feeds changed, in the worker).
"""

from __future__ import annotations

from typing import Any

from firsthand.syndication import tasks


def post_published(sender: object, *, post_id: int, **kwargs: Any) -> None:
    tasks.publish_post_task.enqueue(post_id)


def response_published(
    sender: object, *, response_id: int, post_id: int, **kwargs: Any
) -> None:
    tasks.publish_response_task.enqueue(response_id)
