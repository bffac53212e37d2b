"""What conversation's emails do when a response is stored or published: queue
the task. The signals are sent inside the writer's transaction, with ids only;
each receiver enqueues tasks with those ids and nothing more, so the task rows
commit with the response (the task reads the response again and decides, in the
worker).
"""

from __future__ import annotations

from typing import Any

from firsthand.conversation import tasks
from firsthand.conversation.models import Response


def response_stored(
    sender: object, *, response_id: int, post_id: int, status: str, **kwargs: Any
) -> None:
    # The post's author hears of what waits for them now; of what readers see,
    # from the job its first appearance queues (response_published). Spam is
    # reviewed in the queue, not announced by email.
    if status == Response.Status.PENDING:
        tasks.notify_author_task.enqueue(response_id)


def response_published(
    sender: object, *, response_id: int, post_id: int, **kwargs: Any
) -> None:
    # Only now may the address a response gave be asked to confirm its follows;
    # and only now do followers (and, for what was not held, the author) hear of it.
    tasks.published_task.enqueue(response_id)
