"""Background tasks for follow and author emails: thin wrappers that take a
response id and call one function in ``notify``.

They run in ``firsthand worker`` (django-tasks on the database backend), never
inside a request; tests run them at once with the immediate backend. Each email
is sent through ``mail.send_once``, so a job that runs twice sends nothing twice.
"""

from __future__ import annotations

from firsthand.compat import task
from firsthand.conversation import notify, signals
from firsthand.conversation.models import Response


@task()
def request_confirmation_task(response_id: int) -> int:
    return notify.request_confirmation(response_id)


@task()
def published_task(response_id: int) -> int:
    """What a response's first appearance sets off, in one job (one task row per
    response, whatever reacts to it): the post's author hears of it (once per
    response: not again if they heard while it was held), its author's follows are
    asked to confirm, the followers hear of it, and then the rooms above do their
    part (``signals.response_appeared``: the WebSub push). Each step runs even if
    one before it fails; the first failure is raised at the end."""
    sent = 0
    failure: Exception | None = None
    for step in (_author_count, notify.request_confirmation, notify.notify_followers):
        try:
            sent += step(response_id)
        except Exception as error:  # the next steps still run
            failure = failure or error
    for _receiver, outcome in signals.response_appeared.send_robust(
        sender=Response, response_id=response_id
    ):
        if isinstance(outcome, Exception):
            failure = failure or outcome
    if failure is not None:
        raise failure
    return sent


def _author_count(response_id: int) -> int:
    return int(notify.notify_author(response_id))


@task()
def notify_author_task(response_id: int) -> bool:
    return notify.notify_author(response_id)
