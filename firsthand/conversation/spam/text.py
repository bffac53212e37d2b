"""Reading a response's text the way the layers need it: its links and its words.

Shared by the link layer, the block list and the learner, so that "a link" means
the same thing to all three. Every pattern here is linear in the text's length
(no nested quantifiers), and callers cap the text they pass.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A Markdown link or image "[label](url)", an autolink "<url>", or a bare
# http(s):// or www. address. Markdown's own renderer (firsthand.rendering)
# would find the first two; the bare ones matter because spammers do not care
# whether their address becomes clickable: a reader can still copy it.
# Possessive quantifiers (*+, {m,n}+) never give back what they matched, and no
# two neighbouring parts can match the same characters, so a failed attempt costs
# at most the length of one part: "[a](" repeated 5,000 times took 30 s with
# ordinary quantifiers, and takes milliseconds with these.
_LINK = re.compile(
    r"\[[^\[\]\n]{0,500}+\]\(\s*+<?([^()<>\s]{1,2000}+)>?(?:\s++[^()\n]{0,200}+)?\)"
    r"|<((?:https?|ftp)://[^<>\s]{1,2000}+|www\.[^<>\s]{1,2000}+)>"
    r"|((?:https?://|www\.)[^\s<>()\[\]\"']{1,2000}+)",
    re.IGNORECASE,
)
# A bare domain with a path or a common top-level domain, "gofundme.com/grwmps":
# not a link anyone can click, but an address all the same. Not after "@": the
# domain of an email address is no link.
_BARE_DOMAIN = re.compile(
    r"(?<![@\w.-])((?:[a-z0-9-]{1,63}+\.){1,4}(?:com|net|org|info|biz|ru|ly|tv|io)"
    r"(?:/[^\s<>()\[\]\"']{0,500}+)?)(?![\w.])",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"*"
_APOSTROPHES = "'\u2019"
_WORD = re.compile(rf"[^\W_]+(?:[{_APOSTROPHES}][^\W_]+)*")
_REPEAT = re.compile(r"(.)\1{2,}")


def links(text: str) -> list[str]:
    """Every link address in the text, in order: Markdown, autolinks, bare URLs."""
    found: list[str] = []
    for match in _LINK.finditer(text):
        url = match.group(1) or match.group(2) or match.group(3)
        found.append(url.rstrip(_TRAILING))
    return found


def bare_domains(text: str) -> list[str]:
    """Addresses written without a scheme or "www.", such as "gofundme.com/x"."""
    without_links = _LINK.sub(" ", text)
    return [m.group(1).rstrip(_TRAILING) for m in _BARE_DOMAIN.finditer(without_links)]


def without_links(text: str) -> str:
    """The text with each link replaced by its label (or nothing)."""

    def label(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole.startswith("["):
            return " " + whole[1 : whole.index("]")] + " "
        return " "

    return _BARE_DOMAIN.sub(" ", _LINK.sub(label, text))


def host(url: str) -> str:
    """The lower-case host name of a link, without "www."; "" if there is none."""
    if "://" not in url[:12]:
        url = "http://" + url
    try:
        name = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    name = name.rstrip(".")
    return name.removeprefix("www.")


def site(host_name: str) -> str:
    """The registered part of a host name: "m.facebook.com" -> "facebook.com".

    An approximation without the public suffix list: two labels, or three when
    the second-level label is a generic one such as "co" in "bbc.co.uk".
    """
    labels = host_name.split(".")
    if len(labels) > 2 and labels[-2] in {"co", "com", "org", "net", "ac", "gov"}:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def words(text: str) -> list[str]:
    """Lower-case words; letters repeated three times or more count twice.

    "Pleeeease" and "pleease" are the same word to a reader, and spammers
    stretch words to dodge word lists.
    """
    return [
        _REPEAT.sub(r"\1\1", word.replace("'", "").replace("\u2019", ""))
        for word in _WORD.findall(text.lower())
    ]
