"""Sending one email as often as it should go: once per key, at least once.

Every email Firsthand sends is about something (a reply, a confirmation, a
privacy request) and has a key naming it. ``send_once`` records the key as
*pending* (committed: no write lock is held during SMTP), talks to the mail
server, then marks it sent. A job that runs again finds the key and sends
nothing twice; a failed send forgets the key, so the job's retry sends it.

The one window left: a worker killed after the mail server accepted the message
and before "sent" was committed. The same job, run again when its lease ends
(firsthand/jobs/leases.py), finds its own pending key and sends again, with the
same Message-ID (made from the key): at least once, never lost, and a duplicate
a mail system or reader can recognise (docs/deployment.md, Background jobs).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from firsthand.conversation.models import SentEmail
from firsthand.jobs import leases
from firsthand.site import site_url

logger = logging.getLogger(__name__)


class MailInFlight(Exception):
    """Another job is sending this email right now: try again later."""


def one_line(text: str, limit: int = 150) -> str:
    """A value safe in an email header: one line, no control characters."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def message(
    to: str,
    subject: str,
    body: str,
    *,
    unsubscribe_url: str = "",
) -> EmailMessage:
    """A plain-text email; with ``unsubscribe_url``, RFC 8058 one-click headers."""
    headers: dict[str, str] = {"Auto-Submitted": "auto-generated"}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return EmailMessage(
        subject=one_line(subject),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )


def message_id(key: str) -> str:
    """The same Message-ID (RFC 5322 section 3.6.4) every time for one key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = urlsplit(site_url()).hostname or "localhost"
    return f"<{digest}.firsthand@{domain}>"


def is_transient(error: BaseException) -> bool:
    """Worth trying again later: the mail server was unreachable, dropped the
    connection or answered 4xx (RFC 5321 section 4.2.1); 5xx is final."""
    if isinstance(error, MailInFlight):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    # Refused, reset, timed out, disconnected (SMTPException is an OSError).
    return isinstance(error, OSError)


def send_once(key: str, email: EmailMessage) -> bool:
    """Send ``email`` unless one with ``key`` went out before; True if sent now."""
    key = key[:300]
    job = leases.current_job()
    email.extra_headers["Message-ID"] = message_id(key)
    if not _claim(key, job):
        return False
    try:
        email.send()
    except Exception:
        SentEmail.objects.filter(key=key, pending=True, job=job).delete()
        raise
    SentEmail.objects.filter(key=key, pending=True).update(
        pending=False, sent_at=timezone.now()
    )
    return True


def _claim(key: str, job: str) -> bool:
    """Take the key to send it: True, or False if it was sent; ``MailInFlight``
    if another live job is sending it now."""
    now = timezone.now()
    try:
        with transaction.atomic():
            SentEmail.objects.create(key=key, pending=True, job=job, sent_at=now)
        return True
    except IntegrityError:
        pass
    earlier = SentEmail.objects.filter(key=key).first()
    if earlier is None:  # a failed attempt just forgot it
        raise MailInFlight(f"{key}: another attempt just failed")
    if not earlier.pending:
        return False
    # Its own key: this job ran before and its worker died mid-send (a lease
    # guarantees that run is over). Someone else's: take it only once that
    # attempt must be over (a lease and a full SMTP timeout later).
    ours = bool(job) and earlier.job == job
    limit = leases.lease() + datetime.timedelta(seconds=settings.EMAIL_TIMEOUT or 60)
    if not ours and earlier.sent_at > now - limit:
        raise MailInFlight(f"{key} is being sent by job {earlier.job or '(none)'}")
    taken = SentEmail.objects.filter(
        pk=earlier.pk, pending=True, job=earlier.job, sent_at=earlier.sent_at
    ).update(job=job, sent_at=now)
    if not taken:
        raise MailInFlight(f"{key} was taken by another attempt")
    logger.warning(
        "Sending %s again (same Message-ID): an earlier attempt stopped before "
        "it was recorded as sent",
        key,
    )
    return True
