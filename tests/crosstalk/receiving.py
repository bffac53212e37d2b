"""What the receiving tests share: a source site on loopback and the senders.

The source site is a real HTTP server on 127.0.0.1 that serves whatever page a
test puts at a path (``source.page("/notes/1", html)``); FIRSTHAND_FETCH_ALLOW names
exactly its host:port and a socket guard refuses any other connection, so a
verification that tried to reach anything else fails the test.
"""

from __future__ import annotations

import dataclasses
import xmlrpc.client
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from firsthand.blog.models import Post
from tests.loopback import LoopbackServer, Reply, Seen, SocketGuard

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Page

SITE = "http://testserver"
SENDER_IP = "203.0.113.7"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def target_of(post: Post) -> str:
    return SITE + post.get_absolute_url()


class SourceSite:
    """Pages by path; a path not given answers 404."""

    def __init__(self) -> None:
        self.pages: dict[str, Reply] = {}

    def page(self, path: str, html: str, status: int = 200) -> None:
        self.pages[path] = Reply(status, html.encode(), HTML)

    def gone(self, path: str) -> None:
        self.pages[path] = Reply(410, b"Gone", {"Content-Type": "text/plain"})

    def __call__(self, seen: Seen) -> Reply:
        return self.pages.get(seen.path, Reply(404, b"Not here"))


@dataclasses.dataclass
class Source:
    server: LoopbackServer
    site: SourceSite

    def url(self, path: str) -> str:
        return self.server.url(path)

    def page(self, path: str, html: str, status: int = 200) -> str:
        self.site.page(path, html, status)
        return self.url(path)

    def gone(self, path: str) -> None:
        self.site.gone(path)

    def fetches(self, path: str | None = None) -> int:
        return sum(1 for s in self.server.seen if path is None or s.path == path)


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> SocketGuard:
    guard = SocketGuard()
    guard.install(monkeypatch.setattr)
    return guard


@pytest.fixture
def remote(guard: SocketGuard, settings: Settings) -> Iterator[Source]:
    """Bob's site, where the source pages are."""
    with LoopbackServer(SourceSite()) as server:
        guard.allow(server)
        settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
        assert isinstance(server.behaviour, SourceSite)
        yield Source(server, server.behaviour)
    assert guard.blocked == []


Send = Callable[..., "Page"]


@pytest.fixture
def send_webmention(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> Send:
    """POST source and target; the verification queued after commit runs at once."""

    def send(source: str, target: str, ip: str = SENDER_IP) -> Page:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("crosstalk:webmention"),
                {"source": source, "target": target},
                REMOTE_ADDR=ip,
            )

    return send


@pytest.fixture
def send_pingback(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> Send:
    """Call pingback.ping(source, target) over XML-RPC at /xmlrpc/."""

    def send(
        source: str, target: str, ip: str = SENDER_IP, path: str = "/xmlrpc/"
    ) -> Page:
        body = xmlrpc.client.dumps((source, target), "pingback.ping")
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, body, content_type="text/xml", REMOTE_ADDR=ip)

    return send


def xmlrpc_answer(page: Page) -> Any:
    """The value of an XML-RPC answer; raises ``xmlrpc.client.Fault`` for a fault."""
    assert page["Content-Type"].startswith("text/xml")
    values, _method = xmlrpc.client.loads(page.content)
    return values[0]


def fault_code(page: Page) -> int:
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc_answer(page)
    return int(raised.value.faultCode)


def entry(
    target: str,
    *,
    text: str = "I think this post is right about prices.",
    prop: str = "",
    author: str = "Bob Reader",
    title: str = "",
) -> str:
    """A real-looking h-entry page linking to ``target`` (as ``prop`` when given:
    ``in-reply-to``, ``like-of``, ``repost-of``; else in its text)."""
    if prop:
        cite = f'<a class="u-{prop}" href="{target}">the post</a>'
        content = f'<div class="e-content"><p>{text}</p></div>'
    else:
        cite = ""
        content = (
            f'<div class="e-content"><p>Some context first. {text} '
            f'Ada put it well in <a href="{target}">her post on prices</a>. '
            "More words follow after that.</p></div>"
        )
    name = f'<h1 class="p-name">{title}</h1>' if title else ""
    return f"""<!doctype html>
<html><head><title>Bob's notes</title>
<meta property="og:site_name" content="Bob's Notes"></head>
<body><nav><a href="/">Home</a></nav>
<article class="h-entry">{name}
  <a class="p-author h-card" href="/about">{author}</a>
  {cite}
  {content}
  <a class="u-url" href="/notes/1">#</a>
</article></body></html>"""
