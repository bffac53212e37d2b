from __future__ import annotations

import pytest

from firsthand.conversation.spam.context import JudgeContext, Policy
from firsthand.conversation.spam.layers import timing
from tests.conversation.spam.factory import bob


def check(**fields: object) -> tuple[float, tuple[str, ...]]:
    verdict = timing.check(bob(**fields), JudgeContext(policy=Policy()))
    assert not verdict.certain
    assert not verdict.hold
    return verdict.score, verdict.reasons


def test_a_form_filled_in_at_human_speed_says_nothing() -> None:
    assert check(form_age=45.0) == (0.0, ())


def test_a_missing_or_forged_token_is_suspicious() -> None:
    score, reasons = check(form_age=None)
    assert score == timing.NO_TOKEN_SCORE
    assert reasons == ("no valid form timing token",)


def test_a_form_sent_too_fast_says_how_fast() -> None:
    score, reasons = check(form_age=1.23)
    assert score == timing.TOO_FAST_SCORE
    assert reasons == ("sent 1.2 s after the form was shown",)


def test_the_minimum_comes_from_the_policy() -> None:
    context = JudgeContext(policy=Policy(min_form_seconds=10))
    assert timing.check(bob(form_age=5.0), context).score == timing.TOO_FAST_SCORE
    assert timing.check(bob(form_age=11.0), context).score == 0


def test_a_very_old_form_is_only_mildly_suspicious() -> None:
    score, reasons = check(form_age=9 * 86400.0)
    assert 0 < score < timing.TOO_FAST_SCORE
    assert reasons == ("sent 9 days after the form was shown",)


@pytest.mark.parametrize("source", ["pingback", "webmention", "import", "demo"])
def test_other_sources_have_no_form_and_abstain(source: str) -> None:
    assert check(source=source, form_age=None) == (0.0, ())
