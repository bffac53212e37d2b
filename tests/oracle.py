"""A parser-based check that a page carries no active content from users."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup

UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")
DATA_TYPES = {"application/ld+json", "application/json"}
# The site's own scripts, loaded from its static folder and nothing else: allowed.
OUR_SCRIPTS = frozenset(
    {"/static/firsthand/conversation.js", "/static/firsthand/moderate.js"}
)


def is_ours(script: object) -> bool:
    """A script element that only loads one of the site's own files."""
    get = getattr(script, "get", None)
    if get is None:
        return False
    return bool(get("src") in OUR_SCRIPTS and not (getattr(script, "string", "") or ""))


def active_content(html: str) -> list[str]:
    """Everything in ``html`` that a browser would run: must be empty on our pages."""
    soup = BeautifulSoup(html, "html5lib")  # parses the way browsers do
    found: list[str] = []
    for script in soup.find_all("script"):
        # A JSON data block is never run; it must still be whole, valid JSON (a
        # hostile string that closed the block early would leave broken JSON).
        if script.get("type") in DATA_TYPES and not script.get("src"):
            try:
                json.loads(script.string or "")
            except ValueError:
                found.append(f"broken data block {str(script)[:60]}")
            continue
        if is_ours(script):
            continue
        found.append(str(script)[:80])
    found += [str(tag)[:80] for tag in soup.find_all("iframe")]
    found += [str(tag)[:80] for tag in soup.find_all(["object", "embed", "base"])]
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                found.append(f"{tag.name}[{name}]")
            squeezed = "".join(text.split()).lower()
            if name in {"href", "src", "action", "formaction"} and squeezed.startswith(
                UNSAFE_SCHEMES
            ):
                found.append(f"{tag.name}[{name}={text[:40]}]")
    return found
