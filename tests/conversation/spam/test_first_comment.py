from __future__ import annotations

from firsthand.conversation.spam.context import JudgeContext, Policy
from firsthand.conversation.spam.layers import first_comment
from tests.conversation.spam.factory import bob


def test_a_returning_commenter_is_not_mentioned() -> None:
    verdict = first_comment.check(bob(), JudgeContext(first_comment=False))
    assert (verdict.score, verdict.reasons, verdict.hold) == (0.0, (), False)


def test_a_new_commenter_is_noted_without_a_penalty_by_default() -> None:
    verdict = first_comment.check(bob(), JudgeContext(first_comment=True))
    assert verdict.reasons == ("new commenter",)
    assert verdict.score == 0
    assert not verdict.hold


def test_a_new_commenter_is_held_when_the_site_asks() -> None:
    context = JudgeContext(policy=Policy(hold_first_comments=True), first_comment=True)
    verdict = first_comment.check(bob(), context)
    assert verdict.hold
    assert verdict.reasons == ("new commenter",)
