"""How verdicts combine, and how a judgement explains itself."""

from __future__ import annotations

import pytest

from firsthand.conversation.spam.combine import HOLD_AT, SPAM_AT, combine
from firsthand.conversation.spam.layers import classifier
from firsthand.conversation.spam.verdict import Outcome, Verdict


def test_no_signs_publish_with_score_zero() -> None:
    judgement = combine([Verdict("a"), Verdict("b")])
    assert judgement.outcome == Outcome.PUBLISH
    assert judgement.score == 0


def test_scores_combine_as_independent_signs() -> None:
    judgement = combine([Verdict("a", 0.5), Verdict("b", 0.5)])
    assert judgement.score == 0.75


def test_a_certain_verdict_is_spam_whatever_the_others_say() -> None:
    judgement = combine([Verdict("honeypot", 1.0, certain=True), Verdict("b", 0.0)])
    assert judgement.outcome == Outcome.SPAM
    assert judgement.score == 1.0


def test_a_certain_verdict_even_with_a_zero_score_is_spam() -> None:
    assert combine([Verdict("x", certain=True)]).outcome == Outcome.SPAM


@pytest.mark.parametrize(
    ("scores", "outcome"),
    [
        ((HOLD_AT - 0.01,), Outcome.PUBLISH),
        ((HOLD_AT,), Outcome.HOLD),
        ((SPAM_AT - 0.001,), Outcome.HOLD),
        ((SPAM_AT,), Outcome.SPAM),
        ((0.6, 0.6), Outcome.HOLD),  # 0.84: two doubtful signs hold
        ((0.9, 0.9), Outcome.SPAM),  # 0.99
    ],
)
def test_thresholds(scores: tuple[float, ...], outcome: Outcome) -> None:
    verdicts = [Verdict(f"layer{n}", s) for n, s in enumerate(scores)]
    assert combine(verdicts).outcome == outcome


def test_a_hold_request_holds_a_clean_score() -> None:
    judgement = combine([Verdict("links", 0.0, ("2 links",), hold=True)])
    assert judgement.outcome == Outcome.HOLD


def test_a_hold_request_does_not_lower_spam() -> None:
    verdicts = [Verdict("links", 0.9, hold=True), Verdict("classifier", 0.9)]
    assert combine(verdicts).outcome == Outcome.SPAM


def test_the_classifier_alone_can_hold_but_never_mark_spam() -> None:
    judgement = combine([Verdict("classifier", classifier.CEILING)])
    assert judgement.outcome == Outcome.HOLD
    assert classifier.CEILING < SPAM_AT


def test_out_of_range_scores_are_clamped() -> None:
    assert combine([Verdict("a", -3.0)]).score == 0
    assert combine([Verdict("a", 7.0)]).score == 1


def test_every_verdict_is_kept_for_the_queue() -> None:
    verdicts = (Verdict("a", 0.1, ("one",)), Verdict("b"), Verdict("c", 0.2, ("two",)))
    assert combine(verdicts).verdicts == verdicts


def test_explain_lists_every_reason_layer_by_layer() -> None:
    judgement = combine(
        [
            Verdict("honeypot"),
            Verdict("links", 0.6, ("3 links", "new site: spam.example"), hold=True),
            Verdict("first_comment", 0.0, ("new commenter",)),
            Verdict("classifier", 0.91, ("classifier 0.91: 'free', 'subscribe'",)),
        ]
    )
    assert judgement.explain() == (
        "3 links; new site: spam.example; new commenter; "
        "classifier 0.91: 'free', 'subscribe'"
    )
