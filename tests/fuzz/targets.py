"""Fuzz targets (plan §2.6 and §3.1 test 14): one function per parser, taking the
fuzzer's bytes. Each raises only when it finds a bug: an exception other than the
parser's own refusal, active content after sanitizing, an address the guard should
have refused, or an input that takes too long.

They need Django set up (``tests.settings``), and only the feed target needs
atheris (it reads its input through atheris's FuzzedDataProvider): tests/fuzz/run.py
drives them under atheris, tests/fuzz/test_regressions.py replays the saved inputs
in the ordinary suite.
"""

from __future__ import annotations

import datetime
import importlib
import io
import ipaddress
import json
import random
import time
import uuid
import xmlrpc.client
from collections.abc import Callable, Iterator
from typing import Any

from defusedxml import ElementTree
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import reverse
from django.utils.text import slugify

from firsthand import rendering
from firsthand.blog.models import Author, Post, Tag
from firsthand.blog.rules import slug_for
from firsthand.conversation.models import Response
from firsthand.conversation.rules import RENDERED_KINDS
from firsthand.crosstalk import fetch
from firsthand.crosstalk.protocols import pingback
from firsthand.portability import wxr
from firsthand.site import site_url
from firsthand.syndication import feeds, topics
from tests.hostile.bombs import BOMBS
from tests.hostile.corpora import MARKDOWN_VECTORS
from tests.oracle import active_content
from tests.portability.wxr_files import FOOTER, HEADER, comment, item

# The complexity oracle: rendering has its own budget (half a second for a
# comment), so twice that plus room for a busy machine means the budget failed.
RENDER_LIMIT = 2.0
PARSE_LIMIT = 2.0


class Found(AssertionError):
    """A bug: what the target saw, for the crash report."""


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _timed(limit: float, what: str, start: float) -> None:
    took = time.monotonic() - start
    if took > limit:
        raise Found(f"{what} took {took:.2f} s (limit {limit} s)")


def render(data: bytes) -> None:
    """Markdown -> sanitized HTML, reader's and author's: no active content, and the
    sanitizer is stable on its own output."""
    text = _text(data)
    for name, make, sanitize in (
        ("response", rendering.render_response, rendering._sanitize_response_html),
        ("post", rendering.render_post, rendering.sanitize_post_html),
    ):
        start = time.monotonic()
        html = make(text)
        _timed(RENDER_LIMIT, f"render_{name}", start)
        found = active_content(html)
        if found:
            raise Found(f"render_{name} let through {found[:3]}: {html[:200]!r}")
        again = sanitize(html)
        if active_content(again):
            raise Found(f"sanitizing render_{name}'s output again: {again[:200]!r}")


def _fake_resolver(data: bytes) -> fetch.Resolver:
    """Every name resolves to an address made of the input's last bytes: the guard
    must judge whatever DNS says."""
    tail = data[-16:].rjust(16, b"\0")
    addresses = [
        str(ipaddress.IPv4Address(tail[-4:])),
        str(ipaddress.IPv6Address(tail)),
    ]
    pick = addresses[len(data) % 2]

    def resolve(host: str, port: int) -> list[str]:
        return [pick]

    return resolve


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An independent (and weaker) view of "public": the guard may refuse more."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None and not inner.is_global:
            return False
    return address.is_global and not address.is_private


def url_guard(data: bytes) -> None:
    """The fetch guard: only ``FetchError`` ever comes out, and what it lets
    through goes to a public address."""
    url = _text(data[:-16] if len(data) > 16 else data)
    start = time.monotonic()
    try:
        target = fetch._checked(url, _fake_resolver(data))
    except fetch.FetchError:
        _timed(PARSE_LIMIT, "the URL guard", start)
        return
    _timed(PARSE_LIMIT, "the URL guard", start)
    address = ipaddress.ip_address(target.address)
    if not _public(address):
        raise Found(f"the guard let {url!r} through to {address}")
    if target.url.scheme not in {"http", "https"}:
        raise Found(f"the guard let the scheme {target.url.scheme!r} through")
    fetch.refusal(url)  # the DNS-free check answers too


def xmlrpc_call(data: bytes) -> None:
    """The pingback request parser: an answer or a ``Fault``, nothing else, and
    the fault is writable as an XML-RPC answer."""
    start = time.monotonic()
    try:
        call = pingback.parse_call(data)
        if call.method == pingback.PING:
            pingback.ping_of(call)
    except pingback.Fault as fault:
        _check_fault_answer(fault)
    _timed(PARSE_LIMIT, "the XML-RPC parser", start)


def _check_fault_answer(fault: pingback.Fault) -> None:
    """The fault, written as the endpoint writes it, reads back as the same fault."""
    try:
        xmlrpc.client.loads(pingback.fault(fault.code, fault.message))
    except xmlrpc.client.Fault as answer:
        if answer.faultCode != fault.code:
            raise Found(f"fault {fault.code} came back as {answer.faultCode}") from None
        return
    raise Found(f"fault {fault.code} was not written as a fault")


def wxr_reader(data: bytes) -> None:
    """The WordPress export reader: records or a ``WxrError`` with a reason."""
    start = time.monotonic()
    try:
        for _record in wxr._records(io.BytesIO(data), len(data), lambda _: None, None):
            pass
    except wxr.WxrError as error:
        if not str(error):
            raise Found("a WxrError without a reason") from error
    _timed(PARSE_LIMIT, "the WXR reader", start)


# --- Feeds ----------------------------------------------------------------------------
# Posts, tags, an author and responses built in memory from the fuzzer's fields, never
# saved (no database: a query per input would be most of the time). Every text field
# is raw: control characters, NULs, lone surrogates (invalid UTF-8 decodes to them),
# U+FFFE. Stored text is cleaned on the way in; the feed generator promises to be the
# second line, so it must take anything. Only what the product itself derives is
# derived here the way it does: slugs (blog.rules.slug_for), the HTML of bodies (the
# renderer) and a post's summary (publishing.save_post's rule).

ATOM = "{http://www.w3.org/2005/Atom}"
_RSS_HTML = ("description", "{http://purl.org/rss/1.0/modules/content/}encoded")
FEED_LIMIT = 2.0
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_FIRST = int((datetime.datetime(1, 1, 2, tzinfo=datetime.UTC) - _EPOCH).total_seconds())
_LAST = int(
    (datetime.datetime(9999, 12, 30, tzinfo=datetime.UTC) - _EPOCH).total_seconds()
)


class _Fields:
    """The fuzzer's data as typed values (atheris.FuzzedDataProvider: lengths and
    choices from the end of the data, text from the front)."""

    def __init__(self, data: bytes) -> None:
        atheris = importlib.import_module("atheris")  # the "fuzz" extra; untyped
        self._take = atheris.FuzzedDataProvider(data)

    def number(self, low: int, high: int) -> int:
        value: int = self._take.ConsumeIntInRange(low, high)
        return value

    def text(self, longest: int) -> str:
        raw: bytes = self._take.ConsumeBytes(self.number(0, longest))
        return raw.decode("utf-8", "surrogateescape")

    def pick(self, values: list[str]) -> str:
        return values[self.number(0, len(values) - 1)]

    def time(self, latest: datetime.datetime | None = None) -> datetime.datetime:
        last = _LAST if latest is None else int((latest - _EPOCH).total_seconds())
        return _EPOCH + datetime.timedelta(seconds=self.number(_FIRST, last))

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.number(0, 2**128 - 1))


def _tags_of(post: Post, tags: list[Tag]) -> None:
    """What ``for_listing``'s prefetch leaves on a post: its tags, no query."""
    prefetched = Tag.objects.all()
    prefetched._result_cache = tags
    post._prefetched_objects_cache = {"tags": prefetched}  # type: ignore[attr-defined]


def _world(fields: _Fields) -> tuple[Author, list[Tag], list[Post], list[Response]]:
    """One author, up to three tags, one to three posts, up to five responses."""
    now = datetime.datetime.now(datetime.UTC)
    author = Author(
        pk=1, display_name=fields.text(100), slug=slugify(fields.text(30)) or "a"
    )
    tags = []
    for n in range(fields.number(0, 3)):
        name = fields.text(100)
        tags.append(Tag(pk=n + 1, name=name, slug=slug_for(name, max_length=100)))
    posts = []
    for n in range(fields.number(1, 3)):
        title = fields.text(300)
        body_format = fields.pick([Post.Format.MARKDOWN, Post.Format.HTML])
        body_html = rendering.render_post_body(fields.text(2000), body_format)
        post = Post(
            pk=n + 1,
            uid=fields.uid(),
            title=title,
            slug=slug_for(title),
            author=author,
            body_format=body_format,
            body_html=body_html,
            status=Post.Status.PUBLISHED,
            published_at=fields.time(latest=now),
            updated_at=fields.time(),
        )
        # publishing.save_post: the excerpt typed, else the start of the post.
        post.summary = fields.text(300) or rendering.plain_excerpt(body_html)
        _tags_of(post, [tag for tag in tags if fields.number(0, 1)])
        posts.append(post)
    responses = []
    for n in range(fields.number(0, 5)):
        kind = fields.pick(list(Response.Kind.values))
        body = fields.text(1000)
        edited = fields.number(0, 1)
        responses.append(
            Response(
                pk=n + 1,
                uid=fields.uid(),
                post=posts[fields.number(0, len(posts) - 1)],
                number=fields.number(1, 10**6),
                root_ordinal=fields.number(0, 10**6) or None,
                kind=kind,
                status=Response.Status.VISIBLE,
                author_name=fields.text(200),
                author_url=fields.text(500),
                source_url=fields.text(500),
                source_title=fields.text(300),
                body=body,
                body_html=(
                    rendering.render_response_body(body, rendering.MARKDOWN)
                    if kind in RENDERED_KINDS
                    else ""
                ),
                created_at=fields.time(),
                edited_at=fields.time() if edited else None,
            )
        )
    return author, tags, posts, responses


class _InMemory(feeds.BaseFeed):
    """A feed handed its scope and items instead of querying them; the rest (every
    ``item_*`` method, the generators, Django's writers) is the real feed's."""

    scope: feeds.Scope
    given: list[Any]

    def get_object(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> feeds.Scope:
        return self.scope

    def items(self, scope: feeds.Scope) -> list[Any]:
        return self.given


class _Posts(_InMemory, feeds.PostsFeed):
    pass


class _TagPosts(_InMemory, feeds.TagPostsFeed):
    pass


class _AuthorPosts(_InMemory, feeds.AuthorPostsFeed):
    pass


class _Responses(_InMemory, feeds.ResponsesFeed):
    pass


class _PostResponses(_InMemory, feeds.PostResponsesFeed):
    pass


def _served(
    author: Author, tags: list[Tag], posts: list[Post], responses: list[Response]
) -> Iterator[tuple[str, HttpRequest, _InMemory]]:
    """(route name, request, feed): every feed in every format it is served in,
    with the items it would list."""
    post = posts[0]
    tag = tags[0] if tags else None
    served: list[tuple[str, type[_InMemory], dict[str, Any], dict[str, Any], list[Any]]]
    served = [
        ("posts", _Posts, {}, {}, posts),
        ("author", _AuthorPosts, {"slug": author.slug}, {"author": author}, posts),
        ("responses", _Responses, {}, {}, responses),
        (
            "post-responses",
            _PostResponses,
            topics.post_date_kwargs(post),
            {"post": post},
            [response for response in responses if response.post is post],
        ),
    ]
    if tag is not None:
        tagged = [p for p in posts if tag in p.tags.all()]
        served.append(("tag", _TagPosts, {"slug": tag.slug}, {"tag": tag}, tagged))
    for name, kind, kwargs, about, items in served:
        for fmt in feeds.FORMATS:
            if fmt == "json" and name not in {"posts", "post-responses"}:
                continue  # as firsthand/urls.py serves them
            route = f"syndication:{name}-{fmt}"
            request = RequestFactory().get(reverse(route, kwargs=kwargs or None))
            made = kind(fmt)
            made.scope = feeds.Scope(site_url(request), request.path, **about)
            made.given = items
            yield route, request, made


def _entries(content: bytes, fmt: str) -> tuple[list[str], list[str]]:
    """(each entry's title, the HTML the entries carry) of a feed, which must
    parse: strictly as XML (expat, through defusedxml), or as JSON."""
    if fmt == "json":
        items = json.loads(content)["items"]
        return (
            [item.get("title", "") for item in items],
            [item.get("content_html", "") for item in items],
        )
    root = ElementTree.fromstring(content)
    titles: list[str] = []
    html: list[str] = []
    for entry in [*root.iter("item"), *root.iter(f"{ATOM}entry")]:
        atom = entry.tag != "item"
        title = entry.find(f"{ATOM}title" if atom else "title")
        titles.append("" if title is None else title.text or "")
        carrying = (f"{ATOM}summary", f"{ATOM}content") if atom else _RSS_HTML
        html += [
            node.text or "" for tag in carrying if (node := entry.find(tag)) is not None
        ]
    return titles, html


def feed(data: bytes) -> None:
    """Feed generation: posts and responses made of the fuzzer's fields, through
    every feed (posts, an author's, a tag's, responses, a post's) in every format it
    is served in. The output parses (XML strictly, or JSON), has an entry for each
    item, gives every post's title back as written (less what XML cannot carry) and
    carries no active content in its HTML. Feeds refuse nothing: any exception is
    a bug."""
    author, tags, posts, responses = _world(_Fields(data))
    checked: set[str] = set()
    for route, request, made in _served(author, tags, posts, responses):
        start = time.monotonic()
        answer = made(request)
        _timed(FEED_LIMIT, route, start)
        try:
            titles, fragments = _entries(answer.content, route.rsplit("-", 1)[1])
        except (ElementTree.ParseError, ValueError) as error:  # JSON's: ValueError
            raise Found(f"{route} is not well-formed: {error}") from error
        if len(titles) != len(made.given):
            raise Found(f"{route}: {len(titles)} entries for {len(made.given)} items")
        if isinstance(made, feeds.PostsFeed):
            written = [rendering.clean_text(post.title) for post in made.given]
            if [t for t in titles if t] != [t for t in written if t]:
                raise Found(f"{route} changed titles {written!r} to {titles!r}")
        for html in fragments:
            if "<" not in html or html in checked:
                continue  # no element without a "<"; each fragment checked once
            checked.add(html)
            found = active_content(html)
            if found:
                raise Found(f"{route} carries {found[:3]}: {html[:200]!r}")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "render": render,
    "url_guard": url_guard,
    "xmlrpc": xmlrpc_call,
    "wxr": wxr_reader,
    "feed": feed,
}


def seeds(target: str) -> list[bytes]:
    """Starting inputs: the hostile ones the tests already know, and valid ones."""
    if target == "render":
        texts = [*MARKDOWN_VECTORS, *(make(300) for make in BOMBS.values())]
        texts.append("# Title\n\n> quote\n\n- [link](https://a.example.org) *em*\n")
        return [t.encode() for t in texts]
    if target == "url_guard":
        public, private = bytes([93, 184, 216, 34]), bytes([10, 0, 0, 1])
        return [
            url.encode() + pad.rjust(16, b"\0")
            for url in (
                "https://example.org/page",
                "http://10.0.0.1/",
                "http://[::ffff:127.0.0.1]:8080/x",
                "http://0x7f.1/",
                "http://user@host.example:81/",
                "http://xn--nxasmq6b.example/",
                "http://2130706433/",
                "http://[fe80::1%25eth0]/",
            )
            for pad in (public, private)
        ]
    if target == "xmlrpc":
        return [
            xmlrpc.client.dumps(
                ("https://a.example/", "https://b.example/"), pingback.PING
            ).encode(),
            xmlrpc.client.dumps((), pingback.LIST_METHODS).encode(),
            xmlrpc.client.dumps(([1, {"a": 2.5}], True), "x.y").encode(),
            b'<!DOCTYPE m [<!ENTITY a "b">]><methodCall/>',
        ]
    if target == "wxr":
        body = item(3, "A post", comments=comment(9, "A comment"))
        return [(HEADER + body + FOOTER).encode(), b"<rss><channel/></rss>"]
    if target == "feed":
        # Text is taken from the front, lengths and choices from the end: hostile
        # text followed by arbitrary choices lands in some field or other.
        texts = [*MARKDOWN_VECTORS, "Ada\x00Quill\x0b", "\ufffe\uffff", "a]]>b"]
        return [b""] + [
            "".join(texts[n::6]).encode()
            + b"\xed\xa0\x80\xff"
            + random.Random(n).randbytes(64)
            for n in range(6)
        ]
    raise KeyError(target)


DICTIONARY: dict[str, list[str]] = {
    "render": ["[", "](", "![", "<", "&#", "]]>", "`", "**", "_", "~~", "> ", "- ",
               "1. ", "javascript:", "<script>", "\n\n", "    ", "&amp;", "<http://"],
    "url_guard": ["http://", "https://", "@", "[", "]", ":", "%2e", "%00", "0x",
                  "::ffff:", "localhost", "127.1", "xn--", "#", "?", "\\"],
    "xmlrpc": ["<methodCall>", "<methodName>", "<params>", "<param>", "<value>",
               "<string>", "<int>", "<double>", "<array>", "<data>", "<struct>",
               "<!DOCTYPE", "<!ENTITY", "]]>", "&#", "pingback.ping"],
    "wxr": ["<rss>", "<channel>", "<item>", "<wp:post_id>", "<wp:comment>",
            "<![CDATA[", "]]>", "<!DOCTYPE", "<!ENTITY", "<wp:wxr_version>",
            "xmlns:wp=\"http://wordpress.org/export/1.2/\"", "&#"],
    # Bytes as Latin-1 characters: invalid UTF-8 becomes lone surrogates, and
    # \xef\xbf\xbe is U+FFFE.
    "feed": ["<", "&lt;", "&#", "]]>", "<![CDATA[", "<script>", "javascript:",
             "\x00", "\x0b", "\x1f", "\r\n", "\xed\xa0\x80", "\xef\xbf\xbe", "\xff",
             "\xe2\x80\xa8", "https://", "[x](", "\"", "'"],
}  # fmt: skip
