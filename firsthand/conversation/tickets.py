"""The comment form's ticket: a signed, one-time nonce with the time it was issued,
kept in a cookie.

It serves three guard rails at once. The nonce makes a double submit recognisable
(the second POST finds the response the first one created); the issue time tells
the spam layers how long the form was open (bots post in milliseconds); and the
cookie is ``SameSite=Strict``, so a form on another site cannot post with it: it is
the comment form's protection against cross-site request forgery (with the
``Origin`` check in ``views.respond``).

Because the ticket travels in a cookie and not in the page, an article page is the
same for every anonymous reader, and can be cached whole (``firsthand.pagecache``):
each page view, cached or not, hands out a fresh ticket with ``Set-Cookie``.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.http import HttpResponseBase

SALT = "firsthand.conversation.ticket"
COOKIE = "firsthand_ticket"
# Long enough for a long comment; a stale form still comes back with its text.
MAX_AGE = 24 * 3600


@dataclasses.dataclass(frozen=True)
class Ticket:
    nonce: str
    age: float  # seconds since the form was issued


@functools.cache
def _key(secret: str) -> bytes:
    """This site's key for tickets, derived once (the page cache hands out a
    ticket with every page it serves: it must cost microseconds)."""
    return hashlib.sha256(f"{SALT}:{secret}".encode()).digest()


def _mac(message: str) -> str:
    digest = hmac.new(_key(settings.SECRET_KEY), message.encode(), "sha256").digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def issue(*, now: float | None = None) -> str:
    """``nonce.milliseconds.mac``: URL- and cookie-safe."""
    issued = time.time() if now is None else now
    message = f"{secrets.token_urlsafe(12)}.{round(issued * 1000)}"
    return f"{message}.{_mac(message)}"


def read(value: str, *, now: float | None = None) -> Ticket | None:
    """Nonce and age, or None if the ticket is missing or forged."""
    nonce, _, rest = value.partition(".")
    issued, _, mac = rest.partition(".")
    if not (nonce and issued.isdigit() and mac) or len(value) > 200:
        return None
    if not hmac.compare_digest(mac, _mac(f"{nonce}.{issued}")):
        return None
    current = time.time() if now is None else now
    return Ticket(nonce=nonce, age=current - int(issued) / 1000)


def header() -> tuple[str, str]:
    """A ``Set-Cookie`` header with a fresh ticket (for the page cache, which
    answers without building a Django response)."""
    secure = "; Secure" if settings.HTTPS else ""
    value = (
        f"{COOKIE}={issue()}; Max-Age={MAX_AGE}; Path=/; HttpOnly; "
        f"SameSite=Strict{secure}"
    )
    return ("Set-Cookie", value)


def hand_out(response: HttpResponseBase) -> None:
    """Give the reader of a page with the comment form a fresh ticket."""
    response.set_cookie(
        COOKIE,
        issue(),
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=settings.HTTPS,
    )
