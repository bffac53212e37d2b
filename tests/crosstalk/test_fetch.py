"""The outbound door refuses every non-public address before a packet leaves.

Inputs from security-test-plan test section C (20, 22, 23, 24). A socket guard
allows connections only to the test's own loopback servers, so a validator bug
fails here at ``connect()`` rather than reaching anything.
"""

from __future__ import annotations

import gzip
import logging
import re
import time
from collections.abc import Callable, Iterator

import pytest
from pytest_django import Settings

from firsthand import ratelimit
from firsthand.crosstalk.fetch import (
    FetchError,
    fetch,
    fetching_for,
    refusal,
    user_agent,
)
from tests.harness.ssrf import DNS, REFUSED, fake_dns
from tests.loopback import LoopbackServer, Reply, Seen, SocketGuard

Serve = Callable[[Callable[[Seen], Reply]], LoopbackServer]

# The per-host budget is counted in the shared guard cache (a database table here).
pytestmark = pytest.mark.django_db


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> SocketGuard:
    guard = SocketGuard()
    guard.install(monkeypatch.setattr)
    return guard


@pytest.fixture
def serve(guard: SocketGuard) -> Iterator[Serve]:
    """Start loopback servers the socket guard lets the test reach."""
    running: list[LoopbackServer] = []

    def start(behaviour: Callable[[Seen], Reply]) -> LoopbackServer:
        server = LoopbackServer(behaviour).__enter__()
        running.append(server)
        guard.allow(server)
        return server

    yield start
    for server in running:
        server.__exit__(None, None, None)


@pytest.fixture
def canary(serve: Serve) -> LoopbackServer:
    """A server nothing may reach: every test asserts it counted no hit."""
    return serve(lambda seen: Reply(200, b"you should not see this"))


@pytest.mark.parametrize("template", REFUSED)
def test_non_public_addresses_are_refused_before_connecting(
    template: str, canary: LoopbackServer, guard: SocketGuard
) -> None:
    with pytest.raises(FetchError) as refused:
        fetch("GET", template.format(c=canary.port), resolver=DNS)
    assert refused.value.refused, refused.value.reason
    assert canary.hits == 0
    assert guard.blocked == []


def test_the_reason_names_the_address(canary: LoopbackServer) -> None:
    loopback = r"sneaky\.example leads to 127\.0\.0\.1, which is a loopback"
    with pytest.raises(FetchError, match=loopback):
        fetch("GET", f"http://sneaky.example:{canary.port}/", resolver=DNS)
    with pytest.raises(FetchError, match="non-standard form"):
        fetch("GET", f"http://2130706433:{canary.port}/")


def test_an_allowed_host_and_port_is_fetched(serve: Serve, settings: Settings) -> None:
    plain = {"Content-Type": "text/plain; charset=utf-8"}
    server = serve(lambda seen: Reply(200, "héllo".encode(), plain))
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    result = fetch("GET", server.url("/page?x=1"))
    assert result.ok
    assert result.status_code == 200
    assert result.text == "héllo"
    assert result.headers["content-type"] == "text/plain; charset=utf-8"
    (seen,) = server.seen
    assert (seen.path, seen.query) == ("/page", {"x": "1"})
    assert re.fullmatch(
        r"Firsthand/\S+ \(\+http://\S+; request [0-9a-f]{16}\)",
        seen.headers["user-agent"],
    )
    assert seen.headers["host"] == server.host_port


def test_each_request_carries_an_opaque_id_that_the_log_ties_to_its_job(
    serve: Serve, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Plan test 25: a receiving admin can quote the id; this site's log says what
    # the request was for. The id itself says nothing about the job.
    server = serve(lambda seen: Reply(200, b"ok"))
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    caplog.set_level(logging.INFO, logger="firsthand.crosstalk.fetch")
    with fetching_for("verifying received ping 42"):
        fetch("GET", server.url("/a"))
    with fetching_for("reblog"):
        fetch("GET", server.url("/b"))
    ids = [s.headers["user-agent"].rsplit(" ", 1)[1].rstrip(")") for s in server.seen]
    assert len(set(ids)) == 2
    # Random hex, nothing else ("42" alone would sometimes be in it by chance).
    assert all(re.fullmatch(r"[0-9a-f]{16}", request_id) for request_id in ids), ids
    logged = [r.getMessage() for r in caplog.records]
    first = server.url("/a")
    assert (
        f"Fetching GET {first} (request {ids[0]} for verifying received ping 42)"
        in (logged)
    )
    assert f"Fetching GET {server.url('/b')} (request {ids[1]} for reblog)" in logged
    assert user_agent().startswith("Firsthand/")


def test_one_host_gets_at_most_its_budget_a_minute(
    serve: Serve, settings: Settings, fresh_minute: None
) -> None:
    # Plan test 25: a flood of pings naming one victim cannot make this site
    # hammer it. Names count apart; one address counts all names sharing it.
    server = serve(lambda seen: Reply(200, b"ok"))
    names = [f"host{n}.example" for n in range(5)]
    resolve = fake_dns({name: ["127.0.0.1"] for name in names})
    settings.FIRSTHAND_FETCH_ALLOW = [f"{name}:{server.port}" for name in names]
    settings.FIRSTHAND_OUTBOUND_PER_HOST_PER_MINUTE = 3

    def get(name: str) -> None:
        fetch("GET", f"http://{name}:{server.port}/", resolver=resolve)

    for _ in range(3):
        get(names[0])
    with pytest.raises(
        FetchError, match="budget of 3 requests a minute to host0"
    ) as spent:
        get(names[0])
    assert not spent.value.refused  # not a "no": a "not now"
    assert spent.value.retry_after is not None
    assert 1 <= spent.value.retry_after <= 60
    for name in names[1:4]:  # other names: their own 3 each, up to 12 per address
        for _ in range(3):
            get(name)
    with pytest.raises(
        FetchError, match=r"budget of 12 requests a minute to 127\.0\.0\.1"
    ):
        get(names[4])
    assert server.hits == 12


def test_every_redirect_hop_spends_budget(
    serve: Serve, settings: Settings, fresh_minute: None
) -> None:
    def hop(seen: Seen) -> Reply:
        n = int(seen.path.strip("/") or 0)
        return Reply(302, b"", {"Location": f"/{n + 1}"})

    server = serve(hop)
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    settings.FIRSTHAND_OUTBOUND_PER_HOST_PER_MINUTE = 4
    with pytest.raises(FetchError, match="budget of 4"):
        fetch("GET", server.url("/"))
    assert server.hits == 4


def test_the_allowance_is_exact(
    serve: Serve, canary: LoopbackServer, settings: Settings
) -> None:
    allowed = serve(lambda seen: Reply(200, b"ok"))
    settings.FIRSTHAND_FETCH_ALLOW = [allowed.host_port]
    assert fetch("GET", allowed.url()).ok
    with pytest.raises(FetchError):  # another port on the same address
        fetch("GET", canary.url())
    with pytest.raises(FetchError):  # the same port under another name
        fetch("GET", f"http://localhost:{allowed.port}/", resolver=DNS)
    settings.FIRSTHAND_FETCH_ALLOW = []
    with pytest.raises(FetchError):  # and by default, nothing on loopback at all
        fetch("GET", allowed.url())
    assert canary.hits == 0
    assert allowed.hits == 1


def test_the_connection_goes_to_the_address_that_was_checked(
    serve: Serve, settings: Settings
) -> None:
    """One lookup per fetch, then the socket is opened to that address: a second,
    different DNS answer (rebinding) is never asked for."""
    server = serve(lambda seen: Reply(200, b"ok"))
    settings.FIRSTHAND_FETCH_ALLOW = [f"pinned.example:{server.port}"]
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["10.0.0.1"]

    assert fetch("GET", f"http://pinned.example:{server.port}/", resolver=rebinding).ok
    assert lookups == ["pinned.example"]
    assert server.seen[0].headers["host"] == f"pinned.example:{server.port}"


def test_redirects_are_checked_at_every_hop(
    serve: Serve, canary: LoopbackServer, settings: Settings
) -> None:
    targets = {
        "/to-canary": canary.url("/"),
        "/to-file": "file:///etc/passwd",
        "/to-private": "http://10.0.0.1/",
        "/to-next": "/final",
    }

    def redirect(seen: Seen) -> Reply:
        if seen.path not in targets:
            return Reply(200, b"arrived")
        status = 307 if seen.path == "/to-private" else 302
        return Reply(status, headers={"Location": targets[seen.path]})

    server = serve(redirect)
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    for path in ("/to-canary", "/to-file", "/to-private"):
        with pytest.raises(FetchError) as refused:
            fetch("GET", server.url(path))
        assert refused.value.refused
    assert canary.hits == 0
    followed = fetch("GET", server.url("/to-next"))
    assert (followed.status_code, followed.content) == (200, b"arrived")
    assert followed.url == server.url("/final")
    assert followed.redirects == (server.url("/to-next"),)


def test_a_redirect_chain_stops_at_the_limit(serve: Serve, settings: Settings) -> None:
    server = serve(
        lambda seen: Reply(302, headers={"Location": f"/{int(seen.path[1:]) + 1}"})
    )
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch("GET", server.url("/0"), max_redirects=3)
    assert server.hits == 4  # the first request and three followed hops


def test_a_post_never_follows_a_redirect(serve: Serve, settings: Settings) -> None:
    server = serve(lambda seen: Reply(302, headers={"Location": "/elsewhere"}))
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    result = fetch("POST", server.url("/inbox"), data={"source": "https://a.example/"})
    assert result.status_code == 302
    assert not result.ok
    (seen,) = server.seen
    assert seen.method == "POST"
    assert seen.body == b"source=https%3A%2F%2Fa.example%2F"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"x" * 300_000),  # announced by Content-Length
        Reply(200, b"x" * 300_000, unsized=True),  # ends at connection close
        Reply(  # a gzip bomb: 4 kB on the wire, 10 MB unpacked
            200,
            gzip.compress(b"\0" * 10_000_000),
            {"Content-Encoding": "gzip"},
        ),
    ],
    ids=["sized", "unsized", "gzip-bomb"],
)
def test_an_answer_over_the_byte_cap_is_refused(
    reply: Reply, serve: Serve, settings: Settings
) -> None:
    server = serve(lambda seen: reply)
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    with pytest.raises(FetchError, match="100000"):
        fetch("GET", server.url(), max_bytes=100_000)


def test_a_compressed_answer_within_the_cap_is_unpacked(
    serve: Serve, settings: Settings
) -> None:
    server = serve(
        lambda seen: Reply(
            200, gzip.compress(b"a" * 5000), {"Content-Encoding": "gzip"}
        )
    )
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    assert fetch("GET", server.url(), max_bytes=5000).content == b"a" * 5000


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"x" * 100, drip=0.05),  # a byte every 50 ms: 5 s in all
        Reply(200, b"late", delay=3.0),  # no status line for 3 s
    ],
    ids=["drip", "silent"],
)
def test_a_slow_server_runs_out_of_time(
    reply: Reply, serve: Serve, settings: Settings
) -> None:
    server = serve(lambda seen: reply)
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    started = time.monotonic()
    with pytest.raises(FetchError) as slow:
        fetch("GET", server.url(), timeout=0.5)
    assert not slow.value.refused
    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_a_network_error_not_a_refusal(
    settings: Settings, guard: SocketGuard
) -> None:
    with LoopbackServer(lambda seen: Reply()) as gone:
        port = gone.port
    guard.allowed.add(("127.0.0.1", port))
    settings.FIRSTHAND_FETCH_ALLOW = [f"127.0.0.1:{port}"]
    with pytest.raises(FetchError, match="could not reach") as failed:
        fetch("GET", f"http://127.0.0.1:{port}/")
    assert not failed.value.refused


def test_head_reads_no_body(serve: Serve, settings: Settings) -> None:
    server = serve(lambda seen: Reply(200, b"body"))
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    result = fetch("HEAD", server.url())
    assert (result.status_code, result.content) == (200, b"")


def test_refusal_answers_without_dns(settings: Settings) -> None:
    assert refusal("http://10.0.0.1/hook") is not None
    assert refusal("http://[::1]/hook") is not None
    assert refusal("ftp://example.com/") is not None
    assert refusal("http://0x7f000001/") is not None
    assert refusal("https://subscriber.example/hook") is None  # checked at fetch
    settings.FIRSTHAND_FETCH_ALLOW = ["127.0.0.1:8025"]
    assert refusal("http://127.0.0.1:8025/hook") is None
    assert refusal("http://127.0.0.1:8026/hook") is not None


def test_an_unread_body_does_not_count(serve: Serve, settings: Settings) -> None:
    """Pushes ignore what the subscriber answers, however large (WebSub 7)."""
    server = serve(lambda seen: Reply(202, b"x" * 300_000))
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
    result = fetch("POST", server.url(), data=b"{}", max_bytes=10, read_body=False)
    assert (result.status_code, result.content) == (202, b"")


def test_with_the_shared_counters_away_a_fetch_waits_rather_than_fails(
    serve: Serve, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(lambda seen: Reply(200, b"ok"))
    settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]

    def away(key: str, *, timeout: int) -> int:
        raise ratelimit.Unavailable("connection refused")

    monkeypatch.setattr(ratelimit, "count", away)
    with pytest.raises(FetchError, match="shared counters are unavailable") as raised:
        fetch("GET", server.url())
    assert not raised.value.refused  # the job tries again later
    assert server.hits == 0
