"""The comment form's ticket: a signed, one-time nonce with the time it was issued.

It serves two guard rails at once: the nonce makes a double submit recognisable
(the second POST finds the response the first one created), and the issue time
tells the spam layers how long the form was open (bots post in milliseconds).
"""

from __future__ import annotations

import dataclasses
import secrets
import time

from django.core import signing

SALT = "firsthand.conversation.ticket"


@dataclasses.dataclass(frozen=True)
class Ticket:
    nonce: str
    age: float  # seconds since the form was issued


def issue(post_id: int, *, now: float | None = None) -> str:
    issued = time.time() if now is None else now
    payload = {"p": post_id, "n": secrets.token_urlsafe(16), "t": round(issued, 3)}
    return signing.Signer(salt=SALT).sign_object(payload)


def read(value: str, post_id: int, *, now: float | None = None) -> Ticket | None:
    """Nonce and age, or None if the ticket is missing, forged or for another post."""
    if not value:
        return None
    try:
        payload = signing.Signer(salt=SALT).unsign_object(value)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("p") != post_id:
        return None
    nonce, issued = payload.get("n"), payload.get("t")
    if not isinstance(nonce, str) or not isinstance(issued, int | float):
        return None
    current = time.time() if now is None else now
    return Ticket(nonce=nonce, age=current - float(issued))
