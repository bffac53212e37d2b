"""A shortened soak (plan §3.1 test A8): a steady load at 30% of A1's for a few
minutes, with the server's memory, open files and WAL sampled every 10 s.

Expect: after warm-up no worker's resident memory grows by more than 5%, the count
of open file descriptors stays flat, the WAL stays bounded (checkpoints happen),
and nothing acknowledged is lost. The plan asks for ten minutes; this runs five so
that the slow tier stays within CI's budget. The server runs two threads a
worker (THREADS, below): with the default eight, each thread's connection and
caches fill as the database grows, which on a busy machine took longer than the
warm-up. Measured with eight over seven minutes on a quiet machine: 139.6 MB at
150 s and 141.9 MB at 420 s; with two, on a busy one (104 requests a second):
120.3 MB at 150 s, 121.9 MB at 300 s (docs/reliability.md). A leak of even a few
hundred bytes a request would show past the bound.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import pytest

from tests.durability.conftest import explain, on_postgresql, stored_rows
from tests.harness import loadgen, reconcile
from tests.harness.appserver import AppServer, group_pids, resident_kib

pytestmark = pytest.mark.slow

CLIENTS = 15  # 30% of A1's fifty
SECONDS = 300.0
EVERY = 10.0
WARM_UP = 150.0  # imports, per-thread connections and caches, the page cache
# Two threads a worker, not the default eight: each thread's SQLite connection and
# caches fill as the database grows, so eight of them on a busy machine (60
# requests a second instead of 400) were still filling when the warm-up ended and
# looked like a leak (+14% in a helper's run). A leak grows with requests, however
# many threads serve them; two fill within the warm-up.
THREADS = 2
GROWTH = 1.05
WAL_BOUND = 64 * 1024 * 1024


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@dataclasses.dataclass(frozen=True)
class Sample:
    elapsed: float
    rss: dict[int, int]  # KiB per process of the server's group
    fds: dict[int, int]
    wal: int  # bytes


def sample(app: AppServer, elapsed: float) -> Sample:
    assert app.app is not None
    pids = group_pids(app.app.pid)
    wal = app.data_dir / "firsthand.sqlite3-wal"
    return Sample(
        elapsed,
        rss={pid: resident_kib(pid) for pid in pids},
        fds={pid: open_files(pid) for pid in pids},
        wal=wal.stat().st_size if wal.exists() else 0,
    )


@pytest.mark.skipif(on_postgresql(), reason="SQLite's test: runs in the SQLite pass")
def test_a8_a_steady_load_leaks_neither_memory_nor_files(
    sqlite_template: tuple[AppServer, list[loadgen.Target]], tmp_path: Path
) -> None:
    template, targets = sqlite_template
    app = template.copy_to(tmp_path / "site")
    app.settings["FIRSTHAND_SERVE_THREADS"] = str(THREADS)
    journal = tmp_path / "journal.jsonl"
    samples: list[Sample] = []
    stop = threading.Event()
    with app:

        def watch() -> None:
            elapsed = 0.0
            while not stop.wait(EVERY):
                elapsed += EVERY
                samples.append(sample(app, elapsed))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        plan = loadgen.Plan(
            url=app.url, targets=targets, clients=CLIENTS, seconds=SECONDS
        )
        generator = loadgen.run(plan, journal)
        stop.set()
        watcher.join(timeout=EVERY * 2)
        report = reconcile.reconcile(
            generator.journal,
            stored_rows(app),
            seconds=generator.stopped - generator.started,
        )
    print(report.line())  # noqa: T201 (pytest -s shows the figures)
    for seen in samples:
        print(seen)  # noqa: T201
    why = explain(report, app, journal)
    assert report.ok, why
    assert report.lost == report.dup == report.server_errors == 0, why
    assert report.acked >= 50, why
    warm = [seen for seen in samples if seen.elapsed >= WARM_UP]
    assert len(warm) >= 12, samples
    first, last = warm[0], warm[-1]
    # The same processes all along: none died and was replaced.
    assert set(first.rss) == set(last.rss), samples
    for pid, kib in first.rss.items():
        assert last.rss[pid] <= kib * GROWTH, (pid, kib, last.rss[pid], samples)
    for pid, count in first.fds.items():
        assert last.fds[pid] <= count + 4, (pid, count, last.fds[pid], samples)
    assert all(seen.wal < WAL_BOUND for seen in samples), samples
