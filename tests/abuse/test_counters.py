"""The shared counters hold exactly across threads and across server processes,
on the database table and on the real Redis (plan §3.1 D29)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections
from django.test import override_settings

from firsthand import ratelimit
from firsthand.conversation import flood
from tests.abuse.conftest import (
    DATABASE_GUARD,
    drop_redis_keys,
    redis_guard,
    redis_or_skip,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def at_once(threads: int, attempts: int, attempt: Callable[[int], bool]) -> int:
    """``threads`` threads start together and each tries ``attempts`` times; the
    number of tries that got through."""
    through: list[int] = []
    start = threading.Barrier(threads)

    def run(index: int) -> None:
        try:
            start.wait()
            through.append(sum(attempt(index * attempts + n) for n in range(attempts)))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(through) == threads, "a thread failed"
    return sum(through)


def test_a_burst_of_threads_gets_exactly_the_ceiling(
    guard_backend: str, run_token: str
) -> None:
    key = f"{run_token}:burst"
    through = at_once(8, 12, lambda n: ratelimit.allow(key, 40, window=3600))
    assert through == 40


@override_settings(FIRSTHAND_FLOOD_INTERVAL=0, FIRSTHAND_FLOOD_PER_HOUR=25)
def test_one_address_flooding_from_threads_gets_exactly_the_hourly_ceiling(
    guard_backend: str, run_token: str
) -> None:
    address = f"198.51.100.{os.getpid() % 200 + 1}"
    flood_ip = f"{address}-{run_token}"  # a key of this test's own

    def post(n: int) -> bool:
        return flood.seconds_to_wait(flood_ip, f"{n}.{run_token}@example.org") == 0

    assert at_once(6, 10, post) == 25


@override_settings(FIRSTHAND_FLOOD_INTERVAL=15, FIRSTHAND_FLOOD_PER_HOUR=0)
def test_of_posts_at_the_same_moment_from_one_address_one_goes_through(
    guard_backend: str, run_token: str
) -> None:
    def post(n: int) -> bool:
        return flood.seconds_to_wait(run_token, f"{n}.{run_token}@example.org") == 0

    assert at_once(8, 3, post) == 1


def _database_url() -> str:
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or "postgres"
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{config['NAME']}"


def _go(children: list[subprocess.Popen[str]]) -> None:
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()


def _hammer(processes: int, spec: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Start ``processes`` workers, let them race on ``ratelimit.allow`` and then
    on flood control; how many each let through, for each."""
    env = {**os.environ, "DATABASE_URL": _database_url()}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.abuse.hammer", json.dumps(spec)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        lines: list[list[str]] = []
        for child in children:  # every process has started Django
            assert child.stdout is not None
            lines.append([child.stdout.readline().strip()])
        assert all(got == ["ready"] for got in lines), lines
        _go(children)
        for child, got in zip(children, lines, strict=True):
            assert child.stdout is not None
            got.append(child.stdout.readline().strip())
        _go(children)
        for child, got in zip(children, lines, strict=True):
            out, err = child.communicate(timeout=90)
            assert child.returncode == 0, err[-2000:]
            got.append(out.strip())
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    return [int(got[1]) for got in lines], [int(got[2]) for got in lines]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_server_processes_hammering_one_key_let_exactly_the_ceiling_through(
    backend: str, run_token: str
) -> None:
    if backend == "redis":
        redis_or_skip()
        guard = redis_guard(run_token)
    else:
        guard = DATABASE_GUARD
    try:
        allowed, flooded = _hammer(
            2, {"key": run_token, "ceiling": 60, "attempts": 90, "guard": guard}
        )
    finally:
        if backend == "redis":
            drop_redis_keys(run_token)
    # Both processes really raced: each got some through, together exactly the limit.
    assert sum(allowed) == 60, allowed
    assert min(allowed) > 0, allowed
    assert sum(flooded) == 60, flooded
    assert min(flooded) > 0, flooded
    assert settings.FIRSTHAND_FLOOD_PER_HOUR == 0  # the parent's settings untouched


def test_the_guard_table_never_culls_live_counters(db: None) -> None:
    # Django's database cache deletes a third of its rows past MAX_ENTRIES (300 by
    # default): made-up names would wipe every throttle. The site's configuration
    # (no Redis here) raises the ceiling, and the fixtures use that configuration.
    assert settings.CACHES["guard"] == DATABASE_GUARD
    assert settings.CACHES["guard"]["OPTIONS"]["MAX_ENTRIES"] >= 1_000_000


@pytest.mark.django_db
def test_the_worker_sweeps_expired_counters_and_keeps_live_ones() -> None:
    # The guard table never culls live rows, so expired ones are swept instead:
    # Django counts the whole table on every write.
    guard = caches["guard"]
    with time_machine.travel(1_800_000_000, tick=False):
        for n in range(30):
            ratelimit.count(f"sweep-test:old:{n}", timeout=60)
        ratelimit.count("sweep-test:young", timeout=3600)
    with time_machine.travel(1_800_000_000 + 120, tick=False):
        assert ratelimit.sweep() == 30
        assert guard.get("sweep-test:young") == 1
        assert ratelimit.sweep() == 0


@pytest.mark.django_db
def test_a_counter_lives_as_long_as_it_was_made_to() -> None:
    # Django's incr on the database table rewrote a counter with the default
    # timeout (300 s): an hour's flood count vanished five minutes after its last
    # step, a sign-in count too. Now every step keeps the counter's own timeout.
    with time_machine.travel(1_800_000_000, tick=False):
        assert ratelimit.count("lifetime-test", timeout=3600) == 1
        assert ratelimit.count("lifetime-test", timeout=3600) == 2
        assert ratelimit.count("lifetime-test", timeout=3600) == 3
        ratelimit.uncount("lifetime-test", timeout=3600)
    with time_machine.travel(1_800_000_000 + 1800, tick=False):
        assert ratelimit.read("lifetime-test") == 2
        assert ratelimit.count("lifetime-test", timeout=3600) == 3
    with time_machine.travel(1_800_000_000 + 1800 + 3601, tick=False):
        assert ratelimit.read("lifetime-test") is None
