"""Background tasks for follow and author emails: thin wrappers that take a
response id and call one function in ``notify``.

They run in ``firsthand worker`` (django-tasks on the database backend), never
inside a request; tests run them at once with the immediate backend. Each email
is sent through ``mail.send_once``, so a job that runs twice sends nothing twice.

A mail server that cannot be reached or answers 4xx is asked again later, after
``MAIL_BACKOFF`` (1 min, 5 min, 30 min, 2 h); the failed attempt is a FAILED job
row with its reason, the retry a READY row with a later ``run_after`` (the
pattern of ``crosstalk.tasks``). After ``MAIL_ATTEMPTS``, or on a 5xx answer,
the email is given up: logged as an error, and the job FAILED saying so.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any, NoReturn

from django.utils import timezone

from firsthand.compat import task
from firsthand.conversation import mail, notify, signals
from firsthand.conversation.models import Response

logger = logging.getLogger(__name__)

MAIL_BACKOFF = (60, 5 * 60, 30 * 60, 2 * 3600)
MAIL_ATTEMPTS = len(MAIL_BACKOFF) + 1


class MailFailed(Exception):
    """Raised after a failed attempt is recorded (and its retry scheduled), so the
    job row shows FAILED with the reason."""


@task()
def request_confirmation_task(response_id: int, attempt: int = 1) -> int:
    try:
        return notify.request_confirmation(response_id)
    except Exception as error:
        _mail_failed(request_confirmation_task, response_id, attempt, error)


@task()
def published_task(response_id: int) -> int:
    """What a response's first appearance sets off, in one job (one task row per
    response, whatever reacts to it): the post's author hears of it (once per
    response: not again if they heard while it was held), its author's follows are
    asked to confirm, the followers hear of it, and then the rooms above do their
    part (``signals.response_appeared``: the WebSub push). Each step runs even if
    one before it fails; the first failure is raised at the end. A failed email
    is retried by ``published_mail_task``, never by running the push again."""
    sent, mail_failure = _mail_steps(response_id)
    failure: Exception | None = None
    for _receiver, outcome in signals.response_appeared.send_robust(
        sender=Response, response_id=response_id
    ):
        if isinstance(outcome, Exception):
            failure = failure or outcome
    if mail_failure is not None:
        if failure is not None:
            logger.error("After response %s appeared: %s", response_id, failure)
        _mail_failed(published_mail_task, response_id, 1, mail_failure)
    if failure is not None:
        raise failure
    return sent


@task()
def published_mail_task(response_id: int, attempt: int = 2) -> int:
    """The emails of ``published_task`` again, after a failed attempt."""
    sent, failure = _mail_steps(response_id)
    if failure is not None:
        _mail_failed(published_mail_task, response_id, attempt, failure)
    return sent


def _mail_steps(response_id: int) -> tuple[int, Exception | None]:
    sent = 0
    failure: Exception | None = None
    for step in (_author_count, notify.request_confirmation, notify.notify_followers):
        try:
            sent += step(response_id)
        except Exception as error:  # the next steps still run
            failure = failure or error
    return sent, failure


def _author_count(response_id: int) -> int:
    return int(notify.notify_author(response_id))


@task()
def notify_author_task(response_id: int, attempt: int = 1) -> bool:
    try:
        return notify.notify_author(response_id)
    except Exception as error:
        _mail_failed(notify_author_task, response_id, attempt, error)


def _mail_failed(
    again: Any, response_id: int, attempt: int, error: Exception
) -> NoReturn:
    retry_mail(again, (response_id,), attempt, error, about=f"response {response_id}")


def retry_mail(
    again: Any, args: tuple[Any, ...], attempt: int, error: Exception, *, about: str
) -> NoReturn:
    """Schedule ``again(*args, attempt + 1)`` if the failure is worth another try;
    raise either way (the job row shows FAILED with the reason). ``about`` names
    what the email was about in the log (never an address)."""
    if (
        mail.is_transient(error)
        and attempt < MAIL_ATTEMPTS
        and again.get_backend().supports_defer
    ):
        wait = MAIL_BACKOFF[attempt - 1]
        when = timezone.now() + datetime.timedelta(seconds=wait)
        again.using(run_after=when).enqueue(*args, attempt + 1)
        logger.warning(
            "Email about %s failed (attempt %d of %d): %s; again in %d s",
            about,
            attempt,
            MAIL_ATTEMPTS,
            error,
            wait,
        )
        raise MailFailed(
            f"attempt {attempt} of {MAIL_ATTEMPTS}: {error!r}; trying again at "
            f"{when:%Y-%m-%d %H:%M:%S} UTC"
        ) from error
    logger.error(
        "Gave up an email about %s after %d attempt(s): %r", about, attempt, error
    )
    raise MailFailed(f"gave up after {attempt} attempt(s): {error!r}") from error
