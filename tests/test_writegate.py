"""The write gate (firsthand/writegate.py): few writers at a time, in the order
they came, after their body has arrived; readers never wait."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest

from firsthand.writegate import Places, WriteGate


class SlowBody(io.RawIOBase):
    """A request body that arrives slowly, and says when it was read."""

    def __init__(self, data: bytes, delay: float) -> None:
        self.data, self.delay = data, delay
        self.finished = threading.Event()

    def read(self, size: int = -1) -> bytes:
        time.sleep(self.delay)
        self.finished.set()
        return self.data


def environ(method: str, body: io.RawIOBase | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": "/"}
    if body is not None:
        found["wsgi.input"] = body
        found["CONTENT_LENGTH"] = "5"
    return found


def start(status: str, headers: list[tuple[str, str]]) -> None:
    pass


def test_readers_pass_while_a_writer_holds_the_place() -> None:
    inside = threading.Event()
    leave = threading.Event()

    def app(env: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if env["REQUEST_METHOD"] == "POST":
            inside.set()
            leave.wait(10)
        return [env["REQUEST_METHOD"].encode()]

    gate = WriteGate(app, places=1)
    writer = threading.Thread(target=gate, args=(environ("POST"), start))
    writer.start()
    assert inside.wait(10)
    assert gate(environ("GET"), start) == [b"GET"]  # not held up
    assert gate(environ("HEAD"), start) == [b"HEAD"]
    leave.set()
    writer.join(10)


def test_writers_go_in_the_order_they_came() -> None:
    places = Places(1)
    order: list[int] = []
    places.__enter__()  # someone is writing
    threads = []
    for n in range(5):
        thread = threading.Thread(target=lambda n=n: _write(places, order, n))
        thread.start()
        threads.append(thread)
        while len(places.waiting) < n + 1:  # each is queued before the next comes
            time.sleep(0.001)
    places.__exit__()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4]
    assert places.free == 1
    assert not places.waiting


def _write(places: Places, order: list[int], n: int) -> None:
    with places:
        order.append(n)


def test_a_slow_body_is_read_before_the_place_is_taken() -> None:
    seen: list[bytes] = []

    def app(env: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen.append(env["wsgi.input"].read())
        return [b""]

    gate = WriteGate(app, places=1)
    slow = SlowBody(b"hello", delay=0.5)
    client = threading.Thread(target=gate, args=(environ("POST", slow), start))
    client.start()
    time.sleep(0.1)  # the slow client is still sending
    assert not slow.finished.is_set()
    assert gate.places.free == 1  # and holds no place meanwhile
    client.join(10)
    assert seen == [b"hello"]


def test_the_place_comes_back_when_the_view_fails() -> None:
    def app(env: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raise RuntimeError("a bug")

    gate = WriteGate(app, places=1)
    with pytest.raises(RuntimeError):
        gate(environ("POST"), start)
    assert gate.places.free == 1
