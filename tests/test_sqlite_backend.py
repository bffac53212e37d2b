"""The SQLite backend's writer queue (firsthand/sqlite/base.py): write
transactions take turns through a lock instead of sleeping in SQLite's busy
handler, and every turn ends with its transaction."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections, transaction

from firsthand.blog.models import Tag
from firsthand.sqlite import base

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite's writer queue; the suite runs on PostgreSQL",
)

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_the_backend_is_in_use() -> None:
    assert isinstance(connections["default"], base.DatabaseWrapper)


def test_a_turn_waits_for_another_process_and_gives_up_at_the_timeout(
    tmp_path: Path,
) -> None:
    lock = tmp_path / "db-writers.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock), "1.0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        queue = base.WriterQueue(str(lock))
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            queue.take(timeout=0.2)
        assert time.monotonic() - started >= 0.2
        queue.take(timeout=10)  # the other process lets go after a second
        waited = time.monotonic() - started
        assert waited < 5
        queue.give_back()
    finally:
        holder.wait(10)


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    queue = base.WriterQueue(str(tmp_path / "db-writers.lock"))
    inside = 0
    most = 0
    guard = threading.Lock()

    def writer() -> None:
        nonlocal inside, most
        for _ in range(20):
            queue.take(timeout=10)
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.0005)
            with guard:
                inside -= 1
            queue.give_back()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most == 1


def test_a_forked_child_queues_on_its_own(tmp_path: Path) -> None:
    path = str(tmp_path / "db-writers.lock")
    parent = base._queue_for(path)
    parent.take(timeout=1)
    try:
        reading, writing = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover (runs in the child)
            try:
                base._queue_for(path).take(timeout=0.2)
                os.write(writing, b"took the parent's turn")
            except OperationalError:
                os.write(writing, b"waited")
            os._exit(0)
        os.waitpid(child, 0)
        assert os.read(reading, 100) == b"waited"
    finally:
        parent.give_back()


@pytest.mark.django_db(transaction=True)
def test_every_way_out_of_a_transaction_ends_the_turn() -> None:
    def turn_held() -> bool:
        return getattr(connection, "_writer_turn", None) is not None

    with transaction.atomic():
        Tag.objects.create(name="Committed", slug="committed")
        assert turn_held()
    assert not turn_held()

    def roll_back() -> None:
        with transaction.atomic():
            Tag.objects.create(name="Rolled back", slug="rolled-back")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        roll_back()
    assert not turn_held()
    block = transaction.atomic()
    block.__enter__()
    Tag.objects.create(name="Closed", slug="closed")
    assert turn_held()
    connection.close()  # a connection closed mid-transaction (a dead worker's)
    assert not turn_held()
    block.__exit__(None, None, None)
    assert list(Tag.objects.values_list("slug", flat=True)) == ["committed"]
