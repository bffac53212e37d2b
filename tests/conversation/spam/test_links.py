from __future__ import annotations

from firsthand.conversation.spam.context import JudgeContext, Policy
from firsthand.conversation.spam.layers import links
from firsthand.conversation.spam.learner import MemoryCounts
from tests.conversation.spam.factory import bob, mallory


def reputation(**sites: tuple[int, int]) -> MemoryCounts:
    """Counts in which each site was seen (spam, ham) times."""
    counts = MemoryCounts()
    for site, (spam, ham) in sites.items():
        name = site.replace("_", ".")
        for _ in range(spam):
            counts.learn([f"site:{name}"], spam=True)
        for _ in range(ham):
            counts.learn([f"site:{name}"], spam=False)
    return counts


def test_no_links_no_opinion() -> None:
    verdict = links.check(bob(), JudgeContext())
    assert (verdict.score, verdict.reasons, verdict.hold) == (0.0, (), False)


def test_markdown_autolinks_and_bare_addresses_all_count() -> None:
    body = (
        "See [my notes](https://notes.example/a), <https://other.example/b> "
        "and www.third.example/c."
    )
    verdict = links.check(bob(body=body), JudgeContext())
    assert verdict.reasons[0] == "3 links"
    assert verdict.hold  # the default policy holds at 2


def test_one_link_is_below_the_default_hold_rule() -> None:
    verdict = links.check(bob(body="Like <https://a.example>"), JudgeContext())
    assert verdict.reasons[0] == "1 link"
    assert not verdict.hold


def test_the_hold_rule_follows_the_policy_and_zero_turns_it_off() -> None:
    body = "https://a.example https://b.example https://c.example"
    assert not links.check(bob(body=body), JudgeContext(Policy(hold_links_at=4))).hold
    assert links.check(bob(body=body), JudgeContext(Policy(hold_links_at=3))).hold
    assert not links.check(bob(body=body), JudgeContext(Policy(hold_links_at=0))).hold


def test_a_bare_domain_is_judged_but_not_counted_for_holding() -> None:
    verdict = links.check(
        bob(body="donate at gofundme.com/x and gofundme.com/y"), JudgeContext()
    )
    assert not verdict.hold
    assert verdict.reasons == ("new site: gofundme.com",)
    assert verdict.score == links.NEW_SITE_SCORE


def test_a_new_site_scores_below_the_hold_threshold() -> None:
    verdict = links.check(bob(body="https://fresh.example/x"), JudgeContext())
    assert verdict.reasons == ("1 link", "new site: fresh.example")
    assert 0 < verdict.score < 0.8


def test_links_to_one_site_count_as_one_site() -> None:
    body = "https://www.fresh.example/a and https://blog.fresh.example/b"
    verdict = links.check(bob(body=body), JudgeContext())
    assert verdict.score == links.NEW_SITE_SCORE


def test_sites_add_up_like_independent_signs() -> None:
    body = "https://one.example/a https://two.example/b"
    verdict = links.check(bob(body=body), JudgeContext())
    assert verdict.score == 1 - (1 - links.NEW_SITE_SCORE) ** 2
    assert "new sites: one.example, two.example" in verdict.reasons


def test_a_site_moderators_approved_is_not_suspicious() -> None:
    context = JudgeContext(counts=reputation(wikipedia_org=(0, 3)))
    verdict = links.check(bob(body="https://en.wikipedia.org/wiki/Plane"), context)
    assert verdict.score == 0
    assert verdict.reasons == ("1 link",)


def test_a_site_seen_in_spam_scores_higher_than_a_new_one() -> None:
    context = JudgeContext(counts=reputation(spam_example=(5, 0)))
    verdict = links.check(mallory(), context)
    assert verdict.score == links.SPAM_SITE_SCORE
    assert "seen in spam: spam.example" in verdict.reasons


def test_an_author_address_on_a_spam_site_counts_but_an_unknown_one_does_not() -> None:
    context = JudgeContext(counts=reputation(spam_example=(5, 0)))
    unknown = links.check(bob(author_url="https://bob.example/"), context)
    assert unknown.score == 0
    spammy = links.check(bob(author_url="https://www.spam.example/"), context)
    assert spammy.score == links.SPAM_SITE_SCORE
    assert spammy.reasons == ("author's web address on spam.example, seen in spam",)
    assert not spammy.hold


def test_many_sites_are_listed_briefly() -> None:
    body = " ".join(f"https://site{n}.example/" for n in range(6))
    verdict = links.check(bob(body=body), JudgeContext())
    assert "new sites: site0.example, site1.example, site2.example and 3 more" in (
        verdict.reasons
    )
