"""Counters in the shared ``guard`` cache (Redis, or a database table), so every
server process counts together.

Each step is atomic across processes: Redis's SET NX and INCR are, and on the
database table (whose ``incr`` is a read then a write in Django) the step runs in
a transaction that one writer at a time may hold: SQLite's IMMEDIATE transactions
take the write lock at BEGIN, and on PostgreSQL a transaction-scoped advisory lock
on the key does the same. Two processes can never both read 4 and both write 5.

A cache that cannot be reached raises ``Unavailable``; each caller decides what
that means for it (``allow`` refuses, flood control holds the comment).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterator

import redis
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone

MINUTE = 60

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """The shared cache could not be reached: nothing was counted."""


def _guard() -> BaseCache:
    return caches["guard"]


@contextlib.contextmanager
def _one_at_a_time(cache: BaseCache, key: str) -> Iterator[None]:
    """Serialize the steps on ``key`` when the cache is a database table."""
    if not isinstance(cache, DatabaseCache):
        yield
        return
    alias = router.db_for_write(cache.cache_model_class)
    with transaction.atomic(using=alias):
        connection = connections[alias]
        if connection.vendor == "postgresql":
            lock = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
            with connection.cursor() as cursor:
                # Signed 64-bit, as pg_advisory_xact_lock(bigint) wants.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock - 2**63])
        yield


@contextlib.contextmanager
def together() -> Iterator[None]:
    """Several steps in one commit when the counters live in the database (one
    fsync instead of one per step); nothing to do on Redis."""
    cache = _guard()
    if isinstance(cache, DatabaseCache):
        alias = router.db_for_write(cache.cache_model_class)
        with _reachable("starting a transaction"), transaction.atomic(using=alias):
            yield
    else:
        yield


@contextlib.contextmanager
def _reachable(what: str) -> Iterator[None]:
    """Turn a cache outage (Redis refusing, a database error) into Unavailable."""
    try:
        yield
    except (OSError, DatabaseError, redis.RedisError) as error:
        log.warning("guard cache unavailable while %s: %s", what, error)
        raise Unavailable(str(error)) from error


def count(key: str, *, timeout: int) -> int:
    """Add one to ``key`` (made with ``timeout`` seconds to live if it is new) and
    return the new count, atomically across processes."""
    return _add(key, 1, timeout=timeout)


def uncount(key: str, *, timeout: int) -> None:
    """Take back one ``count`` (a refused attempt that should not weigh)."""
    _add(key, -1, timeout=timeout)


def _add(key: str, delta: int, *, timeout: int) -> int:
    cache = _guard()
    with _reachable(f"counting {key}"), _one_at_a_time(cache, key):
        if isinstance(cache, DatabaseCache):
            # Django's incr on this backend writes the new value with the cache's
            # default timeout (300 s), so a counter made for an hour would vanish
            # five minutes after its last step. Write it with its own timeout;
            # the step is atomic all the same (one writer at a time, above).
            value = int(cache.get(key, 0)) + delta
            if value > 0 or delta > 0:
                cache.set(key, value, timeout=timeout)
            return value
        if delta < 0:
            with contextlib.suppress(ValueError):  # expired: nothing to take back
                return int(cache.decr(key))
            return 0
        cache.add(key, 0, timeout=timeout)
        try:
            return int(cache.incr(key))  # Redis keeps the key's time to live
        except ValueError:  # expired between add and incr: this is the first
            cache.set(key, 1, timeout=timeout)
            return 1


def claim(key: str, value: object, *, timeout: int) -> bool:
    """Store ``value`` under ``key`` unless it is there already (atomic); True if
    this call stored it."""
    cache = _guard()
    with _reachable(f"claiming {key}"), _one_at_a_time(cache, key):
        return bool(cache.add(key, value, timeout=timeout))


def read(key: str) -> object:
    """The value under ``key``, or None."""
    with _reachable(f"reading {key}"):
        return _guard().get(key)


def forget(key: str) -> None:
    with _reachable(f"forgetting {key}"):
        _guard().delete(key)


def allow(key: str, ceiling: int, *, window: int = MINUTE) -> bool:
    """Count one more for ``key`` in the current window; False once over ``ceiling``.

    With the cache out of reach it raises ``Unavailable``: a request then gets 503
    with a Retry-After (``firsthand.outage``), never a 500 and never a "too many"
    it did not earn; a job tries again later.
    """
    key = f"{key}:{int(time.time() // window)}"
    return count(key, timeout=2 * window) <= ceiling


def sweep() -> int:
    """Delete the expired counters from the database table (Redis expires its own).

    The table never culls live rows (settings: MAX_ENTRIES), so Django would keep
    expired ones too until a million had gathered, and it counts the whole table
    on every write (``SELECT COUNT(*)``: 0.6 ms at 100,000 rows, 9 ms at a million,
    on SQLite here). The worker sweeps on every heartbeat, which keeps the table
    at the live counters."""
    cache = _guard()
    if not isinstance(cache, DatabaseCache):
        return 0
    alias = router.db_for_write(cache.cache_model_class)
    connection = connections[alias]
    table = connection.ops.quote_name(cache.cache_model_class._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(
        timezone.now().replace(microsecond=0)
    )
    with _reachable("sweeping"), connection.cursor() as cursor:
        # The table name is the setting's, quoted; the time is a parameter.
        cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608
        return max(int(cursor.rowcount), 0)


def rest_of_window(window: int = MINUTE) -> int:
    """Seconds until the current window ends (for Retry-After)."""
    return max(1, window - int(time.time() % window))
