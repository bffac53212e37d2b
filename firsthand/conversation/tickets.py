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
import hashlib
import hmac
import itertools
import os
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponseBase

SALT = "firsthand.conversation.ticket"
COOKIE = "firsthand_ticket"
# Long enough for a long comment; a stale form still comes back with its text.
MAX_AGE = 24 * 3600


@dataclasses.dataclass(frozen=True)
class Ticket:
    nonce: str
    age: float  # seconds since the form was issued


@dataclasses.dataclass(frozen=True)
class _Site:
    key: bytes  # this site's key for tickets
    attributes: str  # the cookie's attributes after its value


_site: _Site | None = None


def _this_site() -> _Site:
    """Derived from the settings once (the page cache hands out a ticket with
    every page it serves: it must cost microseconds, and even reading a setting
    costs a few hundred nanoseconds); forgotten when a test changes them."""
    global _site
    if _site is None:
        secure = "; Secure" if settings.HTTPS else ""
        _site = _Site(
            key=hashlib.sha256(f"{SALT}:{settings.SECRET_KEY}".encode()).digest(),
            attributes=f"; Max-Age={MAX_AGE}; Path=/; HttpOnly; SameSite=Strict"
            + secure,
        )
    return _site


@receiver(setting_changed)
def _forget_site(*, setting: str, **kwargs: Any) -> None:
    global _site
    if setting in {"SECRET_KEY", "HTTPS"}:
        _site = None


def _mac(message: str) -> str:
    """Keyed BLAKE2b: a MAC by design (no HMAC construction needed), and about
    three times quicker than HMAC-SHA256 here."""
    digest = hashlib.blake2b(
        message.encode(), key=_this_site().key, digest_size=18
    ).digest()
    return base64.urlsafe_b64encode(digest).decode()


class _Nonces:
    """Unique nonces, cheaply: 8 random bytes drawn once per process (again in
    a forked child) and a 4-byte counter. A nonce needs to be unique, not secret:
    the MAC is what a forger lacks."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = secrets.token_bytes(8)
        self.counter = itertools.count()

    def next(self) -> str:
        number = next(self.counter)
        if number >= 1 << 32:  # a fresh prefix every 4 billion tickets
            self.reset()
            number = next(self.counter)
        raw = self.prefix + number.to_bytes(4, "big")
        return base64.urlsafe_b64encode(raw).decode()


_nonces = _Nonces()


def issue(*, now: float | None = None) -> str:
    """``nonce.milliseconds.mac``: URL- and cookie-safe."""
    issued = time.time() if now is None else now
    message = f"{_nonces.next()}.{round(issued * 1000)}"
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
    return ("Set-Cookie", f"{COOKIE}={issue()}{_this_site().attributes}")


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
