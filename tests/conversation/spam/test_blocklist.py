from __future__ import annotations

import pytest

from firsthand.conversation.spam.context import BlockRule, JudgeContext
from firsthand.conversation.spam.layers import blocklist
from firsthand.conversation.spam.verdict import Verdict
from firsthand.conversation.submission import Submission
from tests.conversation.spam.factory import bob, mallory


def check(submission: Submission, *rules: BlockRule) -> Verdict:
    return blocklist.check(submission, JudgeContext(block_rules=rules))


def spam_rule(kind: str, value: str) -> BlockRule:
    return BlockRule(kind=kind, value=value, action="spam")


def test_no_rules_no_opinion() -> None:
    verdict = check(mallory())
    assert (verdict.score, verdict.reasons, verdict.certain, verdict.hold) == (
        0.0,
        (),
        False,
        False,
    )


@pytest.mark.parametrize(
    "body",
    ["Best CASINO in town", "casino!", "(casino)", "Casino\nbonus"],
)
def test_a_word_matches_whole_words_in_any_case(body: str) -> None:
    verdict = check(bob(body=body), spam_rule("word", "casino"))
    assert verdict.certain
    assert verdict.reasons == ("blocked word 'casino'",)


@pytest.mark.parametrize("body", ["occasional casinos", "occasino", "casino_royale"])
def test_a_word_does_not_match_inside_other_words(body: str) -> None:
    assert check(bob(body=body), spam_rule("word", "casino")).reasons == ()


def test_a_phrase_matches_across_any_spacing() -> None:
    verdict = check(bob(body="get FREE\n  money now"), spam_rule("word", "free money"))
    assert verdict.certain


def test_words_are_looked_for_in_the_name_too() -> None:
    assert check(bob(author_name="Casino Bob"), spam_rule("word", "casino")).certain


@pytest.mark.parametrize(
    "fields",
    [
        {"body": "see https://spam.example/x"},
        {"body": "see [here](http://shop.spam.example/y)"},
        {"body": "see shop.spam.example/y"},
        {"author_url": "https://www.spam.example"},
        {"author_email": "someone@mail.spam.example"},
        {"source_url": "https://spam.example/linking-post", "source": "pingback"},
    ],
)
def test_a_domain_matches_itself_and_subdomains_anywhere(
    fields: dict[str, str],
) -> None:
    verdict = check(bob(**fields), spam_rule("domain", "spam.example"))
    assert verdict.certain
    assert verdict.reasons == ("blocked domain 'spam.example'",)


def test_a_domain_does_not_match_a_longer_name() -> None:
    submission = bob(body="https://notspam.example and https://spam.example.org")
    assert check(submission, spam_rule("domain", "spam.example")).reasons == ()


def test_a_domain_rule_may_be_written_as_an_address() -> None:
    verdict = check(mallory(), spam_rule("domain", "https://www.spam.example/"))
    assert verdict.reasons == ("blocked domain 'spam.example'",)


def test_an_email_matches_the_whole_address_in_any_case() -> None:
    rule = spam_rule("email", "Mallory@Spam.Example")
    assert check(mallory(), rule).certain
    assert not check(mallory(author_email="other@spam.example"), rule).certain


@pytest.mark.parametrize(
    ("value", "matches"),
    [
        ("203.0.113.66", True),
        ("203.0.113.0/24", True),
        ("203.0.114.0/24", False),
        ("not an address", False),
    ],
)
def test_an_ip_rule_matches_an_address_or_a_network(value: str, matches: bool) -> None:
    assert check(mallory(), spam_rule("ip", value)).certain is matches


def test_an_ip_rule_ignores_a_submission_without_an_address() -> None:
    assert not check(mallory(ip_address=None), spam_rule("ip", "0.0.0.0/0")).certain


def test_a_hold_rule_asks_for_a_look_without_settling_it() -> None:
    rule = BlockRule(kind="word", value="viagra", action="hold")
    verdict = check(bob(body="is viagra a woodworking tool?"), rule)
    assert verdict.hold
    assert not verdict.certain
    assert verdict.reasons == ("blocked word 'viagra'",)


def test_every_matching_rule_is_named_and_spam_wins() -> None:
    verdict = check(
        mallory(),
        BlockRule(kind="word", value="subscribe", action="hold"),
        spam_rule("domain", "spam.example"),
        spam_rule("word", "absent"),
    )
    assert verdict.certain
    assert verdict.reasons == (
        "blocked domain 'spam.example'",
        "blocked word 'subscribe'",
    )
