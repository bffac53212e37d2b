"""A full disk answers 503, loses nothing and heals without a restart of
Firsthand (plan §3.1 A7).

Without root, in this process: ``PRAGMA max_page_count`` caps the test database
where it stands, which SQLite reports exactly as a full disk (SQLITE_FULL). As
root, a real ``firsthand serve`` with its data folder (database, WAL, logs) on a
16 MiB tmpfs filled to 1 MiB free; and a real ``firsthand serve`` on a private
PostgreSQL cluster whose data directory and WAL are on two small tmpfs disks,
each filled in turn (``test_postgresql_on_a_full_disk``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation import tickets
from firsthand.conversation.models import Response
from firsthand.outage import RETRY_AFTER_SECONDS
from tests.conftest import ReaderClient
from tests.durability_outage.outage_site import OutageSite, issue_tickets
from tests.durability_outage.test_outage import stored_tickets
from tests.harness.pgcluster import OS_USER, PgCluster, unavailable_reason

only_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's full-disk behaviour"
)
SQLITE_MAX_PAGES = 1_073_741_823  # SQLite's default max_page_count
LONG_BODY = "Framing prices explained at length. " * 80  # about 3 kB


@pytest.fixture
def capped_database() -> Iterator[None]:
    """The test database may not grow past the pages it has now."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count = {int(pages)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {SQLITE_MAX_PAGES}")


@only_sqlite
def test_a_full_database_answers_503_and_heals_without_a_restart(
    transactional_db: None, post: Post, capped_database: None
) -> None:
    bob = ReaderClient(raise_request_exception=False)
    url = reverse("conversation:respond", args=[post.pk])
    stored, refused = [], []
    for number in range(200):
        body = f"{LONG_BODY} ({number}, {uuid.uuid4().hex})"
        ticket = tickets.issue(now=time.time() - 60)
        answer = bob.post(
            url,
            {
                "author_name": "Bob",
                "author_email": "bob@example.org",
                "body": body,
                "ticket": ticket,
            },
        )
        assert answer.status_code in {302, 503}, answer.content[:500]
        if answer.status_code == 503:
            assert answer["Retry-After"] == str(RETRY_AFTER_SECONDS)
            page = answer.content.decode()
            assert "Traceback" not in page
            assert body in page  # given back
            refused.append(body)
            if len(refused) == 3:
                break
        else:
            stored.append(body)
    assert len(refused) == 3, "the capped database never filled up"
    # Nothing partial: exactly the acknowledged comments, none of the refused.
    assert sorted(Response.objects.values_list("body", flat=True)) == sorted(stored)
    # Reads go on.
    assert bob.get(post.get_absolute_url()).status_code == 200

    with connection.cursor() as cursor:  # the operator frees some space
        cursor.execute(f"PRAGMA max_page_count = {SQLITE_MAX_PAGES}")
    again = bob.post(
        url,
        {
            "author_name": "Bob",
            "author_email": "bob@example.org",
            "body": refused[0],
            "ticket": tickets.issue(now=time.time() - 60),
        },
    )
    assert again.status_code == 302
    assert Response.objects.filter(body=refused[0]).count() == 1
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        assert cursor.fetchall() == [("ok",)]


# --- A real server on a 16 MiB tmpfs -------------------------------------------------


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A real filesystem of ``size`` (``mount -o size=``) mounted on ``folder``,
    which is made here; the test is skipped where nothing can be mounted."""
    folder.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        pytest.skip(
            f"cannot mount a tmpfs here (root and CAP_SYS_ADMIN needed): {detail}"
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, timeout=30)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk", "16m") as disk:
        yield disk


def fill(disk: Path, *, leave: int) -> Path:
    """A filler file that leaves ``leave`` bytes free on ``disk``."""
    filler = disk / "filler"
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    assert free > leave, f"only {free} bytes free before filling"
    with filler.open("wb") as handle:
        remaining = free - leave
        chunk = b"\0" * (1 << 20)
        while remaining > 0:
            handle.write(chunk[: min(remaining, len(chunk))])
            remaining -= len(chunk)
    return filler


class Commenter:
    """Bob's comments on one post of a real server, one at a time, each in a
    journal: the ticket's nonce (stored with the comment), the text, the status."""

    def __init__(self, site: OutageSite, post_id: int, pool: list[str]) -> None:
        self.url = f"{site.url}/respond/{post_id}/"
        self.pool = pool
        self.journal: list[tuple[str, str, int]] = []

    def post(self) -> httpx.Response:
        ticket = self.pool.pop()
        body = f"{LONG_BODY} ({len(self.journal)}, {uuid.uuid4().hex})"
        answer = httpx.post(
            self.url,
            data={
                "author_name": "Bob",
                "author_email": "bob@example.org",
                "body": body,
            },
            headers={"Cookie": f"{tickets.COOKIE}={ticket}"},
            timeout=30,
        )
        self.journal.append((ticket.split(".", 1)[0], body, answer.status_code))
        return answer

    def until_refused(self, refusals: int = 3, *, limit: int = 500) -> int:
        """Posts until ``refusals`` comments were refused, each a clear 503; how
        many were stored before the first refusal."""
        refused: list[httpx.Response] = []
        stored = 0
        for _ in range(limit):
            answer = self.post()
            assert answer.status_code in {302, 503}, answer.text[:2000]
            if answer.status_code == 302:
                if not refused:
                    stored += 1
                continue
            assert answer.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
            assert "Traceback" not in answer.text
            assert "Back in a moment" in answer.text
            assert self.journal[-1][1] in answer.text  # the text given back
            refused.append(answer)
            if len(refused) == refusals:
                return stored
        raise AssertionError(f"{limit} comments and the disk never filled up")

    def check(self, stored: dict[str, int]) -> None:
        """``stored``: the rows per ticket nonce. Every acknowledged comment once,
        none of the refused ones (nothing partial)."""
        acked = {nonce for nonce, _, status in self.journal if status == 302}
        refused = {nonce for nonce, _, status in self.journal if status != 302}
        assert set(stored) == acked, (sorted(acked - set(stored)), len(stored))
        assert not refused & set(stored)
        assert all(count == 1 for count in stored.values())


@pytest.mark.slow
@only_sqlite
def test_sqlite_on_a_full_disk(small_disk: Path) -> None:
    site = OutageSite(small_disk / "site")
    with site:
        post_id, path = site.publish("Should a small shop put its prices online?")
        for _ in range(2):  # cached now
            assert httpx.get(site.url + path).status_code == 200
        bob = Commenter(site, post_id, issue_tickets(600))
        filler = fill(small_disk, leave=1 << 20)
        full_after = bob.until_refused()
        # Reads keep working: from the page cache, and rendered afresh.
        assert httpx.get(site.url + path).status_code == 200
        assert httpx.get(site.url + "/archive/?disk=full").status_code == 200

        filler.unlink()  # the operator makes room; no restart
        healed = bob.post()
        assert healed.status_code == 302, healed.text[:2000]
        log = site.logs()

    database = sqlite3.connect(small_disk / "site" / "firsthand.sqlite3")
    try:
        (check,) = database.execute("PRAGMA integrity_check").fetchone()
        rows = database.execute(
            f"SELECT ticket, count(*) FROM {Response._meta.db_table} "  # noqa: S608 the model's table
            "WHERE ticket <> '' GROUP BY ticket"
        ).fetchall()
    finally:
        database.close()
    stored = dict(rows)
    print(  # noqa: T201 the figures docs/deployment.md quotes (pytest -s)
        "A7 figures:",
        {
            "posted": len(bob.journal),
            "full_after": full_after,
            "stored": len(stored),
            "integrity": check,
        },
    )
    assert check == "ok"
    bob.check(stored)
    # The log is on the same full disk: writing it never turned a request into a 500.
    assert "Internal Server Error" not in log
    assert "Traceback" not in log


# --- PostgreSQL: its data directory, then its WAL, on a full disk ---------------------

WAL_SEGMENT = 1 << 20  # initdb --wal-segsize=1 (MB): the WAL grows a megabyte at a time


@pytest.fixture
def postgres_on_small_disks() -> Iterator[tuple[PgCluster, Path, Path]]:
    """A private cluster whose data directory is on a 48 MiB tmpfs and its WAL
    (``initdb --waldir``, a volume of its own as many servers have it) on a
    16 MiB one; its socket and log stay on the real disk, to be read."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    # Not under tmp_path: pytest makes that root's alone, and the postgres user
    # must reach the disks.
    folder = Path(tempfile.mkdtemp(prefix="firsthand-pgdisk-"))
    shutil.chown(folder, OS_USER, OS_USER)
    try:
        with tmpfs(folder / "data", "48m") as data, tmpfs(folder / "wal", "16m") as wal:
            cluster = PgCluster.create(
                data=data / "pgdata",
                initdb=("--waldir", str(wal / "pg_wal"), "--wal-segsize", "1"),
                settings={"log_line_prefix": "'%m [%p] %e '"},  # %e: the SQLSTATE
            )
            try:
                yield cluster, data, wal
            finally:
                cluster.destroy()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def near_wal_end(url: str, *, room: int) -> None:
    """Move the WAL to about ``room`` bytes before the end of the last segment
    file it has (at a checkpoint PostgreSQL renames old segments into future
    ones, which needs no space), with logical messages no one decodes: the next
    segment, which needs space the disk no longer has, is then a few comments
    away instead of hundreds."""
    query = (
        "SELECT max(name), pg_current_wal_insert_lsn() - '0/0' "
        "FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'"
    )
    with psycopg.connect(url, autocommit=True) as database:
        while True:
            row = database.execute(query).fetchone()
            assert row is not None
            last, position = str(row[0]), int(row[1])
            # A segment's name: timeline, then its number as two 32-bit halves.
            number = (int(last[8:16], 16) << 32) // WAL_SEGMENT + int(last[16:], 16)
            left = (number + 1) * WAL_SEGMENT - room - position
            if left < room // 2:
                return
            # Short of it: page headers add about 0.3% to what is written.
            database.execute(
                "SELECT pg_logical_emit_message(false, 'test', repeat('x', %s))",
                [left - left // 128 - 1024],
            )


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.slow
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="runs once per CI, in the PostgreSQL pass (DATABASE_URL=postgres://…); "
    "it fills a private cluster of its own, not that database",
)
def test_postgresql_on_a_full_disk(
    postgres_on_small_disks: tuple[PgCluster, Path, Path],
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    """Runs once per CI, in the PostgreSQL pass (as the crash test does): the
    database is a private cluster, whatever the suite's own database is, so a
    second run in the SQLite pass would prove nothing more.

    The data directory full: PostgreSQL cannot extend a table (SQLSTATE 53100),
    refuses that one statement and goes on serving. The WAL full: the commit
    that needs a new WAL segment PANICs (53100), PostgreSQL restarts, and its
    crash recovery, which must write WAL too, fails for want of space, so it shuts
    down; the operator frees space and starts PostgreSQL. Firsthand answers 503
    throughout and takes comments again without being restarted."""
    began = time.monotonic()
    cluster, data_disk, wal_disk = postgres_on_small_disks
    cluster.create_database("firsthand_disk")
    url = cluster.url("firsthand_disk")
    site = OutageSite(tmp_path / "site", url)
    figures: dict[str, object] = {}
    with site:
        post_id, path = site.publish("Should a small shop put its prices online?")
        _, quiet_path = site.publish("A quiet post nobody comments on")
        for _ in range(2):  # cached now
            assert httpx.get(site.url + quiet_path).status_code == 200
        bob = Commenter(site, post_id, issue_tickets(600))

        # A first comment makes the tables' and indexes' first pages (some 150 kB).
        assert bob.post().status_code == 302

        # 1. The data directory's disk is full: a table cannot grow.
        filler = fill(data_disk, leave=32 << 10)
        figures["data_full_after"] = bob.until_refused()
        assert cluster.running()
        for read in (path, quiet_path, "/archive/?disk=full"):  # PostgreSQL reads on
            assert httpx.get(site.url + read).status_code == 200, read
        filler.unlink()
        freed = time.monotonic()
        healed = bob.post()  # the next comment, no restart of anything
        assert healed.status_code == 302, healed.text[:2000]
        figures["data_healed_s"] = round(time.monotonic() - freed, 2)

        # 2. The WAL's disk is full: less than a segment left.
        filler = fill(wal_disk, leave=WAL_SEGMENT // 4)
        near_wal_end(url, room=24 << 10)
        figures["wal_full_after"] = bob.until_refused()
        figures["postgres_shut_down"] = wait_for(lambda: not cluster.running(), 15)
        uncached = httpx.get(site.url + "/archive/?wal=full")
        if figures["postgres_shut_down"]:
            # Pages in the page cache are still served; the others wait.
            assert httpx.get(site.url + quiet_path).status_code == 200
            assert uncached.status_code == 503
            assert uncached.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        else:  # PostgreSQL came back by itself, and reads
            assert uncached.status_code == 200
        filler.unlink()
        freed = time.monotonic()
        if not cluster.running():
            cluster.start()  # the operator's one step (docs/deployment.md)
        figures["postgres_back_s"] = round(time.monotonic() - freed, 2)
        back = time.monotonic()
        tries = 0
        while tries < 50 and bob.post().status_code != 302:
            tries += 1
            time.sleep(0.2)
        assert bob.journal[-1][2] == 302, "no comment stored after the WAL had room"
        figures["wal_healed_s"] = round(time.monotonic() - back, 2)
        figures["wal_503s_after_start"] = tries
        log = site.logs()

    stored = stored_tickets(url, post_id)
    amcheck = cluster.amcheck()
    server_log = cluster.log.read_text(errors="replace")
    # What PostgreSQL said, and what Firsthand logged for its 503s.
    said = sorted(set(re.findall(r" (53100 (?:ERROR|FATAL|PANIC): .*)", server_log)))
    logged = [line for line in log.splitlines() if "503 for" in line]
    statuses = collections.Counter(status for *_, status in bob.journal)
    figures.update(
        statuses=dict(statuses),
        stored=len(stored),
        pg_amcheck_exit=amcheck.returncode,
        seconds=round(time.monotonic() - began, 1),
    )
    record_property("disk_full_figures", figures)
    print("A7 PostgreSQL figures:", figures, *said, *logged, sep="\n")  # noqa: T201

    assert set(statuses) <= {302, 503}  # never a 500
    bob.check(stored)
    assert amcheck.returncode == 0, amcheck.stdout + amcheck.stderr
    # Each disk was what refused: a table's file, then a WAL segment.
    assert re.search(r" 53100 ERROR:  could not extend file ", server_log), said
    assert re.search(r' 53100 \w+:  could not write to file "pg_wal/', server_log), said
    assert "Internal Server Error" not in log
    assert "Traceback" not in log, log
