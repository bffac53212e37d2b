"""Links: how many (the site's hold rule) and where they go (a score).

Link spam is the point of most comment spam, so a link to a site this blog's
moderators have never approved is a sign on its own; a link to a site seen in
approved responses is not. What moderators decided about a site is read from the
classifier's counts for its "site:" feature, so every "spam" / "not spam"
decision also teaches this layer.

The hold rule counts what readers can follow or copy: Markdown links and images,
autolinks, bare http(s):// and www. addresses (as WordPress's "hold a comment with
N links or more"). Bare domains ("gofundme.com/x") and the author's web address do
not count towards it, but their sites are judged like the others.
"""

from __future__ import annotations

from typing import Final

from firsthand.conversation.spam import text
from firsthand.conversation.spam.context import JudgeContext, TokenCounts
from firsthand.conversation.spam.verdict import Verdict
from firsthand.conversation.submission import Submission

NAME = "links"

# Per distinct site, combined like the layers are (noisy OR). Below HOLD_AT:
# one new site alone is not enough to hold; with doubtful words, it is.
NEW_SITE_SCORE: Final = 0.6
SPAM_SITE_SCORE: Final = 0.8
MAX_CHARS: Final = 20_000
SHOWN_SITES: Final = 3


def _reputation(sites: list[str], counts: TokenCounts | None) -> dict[str, str]:
    """ "approved", "spam" or "new" for each site, from moderators' decisions."""
    seen = counts.counts([f"site:{s}" for s in sites]) if counts else {}
    verdicts = {}
    for site in sites:
        spam, ham = seen.get(f"site:{site}", (0, 0))
        if ham >= 1 and ham >= 2 * spam:
            verdicts[site] = "approved"
        elif spam >= 2 and spam > 2 * ham:
            verdicts[site] = "spam"
        else:
            verdicts[site] = "new"
    return verdicts


def _listed(label: str, sites: list[str]) -> str:
    shown = ", ".join(sites[:SHOWN_SITES])
    more = len(sites) - SHOWN_SITES
    return f"{label}: {shown}" + (f" and {more} more" if more > 0 else "")


def check(submission: Submission, context: JudgeContext) -> Verdict:
    body = submission.body[:MAX_CHARS]
    followable = text.links(body)
    addresses = followable + text.bare_domains(body)
    sites = list(dict.fromkeys(text.site(text.host(a)) or a[:60] for a in addresses))
    author_site = text.site(text.host(submission.author_url[:2000]))
    reputation = _reputation(
        [*sites, author_site] if author_site else sites, context.counts
    )
    new = [s for s in sites if reputation[s] == "new"]
    spam = [s for s in sites if reputation[s] == "spam"]
    clean = (1 - NEW_SITE_SCORE) ** len(new) * (1 - SPAM_SITE_SCORE) ** len(spam)
    reasons = []
    if followable:
        count = len(followable)
        reasons.append(f"{count} link" if count == 1 else f"{count} links")
    if new:
        reasons.append(_listed("new site" if len(new) == 1 else "new sites", new))
    if spam:
        reasons.append(_listed("seen in spam", spam))
    if author_site and reputation[author_site] == "spam":
        clean *= 1 - SPAM_SITE_SCORE
        reasons.append(f"author's web address on {author_site}, seen in spam")
    limit = context.policy.hold_links_at
    return Verdict(
        NAME,
        score=1.0 - clean,
        reasons=tuple(reasons),
        hold=limit > 0 and len(followable) >= limit,
    )
