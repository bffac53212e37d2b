"""Where to tell a page that one of our posts links to it, and which links to tell.

Pure: no database, no network. ``crosstalk.send`` fetches the target page and hands
its final URL, headers and text here.

Webmention endpoint discovery follows W3C Webmention (Recommendation, 12 January
2017) section 3.1.2, case by case as https://webmention.rocks/ tests it:

- an HTTP ``Link`` header with ``rel`` webmention comes first: several headers, several
  links in one header (split on commas outside ``<…>`` and quotes), ``rel`` quoted or
  not, with several space-separated values, compared case-insensitively (RFC 8288
  section 3.3: relation types are case-insensitive);
- else the first ``<link>`` or ``<a>`` element with rel webmention *and an href*, in
  document order (only when the page is HTML); comments and escaped text are not
  elements, so a "false endpoint" in either is ignored;
- a relative endpoint is resolved against the page's URL after redirects (test 23),
  an empty href is the page itself (test 15), and the endpoint's query string is
  kept as it is (test 21: it is posted to, never merged into the form body).

Pingback 1.0 (Hixie, 2002) section 2: the ``X-Pingback`` header, else a
``<link rel="pingback" href>`` element. The spec gives a regular expression for the
element; a real HTML parser finds the same elements and more of them (attributes in
any order, single quotes), and nothing inside comments.

HTML is read with the standard library's ``html.parser``: it never fetches, never
builds a tree, and stops as soon as both endpoints are known.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

WEBMENTION = "webmention"
PINGBACK = "pingback"

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SPACE = " \t\n\r\f"  # ASCII whitespace separates rel values (HTML, RFC 8288)
URL_MAX_CHARS = 2000  # Outbound.target's length


@dataclasses.dataclass(frozen=True)
class Endpoints:
    """Where a page takes Webmentions and pingbacks (None: it does not say)."""

    webmention: str | None = None
    pingback: str | None = None


def discover(page_url: str, headers: Mapping[str, str], text: str) -> Endpoints:
    """Both endpoints of the page at ``page_url`` (its URL after redirects).

    ``headers`` is case-insensitive, with repeated headers joined by commas (as
    httpx and ``fetch`` give them); ``text`` is the decoded body.
    """
    html = text if is_html(headers.get("Content-Type", "")) else ""
    found = _scan(html) if html else _Found()
    webmention = _first(link_header_targets(headers.get("Link", ""), WEBMENTION))
    if webmention is None:
        webmention = found.webmention
    pingback = headers.get("X-Pingback", "").strip() or found.pingback
    return Endpoints(
        webmention=_resolve(page_url, webmention),
        pingback=_resolve(page_url, pingback) if pingback else None,
    )


def is_html(content_type: str) -> bool:
    """An HTML page, or one that does not say what it is (sniffed as HTML)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind in _HTML_TYPES or not kind


# --- HTTP Link headers (RFC 8288) -----------------------------------------------------


def link_header_targets(value: str, rel: str) -> Iterator[str]:
    """The targets of every link in a ``Link`` header value whose ``rel`` has
    ``rel`` among its space-separated values, in order, as written (unresolved)."""
    wanted = rel.lower()
    for target, params in _links(value):
        rels = params.get("rel", "")
        if wanted in (token.lower() for token in _split_space(rels)):
            yield target


def _links(value: str) -> Iterator[tuple[str, dict[str, str]]]:
    """``<url>; rel="a b"; x=y, <url2>; rel=c`` as (url, params) pairs.

    Commas inside ``<…>`` (a URL may hold one) and inside quoted strings do not
    separate links. The first value of a repeated parameter wins (RFC 8288 3.3).
    """
    position, end = 0, len(value)
    while position < end:
        start = value.find("<", position)
        if start < 0:
            return
        close = value.find(">", start + 1)
        if close < 0:
            return
        target = value[start + 1 : close].strip()
        params: dict[str, str] = {}
        position = close + 1
        while position < end:
            position = _skip_space(value, position)
            if position >= end or value[position] == ",":
                position += 1
                break
            if value[position] != ";":
                # Not a parameter: skip to the next link, wherever it starts.
                next_comma = _next_comma(value, position)
                position = next_comma + 1
                break
            name, param, position = _param(value, position + 1)
            if name and name not in params:
                params[name] = param
        yield target, params


def _param(value: str, position: int) -> tuple[str, str, int]:
    """One ``name=value`` or ``name="quoted value"`` (or a bare ``name``)."""
    end = len(value)
    position = _skip_space(value, position)
    start = position
    while position < end and value[position] not in "=;,":
        position += 1
    name = value[start:position].strip().lower().rstrip("*")
    if position >= end or value[position] != "=":
        return name, "", position
    position = _skip_space(value, position + 1)
    if position < end and value[position] == '"':
        chars: list[str] = []
        position += 1
        while position < end and value[position] != '"':
            if value[position] == "\\" and position + 1 < end:
                position += 1
            chars.append(value[position])
            position += 1
        return name, "".join(chars), position + 1
    start = position
    while position < end and value[position] not in ";,":
        position += 1
    return name, value[start:position].strip(), position


def _next_comma(value: str, position: int) -> int:
    quoted = False
    for index in range(position, len(value)):
        char = value[index]
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            return index
    return len(value)


def _skip_space(value: str, position: int) -> int:
    while position < len(value) and value[position] in _SPACE:
        position += 1
    return position


# --- HTML -----------------------------------------------------------------------------


@dataclasses.dataclass
class _Found:
    webmention: str | None = None
    pingback: str | None = None


class _Done(Exception):
    """Both endpoints are known: the rest of the page need not be read."""


class _EndpointScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = _Found()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"link", "a"}:
            return
        values = dict(attrs)
        href = values.get("href")
        if href is None:
            return  # webmention.rocks test 20: a rel without an href is skipped
        rels = {token.lower() for token in _split_space(values.get("rel") or "")}
        if WEBMENTION in rels and self.found.webmention is None:
            self.found.webmention = href
        if tag == "link" and PINGBACK in rels and self.found.pingback is None:
            self.found.pingback = href
        if self.found.webmention is not None and self.found.pingback is not None:
            raise _Done

    handle_startendtag = handle_starttag


def _scan(html: str) -> _Found:
    scanner = _EndpointScanner()
    try:
        scanner.feed(html)
        scanner.close()
    except _Done:
        pass
    return scanner.found


# --- The links of a post --------------------------------------------------------------


class _AnchorCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)

    handle_startendtag = handle_starttag


def outbound_links(body_html: str, base_url: str) -> list[str]:
    """Every page a post links to, to be told about it: absolute http(s) URLs of its
    ``<a href>`` elements, in order, each once, without their ``#fragment`` (one
    page, one mention, whichever part of it is linked).

    Links to our own site (the origin of ``base_url``, the post's own address) are
    left out, as WordPress leaves out "self-pings": the site would send itself an
    HTTP request to learn what it already knows, readers would see every internal
    "see my earlier post" as a response, and the SSRF guard refuses a site on a
    private address anyway. A reblog of a post on this same site is recorded
    directly by ``crosstalk.reblog`` instead.
    """
    collector = _AnchorCollector()
    collector.feed(body_html)
    collector.close()
    own = origin(base_url)
    links: dict[str, None] = {}
    for href in collector.hrefs:
        url = _absolute_page(base_url, href)
        if url is None or origin(url) == own or len(url) > URL_MAX_CHARS:
            continue
        links.setdefault(url)
    return list(links)


# --- Helpers --------------------------------------------------------------------------


def _first(values: Iterable[str]) -> str | None:
    return next(iter(values), None)


def _split_space(value: str) -> list[str]:
    return value.translate({ord(c): " " for c in _SPACE}).split()


def _resolve(page_url: str, href: str | None) -> str | None:
    """``href`` resolved against the page (an empty one is the page itself);
    None unless the result is an http(s) URL."""
    if href is None:
        return None
    try:
        url = urljoin(page_url, href.strip())
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return url


def _absolute_page(base_url: str, href: str) -> str | None:
    url = _resolve(base_url, href)
    if url is None:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: two URLs
    with the same origin are on the same site."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ("", url, None)
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    return (scheme, (parts.hostname or "").rstrip("."), port or default)
