from __future__ import annotations

from firsthand.conversation.spam.context import JudgeContext
from firsthand.conversation.spam.layers import classifier
from firsthand.conversation.spam.learner import MemoryCounts
from tests.conversation.spam.factory import bob, mallory, trained_counts


def test_without_counts_it_abstains() -> None:
    verdict = classifier.check(mallory(), JudgeContext(counts=None))
    assert (verdict.score, verdict.reasons) == (0.0, ())


def test_with_nothing_learned_it_abstains() -> None:
    verdict = classifier.check(mallory(), JudgeContext(counts=MemoryCounts()))
    assert (verdict.score, verdict.reasons) == (0.0, ())


def test_with_no_known_feature_it_abstains() -> None:
    verdict = classifier.check(
        bob(body="Zymurgy quux"), JudgeContext(counts=trained_counts())
    )
    assert (verdict.score, verdict.reasons) == (0.0, ())


def test_spam_scores_high_and_names_its_reasons() -> None:
    verdict = classifier.check(mallory(), JudgeContext(counts=trained_counts()))
    assert verdict.score > 0.9
    (reason,) = verdict.reasons
    assert reason.startswith(f"classifier {verdict.score:.2f}: ")
    assert "'subscribe'" in reason or "'self-promotion'" in reason


def test_the_words_alone_never_reach_certainty() -> None:
    verdict = classifier.check(
        mallory(body="check out my channel, subscribe please, sub4sub, free money"),
        JudgeContext(counts=trained_counts()),
    )
    assert verdict.score == classifier.CEILING
    assert not verdict.certain


def test_a_clean_comment_scores_low_without_listing_features() -> None:
    verdict = classifier.check(
        bob(body="Thank you, the part about sharpening chisels was lovely."),
        JudgeContext(counts=trained_counts()),
    )
    assert verdict.score < classifier.EXPLAIN_FROM
    assert verdict.reasons == (f"classifier {verdict.score:.2f}",)
