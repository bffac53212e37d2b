"""Real HTTP servers on 127.0.0.1 for outbound-request tests, and a socket guard.

Every server binds an ephemeral loopback port, records what it was sent, and answers
what its ``behaviour`` says. The socket guard (security-test-plan section 0 item 12)
lets a test connect only to addresses it allowed: a validator bug then fails the
test at ``connect()`` instead of sending a packet anywhere.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclasses.dataclass(frozen=True)
class Seen:
    """One request a server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    # Pause before the status line, and between body bytes (a slow server).
    delay: float = 0.0
    drip: float = 0.0
    # Send no Content-Length: the body ends when the connection closes.
    unsized: bool = False


Behaviour = Callable[[Seen], Reply]


class LoopbackServer:
    """``with LoopbackServer(behaviour) as server:`` serves until the block ends."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}
        )
        self._thread.daemon = True

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.host_port}{path}"

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self.seen)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def do_HEAD(self) -> None:
                self._answer()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                server._record(seen)
                reply = server.behaviour(seen)
                # The client may hang up first, as a guarded client should.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(reply)

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.unsized:
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if reply.drip:
                    for byte in reply.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(reply.drip)
                else:
                    self.wfile.write(reply.body)

        return Handler


class Subscriber:
    """A WebSub subscriber's callback: confirms (or not) and records pushes.

    ``verification``: "echo" answers the challenge, "wrong" answers something
    else, "refuse" answers 404 as the spec says a subscriber that did not ask does.
    ``delivery_status``: what it answers to a push (202, 410, 500, ...).
    """

    def __init__(self) -> None:
        self.verification = "echo"
        self.delivery_status = 202

    def __call__(self, seen: Seen) -> Reply:
        if seen.method == "GET":
            if seen.query.get("hub.mode") == "denied":
                return Reply(200)
            if self.verification == "refuse":
                return Reply(404, b"never asked")
            challenge = seen.query.get("hub.challenge", "")
            if self.verification == "wrong":
                return Reply(200, b"not-" + challenge.encode())
            return Reply(200, challenge.encode(), {"Content-Type": "text/plain"})
        return Reply(self.delivery_status)


class SocketGuard:
    """Replaces ``socket.socket.connect`` and ``connect_ex``: only addresses given to
    ``allow`` may be reached; any other attempt is recorded in ``blocked`` and raises
    ``AssertionError`` before a packet leaves."""

    def __init__(self) -> None:
        self.allowed: set[tuple[str, int]] = set()
        self.blocked: list[object] = []
        self._connect = socket.socket.connect
        self._connect_ex = socket.socket.connect_ex

    def allow(self, server: LoopbackServer) -> None:
        self.allowed.add(("127.0.0.1", server.port))

    def install(self, patch: Callable[[object, str, object], None]) -> None:
        guard = self

        def connect(sock: socket.socket, address: Any) -> None:
            guard._check(address)
            guard._connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            guard._check(address)
            return guard._connect_ex(sock, address)

        patch(socket.socket, "connect", connect)
        patch(socket.socket, "connect_ex", connect_ex)

    def _check(self, address: Any) -> None:
        if isinstance(address, str | bytes):
            return  # a Unix socket (a local database), not the network
        if (str(address[0]), int(address[1])) not in self.allowed:
            self.blocked.append(address)
            raise AssertionError(f"socket guard: connect to {address} refused")
