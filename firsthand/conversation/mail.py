"""Sending one email exactly as often as it should go: at most once per key.

Every email Firsthand sends is about something (a reply, a confirmation, a
privacy request) and has a key naming it. ``send_once`` records the key before
sending and forgets it again if sending fails, so a job that runs twice (a worker
restarted mid-job) sends nothing twice, and a failed send can be retried. The
database write is committed before the mail server is contacted: no write lock
is held during SMTP.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from firsthand.conversation.models import SentEmail


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


def send_once(key: str, email: EmailMessage) -> bool:
    """Send ``email`` unless one with ``key`` went out before; True if sent now."""
    key = key[:300]
    try:
        with transaction.atomic():
            SentEmail.objects.create(key=key)
    except IntegrityError:
        return False
    try:
        email.send()
    except Exception:
        SentEmail.objects.filter(key=key).delete()
        raise
    return True
