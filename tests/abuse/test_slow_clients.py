"""Slow clients against the documented deployment (security-test-plan.md test 26).

300 connections are held for 60 s (tests/harness/slowclients.py): 100 send their
headers one line every 10 s (slowloris), 100 send a comment's 10,000-byte body one
byte a second, 100 ask for a 157 KB page forty times over and never read. Meanwhile
a prober reads a post every second and posts a comment every fifth.

Behind nginx configured as docs/deployment.md says (its server block is read from
the guide: tests/harness/proxy.py), the prober is served as on a quiet day, the
slowloris connections are closed at ``client_header_timeout``, the readers at
``send_timeout``, and the slow bodies stay with nginx: none of them reaches
Firsthand, whose side sees only nginx's short connections.

The same attack on bare ``firsthand serve`` is the negative control: granian hands
a request to a Python thread once its headers are in, and a thread then waits for
the body; 100 slow bodies hold every thread, and the prober's reads time out. It is
why the guide puts a buffering proxy in front. If the control ever passes, granian
has learnt to guard itself: the guide and this test should say so.

The 1,000,000-byte body of the plan is not used: Firsthand refuses any body over
512 KiB from its Content-Length alone, with a 413 and before reading a byte
(tests/hostile/test_transport.py), so it would not hold anything.
"""

from __future__ import annotations

import collections
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.durability.conftest import on_postgresql
from tests.harness import slowclients
from tests.harness.appserver import AppServer
from tests.harness.proxy import Nginx, documented_server_block, require_nginx

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        on_postgresql(), reason="the HTTP layer's test: runs in the SQLite pass"
    ),
]

SECONDS = 60.0
CONTROL_SECONDS = 15.0
BIG_THREAD = 100  # responses on the readers' page: one page of the thread, 157 KB
# From docs/deployment.md's server block (read back below, so a change to the
# guide that this test does not follow fails here).
HEADER_TIMEOUT = 10.0
SEND_TIMEOUT = 30.0

GROW = """
import sys
sys.path.insert(0, {root!r})
from bench.bench_site import grow_thread
from firsthand.blog.models import Post
grow_thread(Post.objects.get(pk={pk}), {size}, seed=26)
"""

STORED = """
from firsthand.conversation.models import Response
print(Response.objects.filter(author_name={name!r}).count())
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[AppServer, list[tuple[int, str]]]]:
    app = AppServer(
        tmp_path / "site",
        background_worker=False,
        settings={"FIRSTHAND_FLOOD_INTERVAL": "0"},
    )
    posts = app.prepare(posts=2)
    root = str(Path(__file__).resolve().parents[2])
    app.python(GROW.format(root=root, pk=posts[1][0], size=BIG_THREAD))
    app.start()
    try:
        yield app, posts
    finally:
        app.stop()


def attack_on(
    port: int, posts: list[tuple[int, str]], seconds: float
) -> slowclients.Attack:
    (post_id, path), (_, big_path) = posts
    return slowclients.Attack(
        port=port,
        read_path=path,
        post_path=f"/respond/{post_id}/",
        big_path=big_path,
        seconds=seconds,
    )


def figures(probes: list[slowclients.Probe]) -> str:
    kinds = collections.Counter((probe.kind, probe.status) for probe in probes)
    seconds = [probe.seconds for probe in probes]
    return (
        f"{len(probes)} probes {dict(kinds)}; p95 {slowclients.p95(probes):.3f} s, "
        f"median {statistics.median(seconds):.3f} s"
    )


def test_the_guide_states_the_timeouts_this_test_expects() -> None:
    block = documented_server_block()
    assert f"client_header_timeout {HEADER_TIMEOUT:.0f}s;" in block
    assert f"send_timeout {SEND_TIMEOUT:.0f}s;" in block
    assert "proxy_request_buffering on;" in block
    assert "proxy_buffering on;" in block


def test_behind_the_documented_nginx_slow_clients_cost_readers_nothing(
    site: tuple[AppServer, list[tuple[int, str]]], tmp_path: Path
) -> None:
    require_nginx()
    app, posts = site
    with Nginx(tmp_path / "nginx", app.port) as proxy:
        attack = attack_on(proxy.port, posts, SECONDS)
        ports = {"firsthand": app.port, "nginx": proxy.port}
        with slowclients.Sampler(ports) as sampler:
            attack.start()
            probes = slowclients.probe(
                proxy.url, posts[0][1], posts[0][0], seconds=SECONDS - 2
            )
            attack.join()
        timeouts = proxy.error_lines("client timed out")
    seen = (
        f"behind nginx: {figures(probes)}\n"
        f"firsthand's connections each second: {sampler.samples['firsthand']}\n"
        f"nginx's connections each second: {sampler.samples['nginx']}"
    )
    print(seen)  # noqa: T201 (pytest -s shows the figures)
    assert attack.failed_to_open == 0
    assert len(attack.held) == 300

    # The reader is served as on a quiet day, comments included.
    assert slowclients.errors(probes) == [], seen
    assert slowclients.p95(probes) < 1.0, seen
    acked = sum(probe.kind == "comment" and probe.status == 302 for probe in probes)
    assert acked >= 10, seen
    stored = app.python(STORED.format(name=slowclients.PROBER))
    assert int(stored) == acked, seen

    # Slowloris: closed by nginx at client_header_timeout, without an answer.
    closed = attack.closed_by_server("headers")
    assert len(closed) == 100
    assert all(
        HEADER_TIMEOUT - 1 <= (held.closed or 0) <= HEADER_TIMEOUT + 5
        for held in closed
    ), sorted(held.closed or 0 for held in closed)
    assert sum("reading client request headers" in line for line in timeouts) == 100

    # Readers that never read: nginx took each answer from Firsthand at once and
    # gave up on the reader at send_timeout.
    assert sum("while sending to client" in line for line in timeouts) == 100

    # Slow bodies: still open (1 byte a second never trips client_body_timeout),
    # held by nginx alone: once the readers' pages were fetched (the first few
    # seconds), Firsthand never saw more than the prober's own connection.
    assert attack.closed_by_server("body") == []
    settled = sampler.samples["firsthand"][int(HEADER_TIMEOUT) :]
    assert settled, seen
    assert max(settled) <= 2, seen


def test_negative_control_bare_granian_is_held_by_slow_bodies(
    site: tuple[AppServer, list[tuple[int, str]]],
) -> None:
    app, posts = site
    attack = attack_on(app.port, posts, CONTROL_SECONDS)
    attack.start()
    probes = slowclients.probe(
        app.url, posts[0][1], posts[0][0], seconds=CONTROL_SECONDS - 2
    )
    attack.join()
    print(f"on bare granian: {figures(probes)}")  # noqa: T201 (pytest -s)
    # Every Python thread waits for a body that comes a byte a second.
    assert slowclients.errors(probes) or slowclients.p95(probes) >= 1.0, (
        "bare granian served the prober through 100 slow bodies: it has learnt "
        "to guard itself; docs/deployment.md and this control should say so. "
        + figures(probes)
    )
    assert attack.closed_by_server("body") == []  # no body timeout of its own
