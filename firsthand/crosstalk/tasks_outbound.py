"""Background tasks for sending Webmentions and pingbacks: thin wrappers that take
ids, call one workflow in ``send`` and schedule what follows (one job per target,
retries with backoff).

They run in ``firsthand worker`` (django-tasks on the database backend); a failed
attempt is a FAILED job row with its reason, its retry a READY row with a later
``run_after``. The ``Outbound`` row keeps the outcome per target either way.
"""

from __future__ import annotations

import datetime
import logging

from firsthand.blog.models import Post
from firsthand.compat import task
from firsthand.crosstalk import send
from firsthand.crosstalk.fetch import fetching_for

logger = logging.getLogger(__name__)


class SendFailed(Exception):
    """Raised after a failed attempt is recorded (and its retry scheduled), so the
    job row shows FAILED with the reason."""


@task()
def send_post_mentions_task(post_id: int) -> int:
    """Plan a published or edited post's mentions: one job per target to tell."""
    post = Post.everything.filter(pk=post_id).first()
    if post is None:
        return 0
    jobs = send.plan(post)
    for job in jobs:
        send_mention_task.enqueue(job.outbound_id, job.attempt)
    return len(jobs)


@task()
def send_mention_task(outbound_id: int, attempt: int = 1) -> str:
    with fetching_for(f"sending mention {outbound_id}"):
        outcome = send.send_one(outbound_id, attempt)
    if outcome.retry_at is not None:
        _retry_later(outbound_id, attempt + 1, outcome.retry_at)
    if outcome.error:
        raise SendFailed(f"attempt {attempt}: {outcome.error} ({outcome.result})")
    return outcome.result


def _retry_later(outbound_id: int, attempt: int, when: datetime.datetime) -> None:
    if not send_mention_task.get_backend().supports_defer:
        # The immediate backend (tests, or a site run without a worker) cannot hold
        # work for later: the row stays pending and the post's next edit re-plans it.
        logger.warning(
            "Mention %s not retried: the task backend cannot run work later",
            outbound_id,
        )
        return
    send_mention_task.using(run_after=when).enqueue(outbound_id, attempt)
