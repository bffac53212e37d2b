"""What the spam layers may know, read from settings and the database."""

from __future__ import annotations

from django.conf import settings

from firsthand.conversation.learning import DatabaseCounts
from firsthand.conversation.models import BlockRule, Response, written_by
from firsthand.conversation.spam.context import BlockRule as Rule, JudgeContext, Policy
from firsthand.conversation.submission import Submission


def policy() -> Policy:
    return Policy(
        hold_links_at=settings.FIRSTHAND_HOLD_LINKS,
        hold_first_comments=settings.FIRSTHAND_HOLD_FIRST_COMMENTS,
    )


def context_for(submission: Submission) -> JudgeContext:
    rules = tuple(
        Rule(kind=kind, value=value, action=action)
        for kind, value, action in BlockRule.objects.values_list(
            "kind", "value", "action"
        )
    )
    return JudgeContext(
        policy=policy(),
        block_rules=rules,
        counts=DatabaseCounts(),
        first_comment=is_first(submission),
    )


def is_first(submission: Submission) -> bool:
    """No approved response proven to be this author's yet.

    From the comment form, typing a regular's address proves nothing (anyone can
    type it): the browser must show, with its signed cookie (``mine``), that it
    posted one of that address's approved responses. Other sources keep the plain
    address match: an import is the site's own history, and pings carry no address.
    """
    email = submission.author_email
    if not email:
        return False
    earlier = Response.objects.visible().filter(written_by(email))
    if submission.source == "form":
        earlier = earlier.filter(pk__in=submission.known_ids)
    return not earlier.exists()
