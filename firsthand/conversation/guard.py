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
    email = submission.author_email
    first = bool(email) and not (
        Response.objects.visible().filter(written_by(email)).exists()
    )
    return JudgeContext(
        policy=policy(), block_rules=rules, counts=DatabaseCounts(), first_comment=first
    )
