"""What syndication does when the rooms below announce something: the push.

The signals carry ids only. Blog sends ``post_published`` after the commit; its
receiver enqueues one task and nothing more (the task decides which feeds
changed, in the worker). For responses, conversation's own job per published
response sends ``response_appeared`` in the worker, and the push's first step runs
right there: no task row of syndication's own for each new comment.
"""

from __future__ import annotations

import datetime
from typing import Any

from firsthand.syndication import tasks


def post_published(sender: object, *, post_id: int, **kwargs: Any) -> None:
    tasks.publish_post_task.enqueue(post_id)


def response_appeared(sender: object, *, response_id: int, **kwargs: Any) -> None:
    """In the worker, from conversation's one job per published response: which
    feeds changed, and a delivery job per subscriber of them."""
    tasks.publish_response(response_id)


def post_scheduled(
    sender: object, *, post_id: int, at: datetime.datetime, **kwargs: Any
) -> None:
    """Push the feeds when a scheduled post appears (the task finds nothing to push
    if it is not public by then)."""
    task = tasks.publish_post_task
    if task.get_backend().supports_defer:
        task.using(run_after=at).enqueue(post_id)
