"""The whole judgement: every layer, in order, combined."""

from __future__ import annotations

from firsthand.conversation import spam
from firsthand.conversation.spam.context import BlockRule, JudgeContext, Policy
from firsthand.conversation.spam.seed import load_seed
from firsthand.conversation.spam.verdict import Outcome
from tests.conversation.spam.factory import bob, mallory, trained_counts


def test_every_layer_gives_a_verdict_in_order() -> None:
    judgement = spam.judge(bob(), JudgeContext(counts=trained_counts()))
    assert [v.layer for v in judgement.verdicts] == [
        "honeypot",
        "blocklist",
        "timing",
        "links",
        "first_comment",
        "classifier",
    ]


def test_bob_is_published() -> None:
    judgement = spam.judge(bob(), JudgeContext(counts=trained_counts()))
    assert judgement.outcome == Outcome.PUBLISH


def test_without_any_context_a_clean_comment_is_published() -> None:
    assert spam.judge(bob()).outcome == Outcome.PUBLISH


def test_mallory_with_a_link_is_marked_spam_and_told_why() -> None:
    judgement = spam.judge(mallory(), JudgeContext(counts=trained_counts()))
    assert judgement.outcome == Outcome.SPAM
    explained = judgement.explain()
    assert explained.startswith("1 link; new site: spam.example; classifier 0.")


def test_mallory_without_a_link_is_held_not_hidden() -> None:
    judgement = spam.judge(
        mallory(body="Check out my channel and subscribe please!"),
        JudgeContext(counts=trained_counts()),
    )
    assert judgement.outcome == Outcome.HOLD


def test_a_filled_honeypot_is_spam_even_for_bob() -> None:
    judgement = spam.judge(bob(honeypot="x"), JudgeContext())
    assert judgement.outcome == Outcome.SPAM
    assert judgement.explain() == "filled in the hidden field"


def test_a_form_sent_too_fast_is_held() -> None:
    judgement = spam.judge(bob(form_age=0.4), JudgeContext(counts=trained_counts()))
    assert judgement.outcome == Outcome.HOLD
    assert "sent 0.4 s after the form was shown" in judgement.explain()


def test_the_site_rules_hold_a_first_comment_with_two_links() -> None:
    context = JudgeContext(
        policy=Policy(hold_first_comments=True),
        counts=trained_counts(),
        first_comment=True,
    )
    judgement = spam.judge(
        bob(body="Compare <https://a.example/x> and <https://a.example/y>."), context
    )
    assert judgement.outcome == Outcome.HOLD
    assert judgement.explain().startswith("2 links; new site: a.example; new commenter")


def test_a_blocked_email_is_spam() -> None:
    context = JudgeContext(block_rules=(BlockRule("email", "bob@example.org", "spam"),))
    assert spam.judge(bob(), context).outcome == Outcome.SPAM


def test_the_shipped_seed_catches_typical_link_spam_and_passes_bob() -> None:
    context = JudgeContext(counts=load_seed())
    assert spam.judge(bob(), context).outcome == Outcome.PUBLISH
    spammy = mallory(
        body="Hey guys! Please check out my new channel and subscribe, "
        "https://www.facebook.com/page"
    )
    assert spam.judge(spammy, context).outcome == Outcome.SPAM
