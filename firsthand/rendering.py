"""The one Markdown -> safe HTML policy, and the one plain-text cleaning rule.

Markdown is rendered once, when text is written, and the HTML is stored. Readers'
text goes through CommonMark with raw HTML off, then an nh3 allowlist; authors'
posts may contain HTML, which passes the same sanitizer with a wider allowlist.
Text imported from WordPress ("html" format) skips Markdown: ``legacy_html`` makes
its paragraphs and expands its shortcodes, then the same allowlists apply
(docs/wordpress-html.md). markdown-it-py is linear on the inputs that make other
renderers quadratic (shared/reference/security-test-plan.md section 1.4), but
linear can still be slow: 20,000 characters of ``![`` take about half a second.
So Markdown is rendered under a time budget; text that runs over it is kept, shown
as escaped plain text (docs/architecture.md, "Rendering and sanitizing").
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import MutableMapping
from functools import cache
from html import escape, unescape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

from firsthand.legacy_html import wordpress_to_html

# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates and
# U+FFFE/U+FFFF. One forbidden character in a stored text would break every feed
# that carries it (Django raises UnserializableContentError), so they are removed
# at input, before anything is stored.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

URL_SCHEMES = {"http", "https", "mailto"}

log = logging.getLogger(__name__)

# How long Markdown may take to render, in seconds: a reader's comment (at most
# FIRSTHAND_RESPONSE_MAX_CHARS, 20,000 by default) and an author's post. The worst
# comment found takes about 0.5 s on a busy 2-core machine (notes in
# bench/markdown_bombs.py); ordinary ones take a few milliseconds.
RESPONSE_BUDGET = 0.5
POST_BUDGET = 2.0

# What an imported paragraph holding only a removed element (an <iframe> player,
# a <script>) leaves behind.
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")

# The values of Post.body_format and Response.body_format.
MARKDOWN = "markdown"
HTML = "html"

RESPONSE_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "hr", "del",
}  # fmt: skip
RESPONSE_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "code": {"class"}}

POST_TAGS = RESPONSE_TAGS | {
    "h1", "h2", "h3", "h4", "h5", "h6", "img", "figure", "figcaption", "table", "thead",
    "tbody", "tr", "th", "td", "sup", "sub", "abbr", "cite", "q", "dl", "dt", "dd",
    "span", "div", "s", "small", "kbd", "mark",
}  # fmt: skip
POST_ATTRIBUTES = {
    **RESPONSE_ATTRIBUTES,
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "abbr": {"title"},
    "a": {"href", "title", "id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}


# Microformats2 class names a post may carry (a reblog's h-cite, IndieWeb markup an
# author writes by hand); nh3 drops every other class. "class" must then stay out of
# POST_ATTRIBUTES for these tags (nh3 refuses both at once).
MICROFORMAT_CLASSES = {
    "h-cite", "h-card", "h-entry", "u-repost-of", "u-like-of", "u-in-reply-to",
    "u-bookmark-of", "u-url", "u-photo", "u-uid", "p-author", "p-name", "p-content",
    "p-summary", "e-content", "dt-published",
}  # fmt: skip
POST_CLASSES = {
    tag: MICROFORMAT_CLASSES
    for tag in ("a", "blockquote", "cite", "div", "img", "p", "q", "span")
}


def clean_text(text: str) -> str:
    """Normalise line endings and drop characters that XML 1.0 forbids."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_FORBIDDEN.sub("", text)


class OverBudget(Exception):
    """Rendering ran past its deadline (raised from inside markdown-it's loops)."""


_DEADLINE = "firsthand_deadline"
_NEVER = float("inf")


def _check_deadline(env: MutableMapping[str, Any]) -> None:
    if time.monotonic() > env.get(_DEADLINE, _NEVER):
        raise OverBudget


def _inline_deadline(state: StateInline, silent: bool) -> bool:
    """First of the inline rules, so it runs at every place a rule is tried
    (the pathological inputs are thousands of such places in one paragraph)."""
    _check_deadline(state.env)
    return False


def _block_deadline(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """First of the block rules: runs once per block, at every nesting level."""
    _check_deadline(state.env)
    return False


def _with_deadline(md: MarkdownIt) -> MarkdownIt:
    # markdown-it-py's own limit stays on: the commonmark preset's maxNesting (20)
    # stops nesting deeper (the rest is kept as text), so no RecursionError.
    md.inline.ruler.before("text", "firsthand_deadline", _inline_deadline)
    md.block.ruler.before("table", "firsthand_deadline", _block_deadline)
    return md


@cache
def _response_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
    return _with_deadline(md)


@cache
def _post_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return _with_deadline(md)


def _markdown_or_plain(md: MarkdownIt, text: str, budget: float) -> str:
    """``text`` rendered, or, past ``budget`` seconds, the same text escaped in
    paragraphs: nothing is lost and no worker stays busy on one comment."""
    try:
        html: str = md.render(text, {_DEADLINE: time.monotonic() + budget})
        return html
    except OverBudget:
        log.warning(
            "Markdown of %d characters took over %.2f s to render: kept as plain text",
            len(text),
            budget,
        )
        return plain_text_html(text)


def plain_text_html(text: str) -> str:
    """Text as HTML, nothing in it read as markup: paragraphs at blank lines,
    line breaks kept."""
    paragraphs = (p.strip("\n") for p in re.split(r"\n[ \t]*\n", text))
    return "\n".join(
        "<p>" + escape(p, quote=False).replace("\n", "<br>\n") + "</p>"
        for p in paragraphs
        if p.strip()
    )


def render_response(markdown: str, *, budget: float | None = None) -> str:
    """A reader's Markdown as safe HTML: no raw HTML, links marked as user content.

    Past ``budget`` seconds (``RESPONSE_BUDGET``), the text is shown as escaped
    plain text instead."""
    limit = RESPONSE_BUDGET if budget is None else budget
    html = _markdown_or_plain(_response_renderer(), clean_text(markdown), limit)
    return _sanitize_response_html(html)


def _sanitize_response_html(html: str) -> str:
    """The response allowlist; links marked as user content (nofollow ugc)."""
    return nh3.clean(
        html,
        tags=RESPONSE_TAGS,
        attributes=RESPONSE_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    ).strip()


def render_response_body(body: str, body_format: str) -> str:
    """A response's stored text as safe HTML, whichever way it was written."""
    if body_format == MARKDOWN:
        return render_response(body)
    if body_format == HTML:
        # Imported comments were written as HTML; the same allowlist applies.
        html = _sanitize_response_html(wordpress_to_html(clean_text(body)))
        return _EMPTY_PARAGRAPH.sub("", html).strip()
    raise _unknown_format(body_format)


def render_post(markdown: str, *, budget: float | None = None) -> str:
    """An author's Markdown (HTML allowed) as sanitised HTML (past ``budget``
    seconds, ``POST_BUDGET``, as escaped plain text)."""
    limit = POST_BUDGET if budget is None else budget
    html = _markdown_or_plain(_post_renderer(), clean_text(markdown), limit)
    return sanitize_post_html(html)


def render_post_body(body: str, body_format: str) -> str:
    """A post's stored text as sanitised HTML, whichever way it was written."""
    if body_format == MARKDOWN:
        return render_post(body)
    if body_format == HTML:
        html = sanitize_post_html(wordpress_to_html(clean_text(body)))
        return _EMPTY_PARAGRAPH.sub("", html).strip()
    raise _unknown_format(body_format)


def _unknown_format(body_format: str) -> ValueError:
    return ValueError(
        f"Unknown body format {body_format!r}: store {MARKDOWN!r} for text written "
        f"here or {HTML!r} for text imported from WordPress."
    )


def sanitize_post_html(html: str) -> str:
    """The post allowlist, for HTML from the editor or an import."""
    return nh3.clean(
        html,
        tags=POST_TAGS,
        attributes=POST_ATTRIBUTES,
        allowed_classes=POST_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
    ).strip()


# A tag as the sanitiser (nh3, html5ever's serialiser) writes it: attribute values
# always double-quoted, where a ">" may stand unescaped. Text never holds a bare
# "<" or ">" (they are written as entities) and no comments are left.
_TAG = re.compile(r'<(?:[^>"]|"[^"]*")*>')


def plain_excerpt(html: str, words: int = 40) -> str:
    """A plain-text excerpt of already sanitised HTML (entities decoded: plain text
    is escaped where it is shown, so "&amp;" here would show as "&amp;").

    Tags are dropped by a regular expression rather than Django's ``strip_tags``,
    whose HTML parser was most of the reblog quote's time on every article page
    (issue #8); for what the sanitiser writes, which is all this is given (a post's
    ``body_html``), the text is the same. The words are cut as Django's
    ``Truncator(text).words(words, truncate="…")`` cut them, without splitting
    and joining the whole post twice (half of this function's time, issue #8)."""
    if words <= 0:
        return ""
    found = unescape(_TAG.sub("", html)).split()
    if len(found) <= words:
        return " ".join(found)
    start = " ".join(found[:words])
    return start if start.endswith("…") else f"{start}…"
