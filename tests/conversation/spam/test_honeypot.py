from __future__ import annotations

from firsthand.conversation.spam.context import JudgeContext
from firsthand.conversation.spam.layers import honeypot
from tests.conversation.spam.factory import bob, mallory


def test_an_empty_honeypot_says_nothing() -> None:
    verdict = honeypot.check(bob(), JudgeContext())
    assert verdict.score == 0
    assert verdict.reasons == ()
    assert not verdict.certain


def test_a_filled_honeypot_is_certain_spam() -> None:
    verdict = honeypot.check(mallory(honeypot="http://spam.example"), JudgeContext())
    assert verdict.certain
    assert verdict.score == 1.0
    assert verdict.reasons == ("filled in the hidden field",)


def test_whitespace_alone_is_not_filling_it_in() -> None:
    assert not honeypot.check(bob(honeypot="  \n"), JudgeContext()).certain
