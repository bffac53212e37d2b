"""Background tasks for the WebSub hub: thin wrappers that take ids and strings,
call one function in ``push`` and schedule what follows (fan-out, retries).

They run in ``firsthand worker`` (django-tasks on the database backend). Jobs are
rows in ``django_tasks_db``'s table with a status; a failed attempt is a FAILED row
with its reason, and its retry a READY row with a later ``run_after``.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from firsthand.compat import task
from firsthand.crosstalk.fetch import fetching_for
from firsthand.syndication import push

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """Raised after a failed delivery attempt is recorded (and its retry scheduled),
    so the job row shows FAILED with the reason."""


@task()
def verify_subscription_task(subscription_id: int) -> str:
    with fetching_for(f"verifying WebSub subscription {subscription_id}"):
        return push.verify(subscription_id)


@task()
def deliver_task(subscription_id: int, topic_path: str, attempt: int = 1) -> str:
    with fetching_for(f"WebSub delivery to subscription {subscription_id}"):
        outcome = push.deliver(subscription_id, topic_path, attempt)
    if outcome.retry_at is not None:
        _retry_later(subscription_id, topic_path, attempt + 1, outcome.retry_at)
    if outcome.error:
        raise DeliveryFailed(f"attempt {attempt}: {outcome.error} ({outcome.result})")
    return outcome.result


@task()
def publish_topics_task(topic_paths: list[str]) -> int:
    """Push these feeds to their subscribers: one delivery job per subscriber."""
    return _fan_out(topic_paths)


@task()
def publish_post_task(post_id: int) -> int:
    return _fan_out(push.topics_for_post(post_id))


def publish_response(response_id: int) -> int:
    """The feeds a published response changed, and a delivery job for each of
    their subscribers (called in the worker: see receivers.response_appeared)."""
    return _fan_out(push.topics_for_response(response_id))


@task()
def publish_response_task(response_id: int) -> int:
    """Nothing queues this any more; it stays so that jobs queued before the
    upgrade still run."""
    return publish_response(response_id)


def _fan_out(topic_paths: Iterable[str]) -> int:
    targets = push.subscribers_of(topic_paths)
    for subscription_id, topic_path in targets:
        deliver_task.enqueue(subscription_id, topic_path, 1)
    return len(targets)


def _retry_later(
    subscription_id: int, topic_path: str, attempt: int, when: datetime.datetime
) -> None:
    if not deliver_task.get_backend().supports_defer:
        # The immediate backend (tests, or a site configured without a worker) cannot
        # hold work for later; the next publication tries this subscriber again.
        logger.warning(
            "WebSub delivery to subscription %s not retried: the task backend "
            "cannot run work later",
            subscription_id,
        )
        return
    deliver_task.using(run_after=when).enqueue(subscription_id, topic_path, attempt)
