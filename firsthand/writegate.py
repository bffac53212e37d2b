"""At most a few requests that may write run at once in each server process.

A server process runs several threads so that readers never queue behind one
another, but Python runs one thread at a time. A comment's write transaction
holds SQLite's write lock (``firsthand.sqlite``) while it runs; with many other
threads busy judging their own comments, the writer gets the interpreter only
now and then, the lock is held longer, and every writer queues behind it (on 2
cores, posting fell from about 130 to 80 comments a second as threads went from
2 to 8). So requests other than GET, HEAD and OPTIONS take one of
``FIRSTHAND_SERVE_WRITERS`` places first (in the order they came, and only once
their body has arrived); reads never wait for one. With one place per worker and
the places handed on in order, 2 workers took 169 comments a second with a p99 of
0.13 s (docs/performance.md).
"""

from __future__ import annotations

import collections
import io
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


class Places:
    """A semaphore that lets waiters in in the order they came (Python's own
    lets any waiter in, and under load some waited seconds while later ones
    went first): a released place is handed to the longest waiter."""

    def __init__(self, places: int) -> None:
        self.lock = threading.Lock()
        self.free = places
        self.waiting: collections.deque[threading.Event] = collections.deque()

    def __enter__(self) -> None:
        with self.lock:
            if self.free and not self.waiting:
                self.free -= 1
                return
            turn = threading.Event()
            self.waiting.append(turn)
        turn.wait()

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            if self.waiting:
                self.waiting.popleft().set()  # the place passes on, never freed
            else:
                self.free += 1


class WriteGate:
    def __init__(self, app: WSGIApp, *, places: int) -> None:
        self.app = app
        self.places = Places(places)

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") in _SAFE:
            return self.app(environ, start_response)
        _read_body_first(environ)
        with self.places:  # Django has answered (and committed) when this ends
            return self.app(environ, start_response)


def _read_body_first(environ: dict[str, Any]) -> None:
    """Read the request body before taking a place: the server hands the request
    over as soon as its headers are in, and a client sending its body slowly must
    hold up no one's comment but its own. Bodies over Django's own limit are left
    for Django to refuse."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))
