"""Django's SQLite backend, with writers that queue instead of sleeping.

SQLite lets one writer in at a time. A connection that finds the write lock taken
waits in SQLite's busy handler, which sleeps in growing steps (1, 2, 5 … up to
100 ms) and retries: under a burst of comments most of the waiting is sleeping
past the moment the lock came free, and the slowest writers wait seconds.

Here every write transaction (``BEGIN IMMEDIATE``) first takes a writer's turn:
a lock of this process (threads wake the moment it is released) and then an
``flock`` on a file beside the database (shared with the other processes on the
machine, polled in steps of at most 2 ms; only one thread per process polls).
The turn ends with the transaction (commit, rollback or close). Writes outside a
transaction (autocommit statements) still rely on SQLite's own lock. A writer
that cannot get its turn within the busy timeout gets the error SQLite gives:
"database is locked".
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_QUEUES: dict[str, WriterQueue] = {}
_QUEUES_LOCK = threading.Lock()


class WriterQueue:
    """The writers' turn for one database file, in this process."""

    LONGEST_NAP = 0.002

    def __init__(self, path: str) -> None:
        self.path = path
        self.thread_lock = threading.Lock()
        self.fd: int | None = None
        self.pid = os.getpid()

    def _file(self) -> int:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self.fd

    def take(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self.thread_lock.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            fd, nap = self._file(), 0.0001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise OperationalError("database is locked") from None
                    time.sleep(nap)
                    nap = min(nap * 2, self.LONGEST_NAP)
        except BaseException:
            self.thread_lock.release()
            raise

    def give_back(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.thread_lock.release()


def _queue_for(path: str) -> WriterQueue:
    with _QUEUES_LOCK:
        queue = _QUEUES.get(path)
        if queue is None or queue.pid != os.getpid():
            # A forked child must not share its parent's lock file description
            # (an flock belongs to it) nor a thread lock held at the fork.
            queue = _QUEUES[path] = WriterQueue(path)
        return queue


class DatabaseWrapper(base.DatabaseWrapper):
    """The hooks below are Django's private ones (not in its type stubs)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_turn: WriterQueue | None = None

    def _writer_queue(self) -> WriterQueue | None:
        name = str(self.settings_dict["NAME"])
        mode = getattr(self, "transaction_mode", None)  # set by get_connection_params
        if mode not in {"IMMEDIATE", "EXCLUSIVE"}:
            return None
        if self.is_in_memory_db() or not name:
            return None
        return _queue_for(f"{name}-writers.lock")

    def _start_transaction_under_autocommit(self) -> None:
        queue = self._writer_queue()
        if queue is None:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        queue.take(timeout)
        self._writer_turn = queue
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self) -> None:
        turn, self._writer_turn = self._writer_turn, None
        if turn is not None:
            turn.give_back()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()
