"""Huge and malformed requests on the wire (security-test-plan.md test 10), sent
byte for byte to a real ``firsthand serve``, bare and behind nginx configured as
docs/deployment.md says (tests/harness/proxy.py).

In-process tests cover what Django sees (tests/hostile/test_oversize.py: 413 and
400 naming the limit at every endpoint); these cover what only a real server
sees: bodies that never end, header floods, request lines and framing that a
parser must refuse. Each answer must come within a second, none may be a 5xx,
the server's workers must not grow by 50 MB, and nginx must not spool a refused
body to disk.

Behind nginx every one of them is a 4xx. Bare granian accepts a 64 KB header and
a 10 KB request line (its limits are larger than nginx's) and answers the page:
not an error, but one more reason the guide puts nginx in front.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pytest

from tests.durability.conftest import on_postgresql
from tests.harness.appserver import AppServer, group_pids, resident_kib
from tests.harness.proxy import Nginx

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        on_postgresql(), reason="the HTTP layer's test: runs in the SQLite pass"
    ),
]

MIB = 1024 * 1024


@dataclass
class Fronts:
    app: AppServer
    proxy: Nginx
    post_id: int
    path: str

    def port(self, front: str) -> int:
        return self.proxy.port if front == "nginx" else self.app.port


@pytest.fixture(scope="module")
def fronts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fronts]:
    folder = tmp_path_factory.mktemp("transport")
    app = AppServer(folder / "site", background_worker=False, workers=1)
    ((post_id, path),) = app.prepare(posts=1)
    app.start()
    try:
        with Nginx(folder / "nginx", app.port) as proxy:
            yield Fronts(app, proxy, post_id, path)
    finally:
        app.stop()


@dataclass
class Answer:
    status: int | None
    seconds: float
    first_line: bytes


def exchange(
    port: int, head: str, body: Iterable[bytes] = (), *, timeout: float = 10.0
) -> Answer:
    """Send ``head`` then ``body`` from a second thread for as long as the server
    takes it; return the first line of the answer and when it came."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    stop = threading.Event()

    def feed() -> None:
        for chunk in body:
            if stop.is_set():
                return
            try:
                sock.sendall(chunk)
            except OSError:
                return

    started = time.monotonic()
    sock.sendall(head.encode("latin-1"))
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    received = b""
    try:
        while b"\r\n" not in received:
            data = sock.recv(4096)
            if not data:
                break
            received += data
    except OSError:
        pass
    seconds = time.monotonic() - started
    stop.set()
    with contextlib.suppress(OSError):  # wakes a feeder blocked in sendall
        sock.shutdown(socket.SHUT_RDWR)
    feeder.join(timeout=5)
    sock.close()
    first = received.split(b"\r\n", 1)[0]
    parts = first.split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    return Answer(status, seconds, first)


def worker_rss_mib(app: AppServer) -> float:
    """The largest resident size among the server's processes."""
    assert app.app is not None
    return max(resident_kib(pid) for pid in group_pids(app.app.pid)) / 1024


def forever(chunk: bytes, total: int) -> Iterator[bytes]:
    for _ in range(total // len(chunk)):
        yield chunk


def chunked(total: int) -> Iterator[bytes]:
    data = b"a" * 65536
    frame = f"{len(data):x}\r\n".encode() + data + b"\r\n"
    yield from forever(frame, total)
    yield b"0\r\n\r\n"


def host(fronts: Fronts, front: str) -> str:
    return f"Host: 127.0.0.1:{fronts.port(front)}\r\n"


Case = Callable[[Fronts, str], tuple[str, Iterable[bytes]]]


def ten_mib_form(fronts: Fronts, front: str) -> tuple[str, Iterable[bytes]]:
    head = (
        f"POST /respond/{fronts.post_id}/ HTTP/1.1\r\n{host(fronts, front)}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {10 * MIB}\r\n\r\n"
    )
    return head, forever(b"body=" + b"a" * 65531, 10 * MIB)


def chunked_200_mib(fronts: Fronts, front: str) -> tuple[str, Iterable[bytes]]:
    head = (
        f"POST /respond/{fronts.post_id}/ HTTP/1.1\r\n{host(fronts, front)}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    return head, chunked(200 * MIB)


def two_thousand_fields(fronts: Fronts, front: str) -> tuple[str, Iterable[bytes]]:
    body = "&".join(f"f{n}=x" for n in range(2000)).encode()
    head = (
        f"POST /respond/{fronts.post_id}/ HTTP/1.1\r\n{host(fronts, front)}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head, [body]


def header_flood(fronts: Fronts, front: str) -> tuple[str, Iterable[bytes]]:
    flood = "".join(f"X-Flood-{n}: {n}\r\n" for n in range(150))
    return f"GET {fronts.path} HTTP/1.1\r\n{host(fronts, front)}{flood}\r\n", []


def huge_header(fronts: Fronts, front: str) -> tuple[str, Iterable[bytes]]:
    big = "X-Huge: " + "a" * 65536 + "\r\n"
    return f"GET {fronts.path} HTTP/1.1\r\n{host(fronts, front)}{big}\r\n", []


def long_request_line(fronts: Fronts, front: str) -> tuple[str, Iterable[bytes]]:
    query = "q=" + "a" * 10240
    return f"GET {fronts.path}?{query} HTTP/1.1\r\n{host(fronts, front)}\r\n", []


def length_and_chunked(fronts: Fronts, front: str) -> tuple[str, Iterable[bytes]]:
    """Both framings at once, the second request hidden where one parser would
    see body and the other a request of its own."""
    smuggled = f"GET /smuggled-by-te/ HTTP/1.1\r\n{host(fronts, front)}\r\n"
    body = "0\r\n\r\n" + smuggled
    head = (
        f"POST /respond/{fronts.post_id}/ HTTP/1.1\r\n{host(fronts, front)}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    return head + body, []


def two_lengths(fronts: Fronts, front: str) -> tuple[str, Iterable[bytes]]:
    head = (
        f"POST /respond/{fronts.post_id}/ HTTP/1.1\r\n{host(fronts, front)}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 7\r\nContent-Length: 70\r\n\r\nbody=hi"
    )
    return head, []


CASES: dict[str, Case] = {
    "10 MiB form": ten_mib_form,
    "200 MiB chunked, no length": chunked_200_mib,
    "2,000 fields": two_thousand_fields,
    "150 headers": header_flood,
    "one 64 KiB header": huge_header,
    "10 KiB request line": long_request_line,
    "Content-Length and Transfer-Encoding": length_and_chunked,
    "two Content-Lengths": two_lengths,
}
# What bare granian lets through to Firsthand, which then answers the page.
GRANIAN_ACCEPTS = {"one 64 KiB header", "10 KiB request line"}


@pytest.mark.parametrize("front", ["nginx", "granian"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_request_gets_a_quick_answer_and_costs_nothing(
    fronts: Fronts, front: str, case: str
) -> None:
    before = worker_rss_mib(fronts.app)
    head, body = CASES[case](fronts, front)
    answer = exchange(fronts.port(front), head, body)
    after = worker_rss_mib(fronts.app)
    seen = f"{front}, {case}: {answer}; workers {before:.0f} -> {after:.0f} MiB"
    print(seen)  # noqa: T201 (pytest -s shows the figures)
    assert answer.status is not None, seen
    if front == "granian" and case in GRANIAN_ACCEPTS:
        assert answer.status == 200, seen
    else:
        assert 400 <= answer.status < 500, seen
    assert answer.seconds < 1.0, seen
    assert after - before < 50, seen
    spooled = sum(
        file.stat().st_size
        for file in (fronts.proxy.folder / "client_body").rglob("*")
        if file.is_file()
    )
    assert spooled < MIB, f"{seen}; nginx spooled {spooled} bytes"
    # The server is still there for the next reader.
    again = f"GET / HTTP/1.1\r\n{host(fronts, front)}\r\n"
    assert exchange(fronts.port(front), again).status == 200


def test_a_request_hidden_behind_two_framings_never_reaches_firsthand(
    fronts: Fronts,
) -> None:
    """nginx refuses a request with both framings and closes the connection, so
    the request hidden in its body is never read as one."""
    head, _ = length_and_chunked(fronts, "nginx")
    assert exchange(fronts.proxy.port, head).status == 400
    # The log would show it: a request that does reach Firsthand is logged.
    control = f"GET /not-smuggled/ HTTP/1.1\r\n{host(fronts, 'nginx')}\r\n"
    assert exchange(fronts.proxy.port, control).status == 404
    logged = fronts.app.server_log()
    assert "/not-smuggled/" in logged
    assert "/smuggled-by-te/" not in logged
