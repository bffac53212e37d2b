"""Background tasks for follow and author emails: thin wrappers that take a
response id and call one function in ``notify``.

They run in ``firsthand worker`` (django-tasks on the database backend), never
inside a request; tests run them at once with the immediate backend. Each email
is sent through ``mail.send_once``, so a job that runs twice sends nothing twice.
"""

from __future__ import annotations

from firsthand.compat import task
from firsthand.conversation import notify


@task()
def request_confirmation_task(response_id: int) -> int:
    return notify.request_confirmation(response_id)


@task()
def notify_followers_task(response_id: int) -> int:
    return notify.notify_followers(response_id)


@task()
def published_task(response_id: int) -> int:
    """What a response's first appearance sets off, in one job (one task row per
    response, not two): its author's follows are asked to confirm, then the
    followers hear of it. The second runs even if the first fails."""
    try:
        sent = notify.request_confirmation(response_id)
    finally:
        sent_to_followers = notify.notify_followers(response_id)
    return sent + sent_to_followers


@task()
def notify_author_task(response_id: int) -> bool:
    return notify.notify_author(response_id)
