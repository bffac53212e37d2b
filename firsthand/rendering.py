"""The one Markdown -> safe HTML policy, and the one plain-text cleaning rule.

Markdown is rendered once, when text is written, and the HTML is stored. Readers'
text goes through CommonMark with raw HTML off, then an nh3 allowlist; authors'
posts may contain HTML, which passes the same sanitizer with a wider allowlist.
Text imported from WordPress ("html" format) skips Markdown: ``legacy_html`` makes
its paragraphs and expands its shortcodes, then the same allowlists apply
(docs/wordpress-html.md). markdown-it-py is linear on the inputs that make other
renderers quadratic (shared/reference/security-test-plan.md section 1.4).
"""

from __future__ import annotations

import re
from functools import cache
from html import unescape

import nh3
from markdown_it import MarkdownIt

from firsthand.legacy_html import wordpress_to_html

# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates and
# U+FFFE/U+FFFF. One forbidden character in a stored text would break every feed
# that carries it (Django raises UnserializableContentError), so they are removed
# at input, before anything is stored.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

URL_SCHEMES = {"http", "https", "mailto"}

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


@cache
def _response_renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


@cache
def _post_renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def render_response(markdown: str) -> str:
    """A reader's Markdown as safe HTML: no raw HTML, links marked as user content."""
    return _sanitize_response_html(_response_renderer().render(clean_text(markdown)))


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


def render_post(markdown: str) -> str:
    """An author's Markdown (HTML allowed) as sanitised HTML."""
    html = _post_renderer().render(clean_text(markdown))
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
