"""Background tasks for received pings: thin wrappers over ``verify``.

They run in ``firsthand worker`` (django-tasks on the database backend). A failed
attempt is a FAILED job row with its reason, and its retry a READY row with a
later ``run_after`` (the pattern of ``syndication.tasks``).
"""

from __future__ import annotations

import datetime
import logging

from firsthand.compat import task
from firsthand.crosstalk import verify
from firsthand.crosstalk.fetch import fetching_for

logger = logging.getLogger(__name__)


class VerificationFailed(Exception):
    """Raised after a failed attempt is recorded (and its retry scheduled), so the
    job row shows FAILED with the reason."""


@task()
def verify_inbound_task(inbound_id: int, attempt: int = 1) -> str:
    with fetching_for(f"verifying received ping {inbound_id}"):
        outcome = verify.verify(inbound_id, attempt)
    if outcome.retry_at is not None:
        _retry_later(inbound_id, attempt + 1, outcome.retry_at, outcome.error)
    if outcome.error:
        raise VerificationFailed(f"attempt {attempt}: {outcome.error}")
    return outcome.result


def _retry_later(
    inbound_id: int, attempt: int, when: datetime.datetime, error: str
) -> None:
    if not verify_inbound_task.get_backend().supports_defer:
        # The immediate backend (tests, or a site configured without a worker)
        # cannot hold work for later: the ping fails now, visibly.
        logger.warning("Ping %s not retried: the task backend cannot defer", inbound_id)
        verify.give_up(inbound_id, f"not retried (no worker to wait): {error}")
        return
    verify_inbound_task.using(run_after=when).enqueue(inbound_id, attempt)
