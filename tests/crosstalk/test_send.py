"""Sending Webmentions and pingbacks, against real sites on loopback.

Each peer is an HTTP server on 127.0.0.1 with pages that advertise (or not) an
endpoint, and endpoints that record what they are sent. FIRSTHAND_FETCH_ALLOW names
exactly the peers' host:port, and a socket guard refuses any other connection.
Publishing and editing run the after-commit work at once (the immediate backend);
retries are checked on the production database backend.
"""

from __future__ import annotations

import dataclasses
import datetime
import xmlrpc.client
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from firsthand.blog import publishing
from firsthand.blog.models import Post
from firsthand.crosstalk import send, tasks_outbound
from firsthand.crosstalk.models import Outbound
from tests.harness.ssrf import DNS, REFUSED
from tests.loopback import LoopbackServer, Reply, Seen, SocketGuard

pytestmark = pytest.mark.django_db

SITE = "https://ada.example"
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def page(body: str = "<p>A post.</p>", **headers: str) -> Reply:
    names = {name.replace("_", "-"): value for name, value in headers.items()}
    return Reply(200, f"<!doctype html><html>{body}</html>".encode(), {**HTML, **names})


def xmlrpc_answer(value: str) -> Reply:
    body = xmlrpc.client.dumps((value,), methodresponse=True).encode()
    return Reply(200, body, {"Content-Type": "text/xml"})


def xmlrpc_fault(code: int, text: str) -> Reply:
    body = xmlrpc.client.dumps(xmlrpc.client.Fault(code, text)).encode()
    return Reply(200, body, {"Content-Type": "text/xml"})


@dataclasses.dataclass
class Peer:
    """Another site: ``pages`` answer GETs, ``endpoints`` answer POSTs, by path."""

    pages: dict[str, Reply]
    endpoints: dict[str, Reply]
    server: LoopbackServer = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self)

    def __call__(self, seen: Seen) -> Reply:
        table = self.pages if seen.method == "GET" else self.endpoints
        return table.get(seen.path, Reply(404, b"not here"))

    def url(self, path: str) -> str:
        return self.server.url(path)

    def posted(self, path: str) -> list[Seen]:
        return [s for s in self.server.seen if s.method == "POST" and s.path == path]

    def webmentions(self) -> list[dict[str, str]]:
        return [_form(seen.body) for seen in self.posted("/webmention")]

    def pings(self) -> list[tuple[Any, ...]]:
        calls = [xmlrpc.client.loads(seen.body) for seen in self.posted("/xmlrpc")]
        assert all(method == "pingback.ping" for _, method in calls)
        return [params for params, _ in calls]


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode()))


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> SocketGuard:
    guard = SocketGuard()
    guard.install(monkeypatch.setattr)
    return guard


Start = Callable[..., Peer]


@pytest.fixture
def start_peer(guard: SocketGuard, settings: Settings) -> Iterator[Start]:
    """Start a peer the guard and FIRSTHAND_FETCH_ALLOW let the site reach."""
    settings.FIRSTHAND_SITE_URL = SITE
    settings.FIRSTHAND_FETCH_ALLOW = []
    running: list[Peer] = []

    def start(
        pages: dict[str, Reply] | None = None,
        endpoints: dict[str, Reply] | None = None,
        *,
        allowed: bool = True,
    ) -> Peer:
        peer = Peer(pages=pages or {}, endpoints=endpoints or {})
        peer.server.__enter__()
        running.append(peer)
        guard.allow(peer.server)
        if allowed:
            settings.FIRSTHAND_FETCH_ALLOW = [
                *settings.FIRSTHAND_FETCH_ALLOW,
                peer.server.host_port,
            ]
        return peer

    yield start
    for peer in running:
        peer.server.__exit__(None, None, None)
    assert guard.blocked == []


@pytest.fixture
def bob(start_peer: Start) -> Peer:
    """Bob's site takes Webmentions (Link header, endpoint with a query string) and
    answers 201 with a status page."""
    return start_peer(
        pages={
            "/frames": page(Link='</webmention?version=1>; rel="webmention"'),
            "/old": Reply(301, b"", {"Location": "/moved/frames"}),
            "/moved/frames": page('<link rel="webmention" href="../webmention">'),
        },
        endpoints={
            "/webmention": Reply(201, b"", {"Location": "/webmention/status/7"}),
        },
    )


@pytest.fixture
def carol(start_peer: Start) -> Peer:
    """Carol's blog only speaks pingback (advertised in the page)."""
    return start_peer(
        pages={"/prices": page('<link rel="pingback" href="/xmlrpc">')},
        endpoints={"/xmlrpc": xmlrpc_answer("Thanks for the ping.")},
    )


@pytest.fixture
def on_commit(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> Callable[[], Any]:
    """``with on_commit():`` runs what the block queued for after commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def publish(
    make_post: Callable[..., Post], on_commit: Callable[[], Any]
) -> Callable[[str], Post]:
    def run(body: str) -> Post:
        with on_commit():
            return make_post("Prices, again", body=body)

    return run


def edit(post: Post, body: str, on_commit: Callable[[], Any]) -> None:
    post.body = body
    with on_commit():
        publishing.save_post(post)


def source_of(post: Post) -> str:
    return SITE + post.get_absolute_url()


def row(target: str) -> Outbound:
    return Outbound.objects.get(target=target)


# --- Publishing -----------------------------------------------------------------------


def test_publishing_tells_each_linked_site_the_way_it_listens(
    bob: Peer, carol: Peer, publish: Callable[[str], Post]
) -> None:
    post = publish(
        f"I agree with [Bob]({bob.url('/frames')}) and [Carol]({carol.url('/prices')})."
    )
    assert bob.webmentions() == [
        {"source": source_of(post), "target": bob.url("/frames")}
    ]
    # Section 3.1.2: the endpoint's own query string stays in the URL it is posted to.
    assert bob.posted("/webmention")[0].query == {"version": "1"}
    assert bob.posted("/webmention")[0].headers["content-type"] == (
        "application/x-www-form-urlencoded"
    )
    assert carol.pings() == [(source_of(post), carol.url("/prices"))]

    told_bob = row(bob.url("/frames"))
    assert (told_bob.status, told_bob.protocol) == ("sent", "webmention")
    assert told_bob.endpoint == bob.url("/webmention?version=1")
    assert told_bob.result_url == bob.url("/webmention/status/7")
    assert told_bob.attempts == 1
    assert told_bob.sent_at is not None
    told_carol = row(carol.url("/prices"))
    assert (told_carol.status, told_carol.protocol) == ("sent", "pingback")
    assert told_carol.endpoint == carol.url("/xmlrpc")


def test_a_redirected_page_resolves_its_endpoint_from_where_it_landed(
    bob: Peer, publish: Callable[[str], Post]
) -> None:
    post = publish(f"[Old address]({bob.url('/old')})")
    # The target stays the link as written; the endpoint is relative to /moved/frames.
    assert bob.webmentions() == [{"source": source_of(post), "target": bob.url("/old")}]
    assert row(bob.url("/old")).endpoint == bob.url("/webmention")


def test_a_site_that_takes_no_mentions_is_left_alone(
    start_peer: Start, publish: Callable[[str], Post]
) -> None:
    dan = start_peer(pages={"/note": page('<link rel="stylesheet" href="/s.css">')})
    publish(f"[Dan]({dan.url('/note')})")
    told = row(dan.url("/note"))
    assert told.status == Outbound.Status.NO_ENDPOINT
    assert "no Webmention endpoint" in told.last_error
    assert [s.method for s in dan.server.seen] == ["GET"]


def test_links_to_our_own_site_and_drafts_send_nothing(
    bob: Peer, make_post: Callable[..., Post], on_commit: Callable[[], Any]
) -> None:
    with on_commit():
        make_post(body=f"[draft]({bob.url('/frames')})", draft=True)
        make_post(body=f"[earlier]({SITE}/2026/01/01/earlier/) and [top](/)")
    assert not Outbound.objects.exists()
    assert bob.server.hits == 0


def test_a_webmention_endpoint_that_refuses_is_recorded(
    start_peer: Start, publish: Callable[[str], Post]
) -> None:
    erin = start_peer(
        pages={"/p": page(Link='</wm>; rel="webmention"')},
        endpoints={"/wm": Reply(400, b"target not found")},
    )
    publish(f"[Erin]({erin.url('/p')})")
    told = row(erin.url("/p"))
    assert told.status == Outbound.Status.FAILED
    assert told.last_error == "the Webmention endpoint refused it with 400"


@pytest.mark.parametrize(
    ("answer", "status", "error"),
    [
        (xmlrpc_fault(0x0011, "No link to the target"), "failed", "pingback fault 17"),
        (xmlrpc_fault(0x0030, "Already registered"), "sent", ""),
        (Reply(200, b"<html>not xml-rpc</html>"), "failed", "pingback fault 0"),
    ],
)
def test_pingback_faults_are_recorded(
    start_peer: Start,
    publish: Callable[[str], Post],
    answer: Reply,
    status: str,
    error: str,
) -> None:
    frank = start_peer(
        pages={"/p": page(X_Pingback="/xmlrpc")}, endpoints={"/xmlrpc": answer}
    )
    publish(f"[Frank]({frank.url('/p')})")
    told = row(frank.url("/p"))
    assert told.status == status
    assert told.last_error.startswith(error)


def test_an_answer_with_a_dtd_is_never_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<methodResponse><params><param><value>&lol2;</value></param></params>"
        b"</methodResponse>"
    )
    code, message = send.xmlrpc_fault(bomb)
    assert code == 0
    assert "not XML-RPC" in message


# --- Editing --------------------------------------------------------------------------


def test_editing_a_link_away_tells_the_webmention_site_once_more(
    bob: Peer, carol: Peer, publish: Callable[[str], Post], on_commit: Callable[[], Any]
) -> None:
    post = publish(f"[Bob]({bob.url('/frames')}) and [Carol]({carol.url('/prices')}).")
    edit(post, "On second thought, I link to nobody.", on_commit)

    # Webmention 3.3.1: the removed target is told again; its site finds no link
    # any more and drops the mention. Pingback has no way to take one back.
    assert len(bob.webmentions()) == 2
    assert bob.webmentions()[-1] == {
        "source": source_of(post),
        "target": bob.url("/frames"),
    }
    assert len(carol.pings()) == 1
    told_bob, told_carol = row(bob.url("/frames")), row(carol.url("/prices"))
    assert (told_bob.linked, told_bob.status) == (False, "sent")
    assert (told_carol.linked, told_carol.status) == (False, "sent")

    edit(post, "Still nobody, with a typo fixed.", on_commit)
    assert len(bob.webmentions()) == 2  # told once, not at every edit


def test_an_update_is_sent_again_by_webmention_only(
    bob: Peer, carol: Peer, publish: Callable[[str], Post], on_commit: Callable[[], Any]
) -> None:
    body = f"[Bob]({bob.url('/frames')}) and [Carol]({carol.url('/prices')})."
    post = publish(body)
    edit(post, body + " Updated with a new paragraph.", on_commit)
    assert len(bob.webmentions()) == 2  # the receiver replaces its copy
    assert len(carol.pings()) == 1  # a second ping would be "already registered"


def test_a_link_added_in_an_edit_is_sent_and_one_put_back_is_new_again(
    bob: Peer, carol: Peer, publish: Callable[[str], Post], on_commit: Callable[[], Any]
) -> None:
    post = publish(f"[Carol]({carol.url('/prices')})")
    edit(
        post, f"[Carol]({carol.url('/prices')}) [Bob]({bob.url('/frames')})", on_commit
    )
    assert len(bob.webmentions()) == 1
    edit(post, "nobody", on_commit)
    edit(post, f"[Carol]({carol.url('/prices')}) again", on_commit)
    assert len(carol.pings()) == 2  # removed, then linked anew: a new mention
    assert row(carol.url("/prices")).linked is True


def test_a_removed_link_never_delivered_is_forgotten(
    start_peer: Start, publish: Callable[[str], Post], on_commit: Callable[[], Any]
) -> None:
    dan = start_peer(pages={"/note": page()})
    post = publish(f"[Dan]({dan.url('/note')})")
    assert row(dan.url("/note")).status == Outbound.Status.NO_ENDPOINT
    edit(post, "gone", on_commit)
    assert not Outbound.objects.exists()


# --- Failures and retries -------------------------------------------------------------


def test_a_server_error_is_recorded_and_left_pending(
    start_peer: Start, publish: Callable[[str], Post]
) -> None:
    gina = start_peer(pages={"/p": Reply(503, b"busy")})
    publish(f"[Gina]({gina.url('/p')})")
    told = row(gina.url("/p"))
    # The immediate backend cannot hold a retry; the row waits for the next edit.
    assert (told.status, told.attempts) == ("pending", 1)
    assert told.last_error == "the page answered 503"


def test_a_failed_attempt_is_retried_later_with_backoff(
    start_peer: Start, publish: Callable[[str], Post], settings: Settings
) -> None:
    gina = start_peer(
        pages={"/p": Reply(500, b"oops")},
        endpoints={"/wm": Reply(202)},
    )
    publish(f"[Gina]({gina.url('/p')})")
    told = row(gina.url("/p"))
    settings.TASKS = DATABASE_TASKS
    Outbound.objects.filter(pk=told.pk).update(attempts=0)

    with pytest.raises(tasks_outbound.SendFailed, match="attempt 1: the page"):
        tasks_outbound.send_mention_task.call(told.pk, 1)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"] == [told.pk, 2]
    assert retry.run_after is not None
    wait = retry.run_after - timezone.now()
    assert datetime.timedelta(seconds=50) < wait <= datetime.timedelta(seconds=60)

    gina.pages["/p"] = page(Link='</wm>; rel="webmention"')
    assert tasks_outbound.send_mention_task.call(told.pk, 2).startswith("sent")
    # The same attempt queued twice (a retry and an edit) is done once.
    assert tasks_outbound.send_mention_task.call(told.pk, 2).startswith("skipped")
    assert len(gina.posted("/wm")) == 1


def test_a_busy_endpoint_is_given_the_time_it_asks_for(
    start_peer: Start, publish: Callable[[str], Post]
) -> None:
    """A receiver that saw this source moments ago answers 429 with Retry-After."""
    hana = start_peer(
        pages={"/p": page(Link='</wm>; rel="webmention"')},
        endpoints={"/wm": Reply(429, b"too soon", {"Retry-After": "600"})},
    )
    publish(f"[Hana]({hana.url('/p')})")
    told = row(hana.url("/p"))
    assert (told.status, told.attempts) == ("pending", 1)
    outcome = send.send_one(told.pk, 2)
    assert outcome.retry_at is not None
    wait = outcome.retry_at - timezone.now()
    assert datetime.timedelta(seconds=590) < wait <= datetime.timedelta(seconds=600)
    assert row(hana.url("/p")).last_error == "the Webmention endpoint answered 429"


def test_the_last_attempt_gives_up(
    start_peer: Start, publish: Callable[[str], Post]
) -> None:
    gina = start_peer(pages={"/p": Reply(502, b"bad gateway")})
    publish(f"[Gina]({gina.url('/p')})")
    told = row(gina.url("/p"))
    Outbound.objects.filter(pk=told.pk).update(attempts=send.MAX_ATTEMPTS - 1)
    outcome = send.send_one(told.pk, send.MAX_ATTEMPTS)
    assert outcome.retry_at is None
    assert row(gina.url("/p")).status == Outbound.Status.FAILED


def test_without_a_site_address_nothing_is_sent(
    bob: Peer, publish: Callable[[str], Post], settings: Settings
) -> None:
    settings.FIRSTHAND_SITE_URL = ""
    publish(f"[Bob]({bob.url('/frames')})")
    told = row(bob.url("/frames"))
    assert (told.status, told.attempts) == ("pending", 0)
    assert "FIRSTHAND_SITE_URL" in told.last_error
    assert bob.server.hits == 0


# --- The SSRF guard -------------------------------------------------------------------


def test_a_link_to_a_loopback_address_is_refused_before_anything_is_sent(
    start_peer: Start, publish: Callable[[str], Post]
) -> None:
    hidden = start_peer(
        pages={"/admin": page(Link='</wm>; rel="webmention"')}, allowed=False
    )
    publish(f"[internal]({hidden.url('/admin')}) and [meta](http://169.254.169.254/x)")
    assert hidden.server.hits == 0
    told = row(hidden.url("/admin"))
    assert told.status == Outbound.Status.FAILED
    assert "loopback" in told.last_error
    assert "link-local" in row("http://169.254.169.254/x").last_error


@pytest.mark.parametrize("how", ["Link header", "<link>", "<a rel>", "relative"])
def test_no_endpoint_from_the_ssrf_corpus_is_ever_called(
    how: str,
    start_peer: Start,
    publish: Callable[[str], Post],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Plan test 21: an allowed page advertises its endpoint at every corpus address
    # (and, "relative", at paths that resolve onto a forbidden loopback port).
    monkeypatch.setattr("firsthand.crosstalk.fetch.system_resolver", DNS)
    settings.FIRSTHAND_OUTBOUND_PER_HOST_PER_MINUTE = 1000  # one host serves all
    canary = start_peer(endpoints={"/wm": Reply(202)}, allowed=False)
    c = canary.server.port
    if how == "relative":
        endpoints = [f"//127.0.0.1:{c}/wm", f"//localhost:{c}/wm", f"//[::1]:{c}/wm"]
    else:
        endpoints = [t.format(c=c) for t in REFUSED]
    pages: dict[str, Reply] = {}
    for n, endpoint in enumerate(endpoints):
        if how == "Link header":
            if any(ord(ch) < 32 or ord(ch) > 126 for ch in endpoint):
                continue  # cannot travel in a header line as it is
            pages[f"/p{n}"] = page(Link=f'<{endpoint}>; rel="webmention"')
        elif how == "<a rel>":
            pages[f"/p{n}"] = page(f'<a rel="webmention" href="{endpoint}">wm</a>')
        else:
            pages[f"/p{n}"] = page(f'<link rel="webmention" href="{endpoint}">')
    luring = start_peer(pages=pages)
    publish(" ".join(f"[{n}]({luring.url(path)})" for n, path in enumerate(pages)))
    assert canary.server.hits == 0
    assert len(luring.server.seen) == len(pages)  # one GET per page, no POST
    for path in pages:
        told = row(luring.url(path))
        assert told.status in (Outbound.Status.FAILED, Outbound.Status.NO_ENDPOINT)


def test_an_endpoint_on_a_private_address_is_refused(
    start_peer: Start, publish: Callable[[str], Post]
) -> None:
    hidden = start_peer(endpoints={"/wm": Reply(202)}, allowed=False)
    luring = start_peer(
        pages={"/p": page(Link=f'<{hidden.url("/wm")}>; rel="webmention"')}
    )
    publish(f"[lure]({luring.url('/p')})")
    assert hidden.server.hits == 0
    told = row(luring.url("/p"))
    assert told.status == Outbound.Status.FAILED
    assert "loopback" in told.last_error
