"""Reading a fetched source page: does it link to the target, and what is it?

W3C Webmention (Recommendation, 12 January 2017) section 3.2.2: the receiver
fetches the source and checks that it mentions the target: in HTML, a link
(``<a href>``, and here ``<area href>``); the microformats2 properties
``u-in-reply-to``, ``u-like-of``, ``u-repost-of`` and ``u-bookmark-of`` count too,
since they may sit on a ``<data>`` or ``<link>`` element with no ``<a>`` at all.
Plain text is searched for the URL; JSON for a string that is the URL.

What the mention *is* comes from microformats2 (mf2py): the h-entry that links to
the target (else the first h-entry), its author (h-card name, URL and photo, or
``p-author`` as text), URL, name and content, and its kind: ``in-reply-to`` is a
reply, ``like-of`` a like, ``repost-of`` a repost (a reblog), anything else a
mention (https://indieweb.org/comments-presentation). Pingbacks and trackbacks use
the same reading for their link check and "[…] sentence […]" excerpt.

Pure: no database, no network. mf2py fetches a URL itself when it is given no
document, so it is always handed the parsed page here, never left to fetch.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import json
import re
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import mf2py  # type: ignore[import-untyped]
from bs4 import BeautifulSoup, Tag
from django.http.request import validate_host

REPLY = "reply"
LIKE = "like"
REPOST = "repost"
MENTION = "mention"

# What a reply keeps of its text, and how long a mention's excerpt is.
REPLY_MAX_CHARS = 2_000
EXCERPT_MAX_CHARS = 300
TITLE_MAX_CHARS = 200
NAME_MAX_CHARS = 100
URL_MAX_CHARS = 500

# The microformats2 properties that name the post being answered; the first one
# that names the target decides the kind.
_KIND_PROPERTIES = (("in-reply-to", REPLY), ("like-of", LIKE), ("repost-of", REPOST))
_LINK_PROPERTIES = ("in-reply-to", "like-of", "repost-of", "bookmark-of")

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Block elements end a sentence for the excerpt: "Prices<p>We" is two sentences.
_BLOCKS = (
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
    "td", "th", "tr", "ul",
)  # fmt: skip
_UNSEEN = ("script", "style", "template", "noscript", "head")
# Private-use characters: where the link was, and where a block ended.
_MARK = "\ue000"
_BREAK = "\ue001"
# html5lib builds the tree as a browser does, but its cost grows with the depth of
# open elements at each tag (a page of 50,000 nested <div>s takes minutes) and
# mf2py recurses through the tree: deeper pages are refused, not read.
MAX_DEPTH = 256
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "param", "source", "track", "wbr",
})  # fmt: skip
# Closed implicitly by the next one of their kind (<p>a<p>b): they add no depth.
_IMPLIED_END = frozenset({
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead",
    "tbody", "tfoot", "rb", "rt", "rp", "caption", "colgroup",
})  # fmt: skip
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class Unreadable(ValueError):
    """The page cannot be read safely; the message says why."""


@dataclasses.dataclass(frozen=True)
class Reading:
    """What the receiver learned from the source page."""

    links_to_target: bool
    kind: str = MENTION
    author_name: str = ""
    author_url: str = ""
    author_photo: str = ""
    url: str = ""  # the entry's own URL (u-url), else empty
    title: str = ""  # the entry's name, else the page's <title>
    # A reply's or repost's own words (trimmed); empty for likes and when the page
    # has no h-entry content.
    content: str = ""
    # "[…] the sentence around the link […]", for mentions, pingbacks, trackbacks.
    excerpt: str = ""
    site_name: str = ""  # og:site_name, for "Pingback from …"


def normalized(url: str) -> str:
    """``url`` in the form two links to one page share, for comparison only.

    Case of scheme and host, default ports, percent-encoding of unreserved and
    non-ASCII characters, a trailing slash and the fragment make no difference;
    neither does http versus https (one page served both ways is one page).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        return ""
    host = parts.hostname.lower().rstrip(".")
    with contextlib.suppress(UnicodeError):  # else compared as written
        host = host.encode("idna").decode("ascii")
    netloc = host if port in {None, 80, 443} else f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_PATH_SAFE).rstrip("/") or "/"
    return urlunsplit(("", netloc, path, parts.query, ""))


def decode(content: bytes, content_type: str) -> str:
    """The page's text: in the charset its Content-Type names, else the one a
    byte-order mark or a ``<meta>`` in its first 2 KB names (HTML's encoding
    prescan, simplified), else UTF-8; undecodable bytes become U+FFFD."""
    named = _CHARSET.search(content_type)
    charset = named.group(1) if named else ""
    if not charset and content.startswith(codecs.BOM_UTF8):
        charset = "utf-8-sig"
    if not charset:
        meta = _META_CHARSET.search(content[:2048])
        charset = meta.group(1).decode("ascii") if meta else "utf-8"
    try:
        return content.decode(charset, errors="replace")
    except LookupError:
        return content.decode("utf-8", errors="replace")


def read_source(content: str, content_type: str, base_url: str, target: str) -> Reading:
    """Read the source page (its text, its Content-Type, the URL it was fetched
    from after redirects) for its link to ``target`` and what it says.

    Raises ``Unreadable`` for HTML nested deeper than MAX_DEPTH."""
    wanted = normalized(target)
    media = content_type.split(";")[0].strip().lower()
    if not wanted:
        return Reading(links_to_target=False)
    if media == "text/plain":
        return _read_text(content, wanted)
    if media == "application/json" or media.endswith("+json"):
        return _read_json(content, wanted)
    if media and media not in _HTML_TYPES:
        return Reading(links_to_target=False)
    return _read_html(content, base_url, wanted)


# --- HTML ----------------------------------------------------------------------------


def _read_html(content: str, base_url: str, wanted: str) -> Reading:
    _check_depth(content)
    try:
        return _read_tree(BeautifulSoup(content, "html5lib"), base_url, wanted)
    except RecursionError as error:  # a backstop: _check_depth should prevent it
        raise Unreadable("the page is nested too deeply to read") from error


def _check_depth(content: str) -> None:
    """A linear first pass (the standard library's tokenizer) that refuses pages
    whose elements nest deeper than MAX_DEPTH."""
    scanner = _DepthScanner()
    try:
        scanner.feed(content)
        scanner.close()
    except _TooDeep as error:
        raise Unreadable(
            f"the page nests elements more than {MAX_DEPTH} deep; not read"
        ) from error


class _TooDeep(Exception):
    pass


class _DepthScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID or tag in _IMPLIED_END:
            return
        self.open.append(tag)
        if len(self.open) > MAX_DEPTH:
            raise _TooDeep

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open.pop() != tag:
                pass


def _read_tree(soup: BeautifulSoup, base_url: str, wanted: str) -> Reading:
    base = _base_of(soup, base_url)
    link = _first_link(soup, base, wanted)
    # Never without ``doc``: mf2py would fetch ``url`` itself, outside the guard.
    parsed: dict[str, Any] = mf2py.parse(doc=soup, url=base)
    entries = list(_entries(parsed.get("items", [])))
    in_properties = any(_names_target(item, wanted) for item in _all_items(parsed))
    if link is None and not in_properties:
        return Reading(links_to_target=False)
    entry = next((e for e in entries if _entry_links(e, wanted, base)), None)
    entry = entry or (entries[0] if entries else None)
    page_title = _page_title(soup)
    site_name = _meta(soup, "og:site_name")
    excerpt = _excerpt(soup, link) if link is not None else ""  # changes soup
    if entry is None:
        return Reading(
            links_to_target=True,
            title=_trim(page_title, TITLE_MAX_CHARS),
            excerpt=excerpt,
            site_name=_trim(site_name, NAME_MAX_CHARS),
        )
    props: dict[str, list[Any]] = entry.get("properties", {})
    kind = _kind(props, wanted)
    text = _content_text(props)
    name = _first_text(props.get("name"))
    if name and _is_implied_name(name, text):
        name = ""  # a note: its "name" is its text (microformats2 implied name)
    author_name, author_url, author_photo = _author(props, parsed)
    if kind == REPLY:
        words = _trim(text, REPLY_MAX_CHARS) or excerpt or name
    elif kind == REPOST:
        words = _trim(text, EXCERPT_MAX_CHARS)
    elif kind == LIKE:
        words = ""
    else:
        words = ""
    return Reading(
        links_to_target=True,
        kind=kind,
        author_name=_trim(author_name, NAME_MAX_CHARS),
        author_url=_url_or_empty(author_url, base),
        author_photo=_url_or_empty(author_photo, base),
        url=_url_or_empty(_first_url(props.get("url")), base),
        title=_trim(name or page_title, TITLE_MAX_CHARS),
        content=words,
        excerpt=excerpt or _trim(text, EXCERPT_MAX_CHARS),
        site_name=_trim(site_name, NAME_MAX_CHARS),
    )


def _base_of(soup: BeautifulSoup, base_url: str) -> str:
    """Relative links resolve against ``<base href>`` when the page has one."""
    base = soup.find("base", href=True)
    if isinstance(base, Tag):
        href = str(base.get("href") or "").strip()
        if href:
            return urljoin(base_url, href)
    return base_url


def _first_link(soup: BeautifulSoup, base: str, wanted: str) -> Tag | None:
    for tag in soup.find_all(["a", "area"], href=True):
        if isinstance(tag, Tag) and _same(urljoin(base, str(tag.get("href"))), wanted):
            return tag
    return None


def _same(url: str, wanted: str) -> bool:
    return normalized(url) == wanted


def _all_items(parsed: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every microformat on the page, nested ones included, in document order."""

    def walk(items: list[Any]) -> Iterator[dict[str, Any]]:
        for item in items:
            if not isinstance(item, dict) or "type" not in item:
                continue
            yield item
            yield from walk(item.get("children", []))
            for values in item.get("properties", {}).values():
                yield from walk(values)

    return walk(parsed.get("items", []))


def _entries(items: list[Any]) -> Iterator[dict[str, Any]]:
    """h-entries at the top level or inside an h-feed, in document order."""
    for item in items:
        if not isinstance(item, dict):
            continue
        types = item.get("type", [])
        if "h-entry" in types:
            yield item
        elif "h-feed" in types:
            yield from _entries(item.get("children", []))


def _urls_of(values: list[Any] | None) -> list[str]:
    """The URLs a u-* property holds: strings, or an h-cite's url (or value)."""
    urls: list[str] = []
    for value in values or []:
        if isinstance(value, str):
            urls.append(value)
        elif isinstance(value, dict):
            urls.extend(_urls_of(value.get("properties", {}).get("url")))
            if isinstance(value.get("value"), str):
                urls.append(value["value"])
    return urls


def _names_target(item: dict[str, Any], wanted: str) -> bool:
    props = item.get("properties", {})
    return any(
        _same(url, wanted)
        for name in _LINK_PROPERTIES
        for url in _urls_of(props.get(name))
    )


def _entry_links(entry: dict[str, Any], wanted: str, base: str) -> bool:
    """The entry names the target in a property, or links to it in its content."""
    if _names_target(entry, wanted):
        return True
    for value in entry.get("properties", {}).get("content", []):
        html = value.get("html", "") if isinstance(value, dict) else ""
        if html and _first_link(BeautifulSoup(html, "html.parser"), base, wanted):
            return True
    return False


def _kind(props: dict[str, list[Any]], wanted: str) -> str:
    for name, kind in _KIND_PROPERTIES:
        if any(_same(url, wanted) for url in _urls_of(props.get(name))):
            return kind
    return MENTION


def _content_text(props: dict[str, list[Any]]) -> str:
    """The entry's text: e-content's plain value, else its summary."""
    for name in ("content", "summary"):
        for value in props.get(name, []):
            text = value.get("value", "") if isinstance(value, dict) else value
            if isinstance(text, str) and text.strip():
                return _tidy(text)
    return ""


def _first_text(values: list[Any] | None) -> str:
    for value in values or []:
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
        if isinstance(value, dict) and isinstance(value.get("value"), str):
            return " ".join(value["value"].split())
    return ""


def _first_url(values: list[Any] | None) -> str:
    urls = _urls_of(values)
    return urls[0] if urls else ""


def _photo(values: list[Any] | None) -> str:
    """mf2py 2 gives a photo as a URL or as {"value": URL, "alt": …}."""
    for value in values or []:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("value"), str):
            return str(value["value"])
    return ""


def _is_implied_name(name: str, text: str) -> bool:
    squeezed_name, squeezed_text = " ".join(name.split()), " ".join(text.split())
    return bool(squeezed_text) and (
        squeezed_name == squeezed_text
        or squeezed_text.startswith(squeezed_name[:60])
        or squeezed_name.startswith(squeezed_text[:60])
    )


def _author(
    props: dict[str, list[Any]], parsed: dict[str, Any]
) -> tuple[str, str, str]:
    """(name, url, photo): the entry's p-author (an h-card, a URL or a name), else
    the page's first top-level h-card (a simplified authorship algorithm)."""
    for value in props.get("author", []):
        if isinstance(value, dict):
            card = value.get("properties", {})
            name = _first_text(card.get("name")) or _first_text([value])
            return name, _first_url(card.get("url")), _photo(card.get("photo"))
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if _URL_IN_TEXT.fullmatch(text):
                return "", text, ""
            return " ".join(text.split()), "", ""
    for item in parsed.get("items", []):
        if isinstance(item, dict) and "h-card" in item.get("type", []):
            card = item.get("properties", {})
            return (
                _first_text(card.get("name")),
                _first_url(card.get("url")),
                _photo(card.get("photo")),
            )
    return "", "", ""


def _url_or_empty(url: str, base: str) -> str:
    """An absolute http(s) URL of reasonable length, or nothing."""
    if not url:
        return ""
    absolute = urljoin(base, url.strip())
    if urlsplit(absolute).scheme not in {"http", "https"}:
        return ""
    return absolute if len(absolute) <= URL_MAX_CHARS else ""


def _page_title(soup: BeautifulSoup) -> str:
    title = soup.find("title")
    return " ".join(title.get_text().split()) if isinstance(title, Tag) else ""


def _meta(soup: BeautifulSoup, prop: str) -> str:
    tag = soup.find("meta", attrs={"property": prop})
    if isinstance(tag, Tag):
        return " ".join(str(tag.get("content") or "").split())
    return ""


def _excerpt(soup: BeautifulSoup, link: Tag) -> str:
    """ "[…] the sentence with the link […]", about EXCERPT_MAX_CHARS long.

    The page's visible text is taken with a mark where the link starts; the
    sentence holding the mark is kept, with its neighbours while they fit.
    Changes ``soup`` (call it last).
    """
    link.insert_before(_MARK)
    for tag in soup.find_all(_UNSEEN):
        if isinstance(tag, Tag) and not tag.decomposed and _MARK not in tag.get_text():
            tag.decompose()
    for tag in soup.find_all("br"):
        if isinstance(tag, Tag):
            tag.replace_with(_BREAK)
    for tag in soup.find_all(_BLOCKS):
        if isinstance(tag, Tag):
            tag.insert_before(_BREAK)
            tag.insert_after(_BREAK)
    root = soup.body or soup
    return around_mark(root.get_text())


def around_mark(text: str, limit: int = EXCERPT_MAX_CHARS) -> str:
    """The sentence of ``text`` that holds the mark, with neighbours up to
    ``limit`` characters, "[…]" where text was left out. Empty without a mark.
    Blocks (paragraphs) end at the break mark; a sentence never spans two."""
    blocks = [" ".join(b.split()) for b in text.split(_BREAK)]
    blocks = [b for b in blocks if b]
    where = next((i for i, b in enumerate(blocks) if _MARK in b), None)
    if where is None:
        return ""
    sentences = _SENTENCE_END.split(blocks[where])
    at = next(i for i, s in enumerate(sentences) if _MARK in s)
    first = last = at
    # Grow by whole sentences, after then before, while the excerpt stays short.
    while True:
        grown = False
        for step in (1, -1):
            i = (last + 1) if step == 1 else (first - 1)
            if 0 <= i < len(sentences):
                size = sum(len(s) + 1 for s in sentences[first : last + 1])
                if size + len(sentences[i]) <= limit:
                    first, last = min(first, i), max(last, i)
                    grown = True
        if not grown:
            break
    chosen = " ".join(sentences[first : last + 1])
    cut_before = first > 0 or where > 0
    cut_after = last < len(sentences) - 1 or where < len(blocks) - 1
    if len(chosen) > limit:
        chosen, before, after = _window(chosen, limit)
        cut_before, cut_after = cut_before or before, cut_after or after
    chosen = chosen.replace(_MARK, "").strip()
    if not chosen:
        return ""
    return f"{'[…] ' if cut_before else ''}{chosen}{' […]' if cut_after else ''}"


def _window(text: str, limit: int) -> tuple[str, bool, bool]:
    """About ``limit`` characters of ``text`` around the mark, cut at spaces."""
    at = text.index(_MARK)
    start = max(0, at - limit // 3)
    end = min(len(text), start + limit)
    start = max(0, end - limit)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < at else start
    if end < len(text):
        space = text.rfind(" ", at, end)
        end = space if space > at else end
    return text[start:end], start > 0, end < len(text)


def _tidy(text: str) -> str:
    """Spaces squeezed within lines; at most one blank line between paragraphs."""
    lines = [" ".join(line.split()) for line in text.strip().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _trim(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, "…" added."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


# --- Other media types ---------------------------------------------------------------


def _read_text(content: str, wanted: str) -> Reading:
    for match in _URL_IN_TEXT.finditer(content):
        url = match.group().rstrip(".,;:!?)]")
        if _same(url, wanted):
            marked = content[: match.start()] + _MARK + content[match.start() :]
            paragraphs = re.sub(r"\n\s*\n", _BREAK, marked)
            return Reading(links_to_target=True, excerpt=around_mark(paragraphs))
    return Reading(links_to_target=False)


def _read_json(content: str, wanted: str) -> Reading:
    try:
        data = json.loads(content)
    except ValueError:
        return Reading(links_to_target=False)
    return Reading(links_to_target=any(_same(s, wanted) for s in _strings(data)))


def _strings(data: object) -> Iterator[str]:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


# --- Sites ---------------------------------------------------------------------------


def origin(url: str) -> tuple[str, int | None] | None:
    """(host, port) of ``url``, default ports as None: http and https of one host
    are one site here (a site behind a TLS proxy sees its own requests as http)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return None
    return host, (None if port in {None, 80, 443} else port)


def same_site(url: str, site: str, other_hosts: Sequence[str] = ()) -> bool:
    """``url`` is on ``site`` (an origin such as ``https://blog.example``): the same
    host and port, or one of ``other_hosts`` (ALLOWED_HOSTS patterns, checked by
    Django's ``validate_host``) on the same port. Ports count: two sites on one
    host (127.0.0.1:8001 and :8002) are two sites."""
    here, there = origin(site), origin(url)
    if here is None or there is None:
        return False
    if there == here:
        return True
    patterns = [h for h in other_hosts if h != "*"]
    return there[1] == here[1] and validate_host(there[0], patterns)
