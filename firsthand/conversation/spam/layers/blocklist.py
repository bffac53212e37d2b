"""The site owner's block list: words, domains, email addresses and IP addresses.

A rule's action says what a match means: "spam" settles it (the verdict is
certain), "hold" asks a moderator to look. Matching:

- word: case-insensitive, whole words ("casino" does not match "occasional"); a
  rule of several words matches them in sequence with any spacing. Looked for in
  the body, the author's name and title, and the title of a linking page.
- domain: the domain or any subdomain of it, written anywhere in the body (as
  a link or not: "shop.spam.example/x" counts), in the author's web address, the
  linking page's address or the email's domain.
- email: the whole address, case-insensitive.
- ip: one address ("203.0.113.7") or a network ("203.0.113.0/24").
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from firsthand.conversation.spam import text
from firsthand.conversation.spam.context import BlockRule, JudgeContext
from firsthand.conversation.spam.verdict import Verdict
from firsthand.conversation.submission import Submission

NAME = "blocklist"
MAX_CHARS = 20_000


@lru_cache(maxsize=1024)
def _word_pattern(value: str) -> re.Pattern[str] | None:
    parts = value.split()
    if not parts:
        return None
    return re.compile(
        r"(?<!\w)" + r"\s+".join(re.escape(p) for p in parts) + r"(?!\w)",
        re.IGNORECASE,
    )


def _domain(value: str) -> str:
    """A rule's or an address's domain, lower case, without scheme or "www."."""
    return text.host(value.strip().lstrip(".")) if value.strip() else ""


def _matches_domain(host: str, domain: str) -> bool:
    return bool(domain) and (host == domain or host.endswith("." + domain))


def _matches_ip(address: str | None, value: str) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(
            value.strip(), strict=False
        )
    except ValueError:  # an unreadable rule or address matches nothing
        return False


# Anything that could be a host name: "shop.spam.example" in "see shop.spam.example/y"
# or in "https://shop.spam.example/y".
_HOSTLIKE = re.compile(r"[\w-]{1,63}+(?:\.[\w-]{1,63}+)++")


def _hosts(submission: Submission) -> list[str]:
    hosts = [m.group().lower() for m in _HOSTLIKE.finditer(submission.body[:MAX_CHARS])]
    for address in (submission.author_url, submission.source_url):
        if address:
            hosts.append(text.host(address[:2000]))
    if "@" in submission.author_email:
        hosts.append(submission.author_email.rsplit("@", 1)[1].strip().lower())
    return [h for h in dict.fromkeys(hosts) if h]


def _match(rule: BlockRule, submission: Submission, hosts: list[str]) -> str | None:
    """The reason this rule matches, or None."""
    value = rule.value.strip()
    if rule.kind == "word":
        pattern = _word_pattern(value)
        where = (
            submission.body[:MAX_CHARS],
            submission.author_name,
            submission.author_title,
            submission.source_title,
        )
        if pattern and any(pattern.search(w) for w in where):
            return f"blocked word '{value}'"
    elif rule.kind == "domain":
        domain = _domain(value)
        if any(_matches_domain(h, domain) for h in hosts):
            return f"blocked domain '{domain}'"
    elif rule.kind == "email":
        if value and submission.author_email.strip().lower() == value.lower():
            return f"blocked email '{value}'"
    elif rule.kind == "ip" and _matches_ip(submission.ip_address, value):
        return f"blocked IP '{value}'"
    return None


def check(submission: Submission, context: JudgeContext) -> Verdict:
    if not context.block_rules:
        return Verdict(NAME)
    hosts = _hosts(submission)
    spam_reasons: list[str] = []
    hold_reasons: list[str] = []
    for rule in context.block_rules:
        reason = _match(rule, submission, hosts)
        if reason is not None:
            (spam_reasons if rule.action == "spam" else hold_reasons).append(reason)
    reasons = tuple(dict.fromkeys(spam_reasons + hold_reasons))
    if spam_reasons:
        return Verdict(NAME, score=1.0, reasons=reasons, certain=True)
    return Verdict(NAME, reasons=reasons, hold=bool(hold_reasons))
