"""The TrackBack ping (Six Apart, TrackBack Technical Specification 1.2).

A ping is an ``application/x-www-form-urlencoded`` POST to the post's TrackBack
Ping URL with ``url`` (required: the linking entry's permalink), and optionally
``title``, ``excerpt`` and ``blog_name``. The answer is a small XML document:
``<response><error>0</error></response>`` on success, or ``<error>1</error>`` with
a ``<message>`` saying why. "If a client neglects to send a url, the server MUST
respond with an error message."
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from xml.etree.ElementTree import Element, SubElement, tostring

from django.utils.html import strip_tags

# What is kept of each optional field (the excerpt is shown as an excerpt).
TITLE_MAX_CHARS = 200
EXCERPT_MAX_CHARS = 300
BLOG_NAME_MAX_CHARS = 100
CONTENT_TYPE = "text/xml; charset=utf-8"


class BadPing(ValueError):
    """The ping cannot be read; the message says what to send instead."""


@dataclasses.dataclass(frozen=True)
class Ping:
    url: str
    title: str = ""
    excerpt: str = ""
    blog_name: str = ""


def parse_ping(form: Mapping[str, str]) -> Ping:
    url = " ".join(str(form.get("url", "")).split())
    if not url:
        raise BadPing("No url: send the permalink of the entry that links here.")
    return Ping(
        url=url,
        title=_short(form.get("title", ""), TITLE_MAX_CHARS),
        excerpt=_short(form.get("excerpt", ""), EXCERPT_MAX_CHARS),
        blog_name=_short(form.get("blog_name", ""), BLOG_NAME_MAX_CHARS),
    )


def success() -> bytes:
    return _document(error=False)


def error(message: str) -> bytes:
    return _document(error=True, message=message)


def _document(*, error: bool, message: str = "") -> bytes:
    root = Element("response")
    SubElement(root, "error").text = "1" if error else "0"
    if error:
        SubElement(root, "message").text = message
    document: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _short(value: str, limit: int) -> str:
    """Plain text (senders often send HTML), whitespace squeezed, cut at a word
    boundary with "…" past ``limit``."""
    text = " ".join(html.unescape(strip_tags(str(value))).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"
