"""The moderation counts in the site header, for moderators only."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from firsthand.conversation.models import Response
from firsthand.conversation.moderation_views import MODERATE


class ReviewCounts:
    """How many responses wait in the moderation queue, held and spam.

    Counted in one query the first time a template reads a number, so a page that
    never shows them (or shows them twice: the header and the queue's tabs) pays
    once at most.
    """

    @cached_property
    def _counts(self) -> dict[str, int]:
        return Response.objects.review_counts()

    @property
    def held(self) -> int:
        return self._counts["held"]

    @property
    def spam(self) -> int:
        return self._counts["spam"]

    @property
    def total(self) -> int:
        return self.held + self.spam


def moderation_counts(request: HttpRequest) -> dict[str, ReviewCounts]:
    """``moderation_counts`` for users who may moderate; nothing for anyone else.

    Anonymous readers cost no query: ``is_authenticated`` is checked before the
    permission, and the session-less reader never loads a user.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm(MODERATE):
        return {}
    return {"moderation_counts": ReviewCounts()}
