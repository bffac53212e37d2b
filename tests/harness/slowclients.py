"""Slow clients, and a prober that measures what a real reader gets meanwhile
(security-test-plan.md test 26).

Three kinds of connection are held open from one asyncio loop in a thread of its
own:

- **headers** (slowloris): a request line and a host, then one more header line
  every ``drip`` seconds, never the blank line that ends the headers;
- **body**: a complete comment request's headers declaring ``Content-Length:
  10000`` (a long comment, under every size limit), then one byte of body a
  second;
- **reader**: ``pipeline`` requests for a big page sent at once on a socket whose
  receive buffer is 4 KiB, and nothing ever read.

A connection that sends records when the server closed it (a read that ends, a
write that fails); one that never reads cannot see that, so the server's side is
counted instead. The prober, in the calling thread, reads a post every second and
posts a comment every fifth second, as a reader would, and records each answer's
status and time. ``established(port)`` counts the server side's open TCP
connections, from ``/proc/net/tcp``: how many of the slow connections reached the
process behind a port.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
import statistics
import threading
import time
from pathlib import Path

import httpx

PROBER = "Petra Prober"
TICKET = re.compile(r"firsthand_ticket=([^;]+)")
KINDS = ("headers", "body", "reader")


@dataclasses.dataclass
class Held:
    kind: str
    opened: float = 0.0
    closed: float | None = None  # seconds after ``opened``
    first_bytes: bytes = b""  # what the server said before closing, if anything


@dataclasses.dataclass
class Probe:
    kind: str  # "read" or "comment"
    at: float
    seconds: float
    status: int | None  # None: no answer (an error or a timeout)


@dataclasses.dataclass
class Attack:
    """``counts[kind]`` connections of each kind against ``port`` for ``seconds``;
    the readers ask for ``big_path`` (a page larger than a socket's buffers
    hold once ``pipeline`` copies are asked for)."""

    port: int
    read_path: str
    post_path: str
    big_path: str
    counts: dict[str, int] = dataclasses.field(
        default_factory=lambda: dict.fromkeys(KINDS, 100)
    )
    seconds: float = 60.0
    drip: float = 10.0
    pipeline: int = 40
    held: list[Held] = dataclasses.field(default_factory=list)
    failed_to_open: int = 0
    _thread: threading.Thread | None = None
    _started: threading.Event = dataclasses.field(default_factory=threading.Event)

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()))
        self._thread.start()
        if not self._started.wait(30):
            raise AssertionError("the slow connections did not open within 30 s")

    def join(self) -> None:
        assert self._thread is not None
        self._thread.join(timeout=self.seconds + 30)

    def closed_by_server(self, kind: str) -> list[Held]:
        return [held for held in self.held if held.kind == kind and held.closed]

    async def _run(self) -> None:
        deadline = time.monotonic() + self.seconds
        tasks = []
        for kind in KINDS:
            for _ in range(self.counts[kind]):
                tasks.append(asyncio.create_task(self._hold(kind, deadline)))
            await asyncio.sleep(0)
        await asyncio.sleep(0.5)  # they have all connected or failed by now
        self._started.set()
        await asyncio.gather(*tasks)

    async def _hold(self, kind: str, deadline: float) -> None:
        held = Held(kind)
        sock = socket.socket()
        if kind == "reader":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(
                sock, ("127.0.0.1", self.port)
            )
            reader, writer = await asyncio.open_connection(sock=sock)
        except OSError:
            self.failed_to_open += 1
            sock.close()
            return
        held.opened = time.monotonic()
        self.held.append(held)
        host = f"Host: 127.0.0.1:{self.port}\r\n"
        try:
            if kind == "headers":
                writer.write(f"GET {self.read_path} HTTP/1.1\r\n{host}".encode())
            elif kind == "body":
                writer.write(
                    f"POST {self.post_path} HTTP/1.1\r\n{host}"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    "Content-Length: 10000\r\n\r\n".encode()
                )
            else:
                request = f"GET {self.big_path} HTTP/1.1\r\n{host}\r\n".encode()
                writer.write(request * self.pipeline)
            await writer.drain()
            if kind == "reader":
                # Never reads: a server closing it shows on its side only (its
                # FIN waits behind the data this end never took).
                await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            else:
                await asyncio.gather(
                    self._wait_for_close(held, reader, deadline),
                    self._drip(kind, held, writer, deadline),
                )
        except OSError:
            held.closed = held.closed or time.monotonic() - held.opened
        finally:
            writer.transport.abort()

    async def _wait_for_close(
        self, held: Held, reader: asyncio.StreamReader, deadline: float
    ) -> None:
        """Until the server closes the connection or the time is up."""
        while time.monotonic() < deadline:
            try:
                data = await asyncio.wait_for(reader.read(4096), 0.5)
            except TimeoutError:
                continue
            if not data:
                held.closed = time.monotonic() - held.opened
                return
            held.first_bytes = held.first_bytes or data[:200]

    async def _drip(
        self, kind: str, held: Held, writer: asyncio.StreamWriter, deadline: float
    ) -> None:
        step = self.drip if kind == "headers" else 1.0
        sent = 0
        while time.monotonic() < deadline and held.closed is None:
            await asyncio.sleep(min(step, max(0.0, deadline - time.monotonic())))
            if held.closed is not None or time.monotonic() >= deadline:
                return
            sent += 1
            writer.write(
                f"X-Drip-{sent}: {sent}\r\n".encode() if kind == "headers" else b"a"
            )
            await writer.drain()


def probe(
    url: str, read_path: str, post_id: int, *, seconds: float, timeout: float = 5.0
) -> list[Probe]:
    """A reader for ``seconds``: the post every second, a comment every fifth."""
    probes: list[Probe] = []
    ticket: str | None = None
    started = time.monotonic()
    tick = 0
    with httpx.Client(base_url=url, timeout=timeout) as http:
        while time.monotonic() - started < seconds:
            due = started + tick
            time.sleep(max(0.0, due - time.monotonic()))
            status, ticket_now = _send(http, probes, "read", "GET", read_path)
            if tick % 5 == 4 and ticket is not None:
                fields = {
                    "author_name": PROBER,
                    "author_email": f"petra.{tick}@example.org",
                    "author_url": "",
                    "author_title": "",
                    "in_reply_to": "",
                    "body": f"Still here at second {tick}.",
                    "leave_blank": "",
                }
                _send(
                    http,
                    probes,
                    "comment",
                    "POST",
                    f"/respond/{post_id}/",
                    data=fields,
                    headers={"Cookie": f"firsthand_ticket={ticket}"},
                )
                ticket = None
            if ticket is None and status == 200:
                ticket = ticket_now
            tick += 1
    return probes


def _send(
    http: httpx.Client,
    probes: list[Probe],
    kind: str,
    method: str,
    path: str,
    **extra: object,
) -> tuple[int | None, str | None]:
    began = time.monotonic()
    status: int | None = None
    ticket: str | None = None
    try:
        response = http.request(method, path, **extra)  # type: ignore[arg-type]
        status = response.status_code
        for value in response.headers.get_list("set-cookie"):
            found = TICKET.match(value)
            if found:
                ticket = found.group(1)
    except httpx.HTTPError:
        pass
    http.cookies.clear()  # a comment carries the ticket of the page it came from
    probes.append(Probe(kind, began, time.monotonic() - began, status))
    return status, ticket


def p95(probes: list[Probe]) -> float:
    seconds = sorted(probe.seconds for probe in probes)
    if len(seconds) < 2:
        return seconds[0] if seconds else 0.0
    return statistics.quantiles(seconds, n=20)[-1]


def errors(probes: list[Probe], ok: tuple[int, ...] = (200, 302, 303)) -> list[Probe]:
    return [probe for probe in probes if probe.status not in ok]


def established(port: int) -> int:
    """Server-side ESTABLISHED TCP connections on a loopback ``port``."""
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().split("\n")[1:]:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "01":
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port:
                    count += 1
    return count


class Sampler:
    """``established(port)`` for each port, every ``every`` seconds, in a thread."""

    def __init__(self, ports: dict[str, int], every: float = 1.0) -> None:
        self.ports = ports
        self.every = every
        self.samples: dict[str, list[int]] = {name: [] for name in ports}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, port in self.ports.items():
                self.samples[name].append(established(port))
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
