"""What syndication does when the rooms below announce something: queue the push.

The signals carry ids only (conversation sends its own inside the writer's
transaction, so the task row commits with the response; blog sends after the
commit); each receiver enqueues one task with those ids and nothing more (the
task decides which feeds changed, in the worker).
"""

from __future__ import annotations

import datetime
from typing import Any

from firsthand.syndication import tasks


def post_published(sender: object, *, post_id: int, **kwargs: Any) -> None:
    tasks.publish_post_task.enqueue(post_id)


def response_published(
    sender: object, *, response_id: int, post_id: int, **kwargs: Any
) -> None:
    tasks.publish_response_task.enqueue(response_id)


def post_scheduled(
    sender: object, *, post_id: int, at: datetime.datetime, **kwargs: Any
) -> None:
    """Push the feeds when a scheduled post appears (the task finds nothing to push
    if it is not public by then)."""
    task = tasks.publish_post_task
    if task.get_backend().supports_defer:
        task.using(run_after=at).enqueue(post_id)
