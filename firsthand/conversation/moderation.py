"""Moderators' write workflows: one verb each, each atomic."""

from __future__ import annotations

from django.db import transaction

from firsthand.conversation.models import Response
from firsthand.conversation.threadstate import lock_post, set_status


def _move(response: Response, status: str) -> Response:
    with transaction.atomic():
        post = lock_post(response.post_id)
        # Re-read under the lock: another moderator may have acted meanwhile.
        current = Response.objects.get(pk=response.pk)
        if current.status != status:
            set_status(post, current, status)
    return current


def approve(response: Response) -> Response:
    """Show the response to readers (numbering it if it never was visible)."""
    return _move(response, Response.Status.VISIBLE)


def mark_spam(response: Response) -> Response:
    """Hide it as spam; it keeps its number if it had one."""
    return _move(response, Response.Status.SPAM)


def remove(response: Response) -> Response:
    """Hide it from readers (the trash); its text is kept and can be approved again."""
    return _move(response, Response.Status.REMOVED)


def hold(response: Response) -> Response:
    """Take it back into the moderation queue."""
    return _move(response, Response.Status.PENDING)
