"""What this browser posted: a signed cookie, the only memory of a commenter.

It lets a person see their own held responses and edit or withdraw what they
wrote for FIRSTHAND_EDIT_MINUTES, from the same browser and no other. The server
keeps no session: the cookie lists response ids, signed so nobody can claim
someone else's.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponseBase

COOKIE = "firsthand_mine"
SALT = "firsthand.conversation.mine"
MAX_AGE = 30 * 24 * 3600
KEEP = 20


def read(request: HttpRequest) -> list[int]:
    """Ids of the responses this browser posted (the latest KEEP)."""
    try:
        value = request.get_signed_cookie(COOKIE, salt=SALT, max_age=MAX_AGE)
        ids = [int(part) for part in str(value).split(".") if part]
    except (KeyError, signing.BadSignature, ValueError):
        return []
    return ids[-KEEP:]


def remember(
    request: HttpRequest, response: HttpResponseBase, response_id: int
) -> None:
    """Add ``response_id`` to the browser's list (on the outgoing ``response``)."""
    ids = [i for i in read(request) if i != response_id]
    ids = [*ids, response_id][-KEEP:]
    response.set_signed_cookie(
        COOKIE,
        ".".join(map(str, ids)),
        salt=SALT,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
