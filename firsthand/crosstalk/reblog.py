"""Reblogs: republishing a quoted excerpt of another post, with attribution (issue 5,
point 5; docs/reblog.md).

A reblog is an ordinary post of ours whose body starts with an h-cite marked
``u-repost-of`` (https://indieweb.org/repost, https://indieweb.org/h-cite): the
original's title and address (``p-name u-url``), its author (``p-author h-card``) and
a quoted excerpt, then the reblogger's own words. Publishing it goes through
``blog.publishing`` like any post, so sending (``crosstalk.send``) tells the
original's site by Webmention; that site reads ``repost-of`` and shows "Reblogged
by". A reblog of a post on this same site is not sent over HTTP (own links are
never sent, see ``discovery.outbound_links``): it is handed to
``conversation.intake`` here, as the source "reblog".

``reblog_draft`` reads the original page's h-entry with mf2py (fetched through the
SSRF-guarded door); ``citation_for_post`` makes the same attribution for one of our
own posts (the copy-and-paste quote on the article page).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import mf2py  # type: ignore[import-untyped]
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils.text import Truncator

from firsthand.blog import publishing
from firsthand.blog.models import Author, Post
from firsthand.conversation import intake
from firsthand.conversation.submission import Submission
from firsthand.crosstalk.fetch import FetchError, fetch, fetching_for
from firsthand.crosstalk.protocols.discovery import is_html, origin
from firsthand.rendering import plain_excerpt
from firsthand.site import absolute, site_url

logger = logging.getLogger(__name__)

EXCERPT_WORDS = 60
TITLE_MAX = 300  # Post.title
NAME_MAX = 100
URL_MAX = 2000
PAGE_TIMEOUT = 8.0  # an author is waiting for the form
PAGE_MAX_BYTES = 1_048_576
# A host name (after IDNA): letters, digits, hyphens, dots.
_HOST_NAME = re.compile(
    r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$"
)


class ReblogError(Exception):
    """The page cannot be reblogged as asked; the message says why, for the form."""


@dataclasses.dataclass(frozen=True)
class Citation:
    """What a reblog says about the original: its address, title, author, excerpt
    (plain text; escaped where it is shown)."""

    url: str
    title: str
    author_name: str = ""
    author_url: str = ""
    excerpt: str = ""


@dataclasses.dataclass(frozen=True)
class Draft:
    """A reblog ready to be completed: the citation and a suggested title."""

    citation: Citation
    title: str


# --- Reading the original -------------------------------------------------------------


def reblog_draft(url: str) -> Draft:
    """Fetch ``url`` and prefill a reblog of it. Raises ``ReblogError``."""
    citation = read_citation(url)
    return Draft(citation=citation, title=_cut(f"Reblog: {citation.title}", TITLE_MAX))


def read_citation(url: str) -> Citation:
    """The attribution and excerpt of the page at ``url`` (fetched, guarded)."""
    url = url.strip()
    if urlsplit(url).scheme not in {"http", "https"}:
        raise ReblogError("Give the address of a web page, starting with https://.")
    try:
        with fetching_for("reblog"):
            page = fetch("GET", url, timeout=PAGE_TIMEOUT, max_bytes=PAGE_MAX_BYTES)
    except FetchError as error:
        raise ReblogError(f"Could not read {url}: {error.reason}.") from error
    if not page.ok:
        raise ReblogError(f"Could not read {url}: it answered {page.status_code}.")
    if not is_html(page.headers.get("Content-Type", "")):
        raise ReblogError(f"{url} is not a web page that can be quoted.")
    return citation_from_page(page.url, page.text)


def citation_from_page(page_url: str, html: str) -> Citation:
    """Read the page's h-entry (the one whose ``u-url`` is the page, else the first):
    author, name, URL and the first ``EXCERPT_WORDS`` words of its content. A page
    without one still gets its ``<title>`` and its host as the author."""
    parsed = mf2py.parse(doc=html, url=page_url)
    entry = _entry(parsed.get("items", []), page_url)
    host = (urlsplit(page_url).hostname or page_url).removeprefix("www.")
    if entry is None:
        return Citation(
            url=page_url,
            title=_cut(_page_title(html) or host, TITLE_MAX),
            author_name=host,
        )
    props: dict[str, Any] = entry.get("properties", {})
    content = _words(_text(props.get("content")) or _text(props.get("summary")))
    name = _words(_text(props.get("name")))
    if not name or name == content:  # an implied name is the whole text: no title
        name = _words(_page_title(html)) or host
    author_name, author_url = _author(props.get("author"), parsed.get("items", []))
    own_url = _text(props.get("url"))
    return Citation(
        url=own_url if own_url and _same_origin(own_url, page_url) else page_url,
        title=_cut(name, TITLE_MAX),
        author_name=_cut(author_name or host, NAME_MAX),
        author_url=web_address(author_url),
        excerpt=Truncator(content).words(EXCERPT_WORDS, truncate=" …"),
    )


def _entry(items: list[Any], page_url: str) -> dict[str, Any] | None:
    entries = [item for item in _walk(items) if "h-entry" in item.get("type", [])]
    for entry in entries:
        urls = entry.get("properties", {}).get("url", [])
        if any(isinstance(u, str) and _same_page(u, page_url) for u in urls):
            return entry
    return entries[0] if entries else None


def _walk(items: list[Any]) -> Iterator[dict[str, Any]]:
    for item in items:
        if isinstance(item, dict):
            yield item
            yield from _walk(item.get("children", []))


def _author(values: Any, items: list[Any]) -> tuple[str, str]:
    """(name, URL) of the entry's author, else of the page's first h-card."""
    candidates = list(values or []) + [
        item
        for item in items
        if isinstance(item, dict) and "h-card" in item.get("type", [])
    ]
    for value in candidates:
        if isinstance(value, dict):
            props = value.get("properties", {})
            name = _words(_text(props.get("name")) or str(value.get("value", "")))
            url = _text(props.get("url"))
            if name or url:
                return name, url
        elif isinstance(value, str) and value.strip():
            text = value.strip()
            return ("", text) if web_address(text) else (_words(text), "")
    return "", ""


def _text(values: Any) -> str:
    """The first value of an mf2 property as plain text."""
    if not values:
        return ""
    first = values[0]
    if isinstance(first, dict):
        return str(first.get("value", ""))
    return str(first)


class _TitleReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "title" and not self.done

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.inside, self.done = False, True

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.parts.append(data)


def _page_title(html: str) -> str:
    reader = _TitleReader()
    reader.feed(html[:200_000])
    return _words("".join(reader.parts))


# --- Our own posts --------------------------------------------------------------------


def citation_for_post(post: Post, request: HttpRequest | None = None) -> Citation:
    """The attribution of one of our posts, for the copy-and-paste quote."""
    return Citation(
        url=absolute(post.get_absolute_url(), request),
        title=post.title,
        author_name=post.author.display_name,
        author_url=absolute(post.author.get_absolute_url(), request),
        excerpt=plain_excerpt(post.body_html, words=EXCERPT_WORDS),
    )


def citation_html(citation: Citation) -> str:
    """The h-cite block, as pasted into a post. One HTML block without blank lines,
    so Markdown passes it through whole (CommonMark 0.31, 4.6 "HTML blocks")."""
    html = render_to_string("crosstalk/_citation.html", {"citation": citation})
    return "\n".join(line for line in html.splitlines() if line.strip())


def reblog_body(citation: Citation, own_words: str) -> str:
    """A reblog's Markdown: the citation, then the reblogger's words."""
    words = own_words.strip()
    return citation_html(citation) + (f"\n\n{words}\n" if words else "\n")


# --- Publishing -----------------------------------------------------------------------


@transaction.atomic
def publish_reblog(
    author: Author,
    citation: Citation,
    *,
    title: str,
    own_words: str,
    site: str | None = None,
) -> Post:
    """Publish a reblog by ``author`` now. Sending tells the original's site (after
    commit); an original on this site (``site``: our address, else the configured
    one) gets its "Reblogged by" through intake at once."""
    post = publishing.publish_post(
        Post(title=title, body=reblog_body(citation, own_words), author=author)
    )
    original = _local_post(citation.url, site or site_url())
    if original is not None and original.pk != post.pk:
        base = site or site_url()
        submission = Submission(
            post_id=original.pk,
            kind="repost",
            author_name=author.display_name,
            author_url=base + author.get_absolute_url(),
            body="",
            source_url=base + post.get_absolute_url(),
            source_title=post.title,
            source="reblog",
        )
        try:
            intake.receive(submission)
        except intake.Rejected as error:
            logger.info("Local reblog of post %s not recorded: %s", original.pk, error)
    return post


def _local_post(url: str, site: str) -> Post | None:
    """The published post of ours at ``url``, if it is one."""
    if not _same_origin(url, site):
        return None
    path = urlsplit(url).path
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name != "blog:post":
        return None
    post = Post.objects.published().filter(slug=match.kwargs.get("slug", "")).first()
    return post if post is not None and post.get_absolute_url() == path else None


# --- The way out to a reader's own site -----------------------------------------------


def reblog_address(site: str, post_url: str) -> str:
    """``<scheme>://<host>[:port]/reblog/?url=<post_url>`` on the reader's site.

    Only the scheme, host and port of what the reader typed are kept: whatever
    path, query, fragment or user name came with it is dropped, so this never
    becomes a redirect to an arbitrary page. Raises ``ReblogError`` (a message for
    the form) when ``site`` is not a web address.
    """
    text = site.strip()
    if not text:
        raise ReblogError("Type your site's address, such as https://my-site.example.")
    if "://" not in text:
        text = f"https://{text}"  # people type "my-site.example"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise ReblogError(f"“{site[:100]}” is not a web address.") from error
    if parts.scheme.lower() not in {"http", "https"}:
        raise ReblogError("Your site's address should start with https:// or http://.")
    if parts.username is not None or parts.password is not None:
        raise ReblogError("Leave out any user name or password from the address.")
    host = _host(parts.hostname or "")
    if host is None:
        raise ReblogError(f"“{site[:100]}” is not a web address.")
    netloc = host if port is None else f"{host}:{port}"
    query = urlencode({"url": post_url})
    return urlunsplit(
        (parts.scheme.lower(), netloc, reverse("reblog:compose"), query, "")
    )


def _host(hostname: str) -> str | None:
    """The host as it goes in a URL (IDNA, IPv6 in brackets), or None."""
    if ":" in hostname:  # urlsplit already removed the brackets of an IPv6 literal
        try:
            return f"[{ipaddress.IPv6Address(hostname).compressed}]"
        except ValueError:
            return None
    try:
        ascii_host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return ascii_host if _HOST_NAME.match(ascii_host) else None


# --- Helpers --------------------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(text.split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def web_address(url: str) -> str:
    """``url`` if it is an http(s) address of a sane length, else "": what may
    become an href in a citation."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    ok = (
        parts.scheme.lower() in {"http", "https"}
        and parts.netloc
        and len(url) <= URL_MAX
    )
    return url if ok else ""


def _same_origin(url: str, other: str) -> bool:
    return origin(url) == origin(other)


def _same_page(url: str, other: str) -> bool:
    return url.split("#")[0].rstrip("/") == other.split("#")[0].rstrip("/")
