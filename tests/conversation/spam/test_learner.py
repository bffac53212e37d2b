"""The classifier's features, counts and score (pure, no database)."""

from __future__ import annotations

import time

import pytest

from firsthand.conversation.spam import learner
from firsthand.conversation.spam.learner import (
    FEATURE_TOTAL,
    MemoryCounts,
    deltas,
    features,
    score,
)
from tests.conversation.spam.factory import HAM_TEXTS, SPAM_TEXTS, bob, trained_counts


def test_features_are_bigrams_not_single_words() -> None:
    assert features("came here to check the views") == [
        "came here",
        "here to",
        "to check",
        "check the",
        "the views",
    ]


def test_concepts_come_first_and_stand_for_phrase_families() -> None:
    found = features("Check out my new channel and SUBSCRIBE plz, 100 subscribers!")
    assert found[:5] == [
        "__self_promo__",
        "__subscribe__",
        "__ask_visit__",
        "__goal__",
        "__please__",
    ]
    assert "check out" in found


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("visit my blog", "__self_promo__"),
        ("los invito a mi canal", "__self_promo__"),
        ("suscribe to me", "__subscribe__"),
        ("sub4sub anyone", "__subscribe__"),
        ("take a look at this", "__ask_visit__"),
        ("like this comment if you agree", "__ask_like__"),
        ("thumbs up if you are here in 2015", "__ask_like__"),
        ("earn $50 a day", "__money__"),
        ("help me reach 1k subs", "__goal__"),
        ("pleeease", "__please__"),
        ("follow @someone", "__mention__"),
        ("#winning", "__hashtag__"),
    ],
)
def test_each_concept(text: str, concept: str) -> None:
    assert concept in features(text)


@pytest.mark.parametrize(
    "text",
    [
        "My daughter's music teacher loved this",
        "I checked the views again",
        "a submarine subway success",
        "email me at bob@example.org",
    ],
)
def test_ordinary_sentences_have_no_spam_concepts(text: str) -> None:
    assert not [f for f in features(text) if f in learner.CONCEPTS]


def test_links_give_their_sites_and_referral_marks() -> None:
    found = features("win http://bit.ly/x and [this](https://shop.example.com/?ref=7)")
    assert (
        found[:5]
        == [
            "__link__",
            "site:bit.ly",
            "__referral__",
            "site:example.com",
            "win and",
        ][:5]
    )


def test_link_text_is_not_read_as_words() -> None:
    assert features("see https://www.example.org/check-out-my-channel ok") == [
        "__link__",
        "site:example.org",
        "see ok",
    ]


def test_the_author_address_is_a_feature_of_a_submission() -> None:
    found = features(bob(author_url="https://www.bob.example/", body="Nice post."))
    assert "__author_url__" in found
    assert "site:bob.example" in found
    assert "nice post" in found


def test_stretched_letters_and_apostrophes_are_normalised() -> None:
    assert features("Pleeeeease don't") == ["__please__", "pleease dont"]


def test_features_are_distinct_and_capped() -> None:
    found = features(" ".join(f"word{n}" for n in range(5000)))
    assert len(found) == learner.MAX_FEATURES
    assert len(set(found)) == len(found)
    assert features("a b a b a b") == ["a b", "b a"]


def test_scoring_a_long_text_takes_milliseconds() -> None:
    counts = trained_counts()
    text = "check out my channel https://spam.example/ " * 2000
    started = time.perf_counter()
    score(features(text), counts)
    assert time.perf_counter() - started < 0.1


def test_deltas_say_what_one_document_adds() -> None:
    assert deltas(["a b", "b c", "a b"]) == {"a b": 1, "b c": 1, FEATURE_TOTAL: 2}


def test_learning_is_counting() -> None:
    counts = MemoryCounts()
    counts.learn(["a b", "__please__"], spam=True)
    counts.learn(["a b"], spam=False)
    assert counts.totals() == (1, 1)
    assert counts.counts(["a b", "__please__", "unknown"]) == {
        "a b": (1, 1),
        "__please__": (1, 0),
    }
    assert counts.counts([FEATURE_TOTAL]) == {FEATURE_TOTAL: (2, 1)}


def test_after_learning_examples_a_similar_message_scores_higher() -> None:
    counts = trained_counts()
    probe = features("Please check out my channel and subscribe")
    before, _ = score(probe, counts)
    assert before is not None
    for text in (
        "check out my channel and subscribe",
        "please check out my channel guys",
        "subscribe to my channel please",
    ):
        counts.learn(features(text), spam=True)
    after, reasons = score(probe, counts)
    assert after is not None
    assert after > before
    assert reasons  # the features that pushed it, in words


def test_learning_a_message_as_legitimate_lowers_similar_ones() -> None:
    counts = trained_counts()
    probe = features("please check the new chisel photos")
    before, _ = score(probe, counts)
    counts.learn(features("Please check the new chisel photos, they are great"), False)
    after, _ = score(probe, counts)
    assert before is not None
    assert after is not None
    assert after < before


def test_unlearn_takes_a_decision_back_exactly() -> None:
    counts = trained_counts()
    snapshot = (dict((k, list(v)) for k, v in counts.tokens.items()), counts.totals())
    probe = features("Please check out my channel and subscribe")
    before, _ = score(probe, counts)
    decision = features("please check out my channel, subscribe now")
    counts.learn(decision, spam=False)
    assert score(probe, counts)[0] != before
    counts.unlearn(decision, spam=False)
    assert (counts.tokens, counts.totals()) == snapshot
    assert score(probe, counts)[0] == before


def test_unlearning_never_goes_below_zero() -> None:
    counts = MemoryCounts()
    counts.unlearn(["a b"], spam=True)
    assert counts.totals() == (0, 0)
    assert counts.tokens == {}


def test_nothing_learned_or_nothing_known_gives_no_score() -> None:
    assert score(["a b"], MemoryCounts()) == (None, [])
    assert score(["never seen"], trained_counts()) == (None, [])


def test_the_reasons_are_the_most_spam_indicative_features_in_words() -> None:
    probability, reasons = score(
        features("subscribe to my channel please"), trained_counts()
    )
    assert probability is not None
    assert probability > 0.9
    assert 1 <= len(reasons) <= 3
    assert set(reasons) <= {
        "subscribe",
        "self-promotion",
        "please",
        "to my",
        "my channel",
        "channel please",
        "subscribe to",
    }


def test_legitimate_texts_score_low_and_spam_high_in_its_own_memory() -> None:
    counts = trained_counts()
    for text in SPAM_TEXTS:
        assert (score(features(text), counts)[0] or 0) > 0.5
    for text in HAM_TEXTS:
        assert (score(features(text), counts)[0] or 1) < 0.5


def test_json_round_trip_keeps_every_count() -> None:
    counts = trained_counts()
    loaded = MemoryCounts.from_json(counts.to_json())
    assert loaded.tokens == counts.tokens
    assert loaded.totals() == counts.totals()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("not json", "malformed"),
        ('{"format": "other"}', "not spam counts"),
        (
            '{"format": "firsthand-spam-counts", "features_version": 0, '
            '"documents": {"spam": 0, "ham": 0}, "tokens": {}}',
            "train-spam",
        ),
        ('{"format": "firsthand-spam-counts", "features_version": 1}', "malformed"),
    ],
)
def test_json_that_is_not_our_counts_is_refused(data: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        MemoryCounts.from_json(data)


def test_pruning_forgets_rare_features_but_keeps_the_total() -> None:
    counts = trained_counts()
    pruned = counts.pruned(2)
    assert all(
        sum(pair) >= 2
        for token, pair in pruned.tokens.items()
        if token != FEATURE_TOTAL
    )
    assert pruned.tokens[FEATURE_TOTAL] == counts.tokens[FEATURE_TOTAL]
    assert pruned.totals() == counts.totals()
