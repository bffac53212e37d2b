"""The SSRF corpus at every place a stranger can make Firsthand fetch a URL.

Plan test 21: received Webmention and pingback sources, the author page and photo
named inside a source, reblog sources, WebSub callbacks (discovered Webmention
endpoints when sending are in tests/crosstalk/test_send.py). Every corpus address
is refused, a canary on loopback counts no hit and the socket guard is never
tripped. A pingback's answer says nothing about what the fetch would find (no
port-scan oracle). And the one door is the only door: no other module of Firsthand
opens a connection (WXR imports fetch nothing, so they have no fetch site).
"""

from __future__ import annotations

import ast
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

import firsthand
from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from firsthand.crosstalk import verify
from firsthand.crosstalk.models import Inbound
from firsthand.crosstalk.reblog import ReblogError, read_citation
from firsthand.syndication.models import Subscription
from tests.crosstalk.receiving import (
    Send,
    Source,
    entry,
    guard,
    remote,
    send_pingback,
    send_webmention,
    target_of,
)
from tests.harness.ssrf import DNS, REFUSED
from tests.loopback import LoopbackServer, Reply, SocketGuard

__all__ = ["guard", "remote", "send_pingback", "send_webmention"]  # fixtures


@pytest.fixture
def canary(guard: SocketGuard, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A loopback server nothing may reach; the fake DNS replaces the real one."""
    monkeypatch.setattr("firsthand.crosstalk.fetch.system_resolver", DNS)
    with LoopbackServer(lambda seen: Reply(200, b"you should not see this")) as server:
        guard.allow(server)
        yield server.port
        assert server.hits == 0
    assert guard.blocked == []


def corpus(port: int) -> list[str]:
    return [template.format(c=port) for template in REFUSED]


def sender(n: int) -> str:
    """A distinct documentation address per request, so the per-sender limit
    never decides the outcome."""
    return f"198.51.100.{n % 250 + 1}"


@pytest.mark.parametrize("protocol", ["webmention", "pingback"])
def test_received_pings_never_reach_a_corpus_address(
    protocol: str,
    canary: int,
    post: Post,
    send_webmention: Send,
    send_pingback: Send,
    settings: Settings,
) -> None:
    send = send_webmention if protocol == "webmention" else send_pingback
    for n, source in enumerate(corpus(canary)):
        answer = send(source, target_of(post), ip=sender(n))
        assert answer.status_code in (200, 201, 202, 400), (source, answer.content)
    assert not Response.objects.exists()
    statuses = set(Inbound.objects.values_list("status", flat=True))
    assert statuses <= {Inbound.Status.REJECTED, Inbound.Status.FAILED}
    for inbound in Inbound.objects.filter(status=Inbound.Status.REJECTED):
        assert "not fetched" in inbound.reason, inbound.reason


def test_a_pingback_answer_is_the_same_whatever_the_fetch_would_find(
    canary: int,
    guard: SocketGuard,
    post: Post,
    send_pingback: Send,
    settings: Settings,
) -> None:
    # Plan test 25: open port, closed port, loopback canary, private address. The
    # answer comes before any fetch, so it cannot tell them apart.
    with LoopbackServer(lambda seen: Reply(200, b"<p>no link here</p>")) as open_port:
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
        closed.close()
        guard.allow(open_port)
        guard.allowed.add(("127.0.0.1", closed_port))
        settings.FIRSTHAND_FETCH_ALLOW = [
            open_port.host_port,
            f"127.0.0.1:{closed_port}",
        ]
        sources = [
            open_port.url("/a"),
            f"http://127.0.0.1:{closed_port}/a",
            f"http://127.0.0.1:{canary}/a",
            "http://10.0.0.1/a",
            "http://metadata.example/a",
        ]
        answers = {
            (reply.status_code, reply.content)
            for n, source in enumerate(sources)
            for reply in [send_pingback(source, target_of(post), ip=sender(n))]
        }
    assert len(answers) == 1, answers
    ((status, body),) = answers
    assert status == 200
    assert b"<fault>" not in body


def test_the_author_page_and_photo_named_by_a_source_are_never_fetched(
    canary: int, remote: Source, post: Post, send_webmention: Send
) -> None:
    # The CVE-2026-0686 path: a plugin fetched the author's page and photo found in
    # the source. Firsthand stores them as text and fetches neither.
    html = entry(target_of(post), prop="in-reply-to")
    photo = f"http://127.0.0.1:{canary}/photo.jpg"
    author = f"http://sneaky.example:{canary}/about"
    html = html.replace(
        '<a class="p-author h-card" href="/about">Bob Reader</a>',
        f'<span class="p-author h-card"><a class="u-url p-name" href="{author}">'
        f'Bob Reader</a><img class="u-photo" src="{photo}" alt=""></span>',
    )
    source = remote.page("/notes/1", html)
    answer = send_webmention(source, target_of(post))
    assert answer.status_code in (201, 202)
    assert remote.fetches() == 1  # the source, once; nothing it names
    response = Response.objects.get()
    assert response.author_photo == photo


def test_a_reblog_source_from_the_corpus_is_refused(canary: int) -> None:
    for source in corpus(canary):
        with pytest.raises(ReblogError):
            read_citation(source)


@pytest.mark.django_db
def test_a_websub_callback_from_the_corpus_is_never_called(
    canary: int,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    topic = "http://testserver" + reverse("syndication:posts-atom")
    for n, callback in enumerate(corpus(canary)):
        with django_capture_on_commit_callbacks(execute=True):
            reply = client.post(
                reverse("syndication:websub-hub"),
                {
                    "hub.mode": "subscribe",
                    "hub.callback": callback,
                    "hub.topic": topic,
                },
                REMOTE_ADDR=sender(n),
            )
        assert reply.status_code in (202, 400), (callback, reply.content)
    assert not Subscription.objects.active().exists()


# --- One door --------------------------------------------------------------------

# Modules that open connections. Only the outbound door may import them; Django's
# own mail backend (SMTP, to the operator's server) is configuration, not a fetch.
NETWORK_MODULES = {
    "httpx",
    "socket",
    "urllib.request",
    "http.client",
    "requests",
    "urllib3",
    "aiohttp",
    "ftplib",
    "smtplib",
    "telnetlib",
}
THE_DOOR = Path(firsthand.__file__).parent / "crosstalk" / "fetch.py"
# Modules that may import one of them for something that opens nothing: the
# SMTP error classes (mail goes through Django's backend, to the operator's own
# server), the host name in a worker's id. They must not open anything themselves.
NAMES_ONLY = {
    "conversation/mail.py": {"smtplib"},
    "jobs/leases.py": {"socket"},
}
OPENERS = ("socket.socket(", "create_connection", "getaddrinfo", "SMTP(", "SMTP_SSL(")


def imported_modules(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_no_module_but_the_door_can_open_a_connection() -> None:
    package = Path(firsthand.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path == THE_DOOR:
            continue
        where = path.relative_to(package).as_posix()
        text = path.read_text(encoding="utf-8")
        for name in imported_modules(ast.parse(text)):
            top = name.split(".")[0]
            network = name in NETWORK_MODULES or top in NETWORK_MODULES
            if network and top not in NAMES_ONLY.get(where, set()):
                offenders.append(f"{where} imports {name}")
        if "ServerProxy" in text or "urlopen" in text:
            offenders.append(f"{where} may open a URL")
        if where in NAMES_ONLY:
            offenders += [f"{where} calls {o}" for o in OPENERS if o in text]
    assert offenders == []
    # The door itself does import them: the check looks where it should.
    door = set(imported_modules(ast.parse(THE_DOOR.read_text(encoding="utf-8"))))
    assert {"httpx", "socket"} <= door


DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}


def test_a_flood_naming_one_source_host_waits_for_the_budget(
    remote: Source,
    post: Post,
    send_webmention: Send,
    settings: Settings,
    fresh_minute: None,
) -> None:
    # Plan test 25: many pings naming pages of one host. The host is fetched at
    # most its budget a minute; the rest are not refused, they wait their turn.
    settings.TASKS = DATABASE_TASKS  # queued for a worker, run here by hand
    settings.FIRSTHAND_OUTBOUND_PER_HOST_PER_MINUTE = 3
    for n in range(5):
        source = remote.page(f"/notes/{n}", entry(target_of(post)))
        assert send_webmention(source, target_of(post), ip=sender(n)).status_code in (
            201,
            202,
        )
    outcomes = [verify.verify(i.pk, 1) for i in Inbound.objects.order_by("pk")]
    assert remote.fetches() == 3
    assert [o.retry_at is None for o in outcomes] == [True] * 3 + [False] * 2
    assert all("budget of 3 requests a minute" in o.error for o in outcomes[3:])
    waiting = Inbound.objects.order_by("pk")[3:]
    assert {i.status for i in waiting} == {Inbound.Status.RECEIVED}
