"""A database that is away answers 503 with Retry-After, never a 500 (plan §3.1 A4).

In this process: which errors count as an outage (real errors from SQLite and
psycopg, wrapped the way Django wraps them), and the whole request path on SQLite
with the writer's lock held past the busy timeout, a real outage of the one
writer. In a real ``firsthand serve`` process: a private PostgreSQL cluster
crashed under concurrent comment POSTs (``pg_ctl stop -m immediate``, then
``kill -9`` of the postmaster), see ``test_postgresql_crash_under_comments``.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import re
import sqlite3
import subprocess
import threading
import time
import types
import uuid
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from django.db.utils import DatabaseErrorWrapper, Error
from django.urls import reverse
from psycopg import sql

from firsthand import outage
from firsthand.blog.models import Post
from firsthand.conversation import tickets
from firsthand.conversation.models import Response
from firsthand.crosstalk.models import Inbound
from firsthand.outage import RETRY_AFTER_SECONDS, unavailable
from firsthand.sqlite.base import _queue_for
from tests.conftest import ReaderClient
from tests.durability_outage.outage_site import OutageSite, issue_tickets
from tests.harness.pgcluster import PgCluster, unavailable_reason
from tests.sites import FIRSTHAND, free_port

# --- Which errors are an outage ---------------------------------------------------


def as_django(error: Exception) -> Error:
    """``error`` as Django raises it: through Django's own DatabaseErrorWrapper,
    which picks Django's class for the driver's and keeps the driver's error as
    the cause."""
    driver = sqlite3 if isinstance(error, sqlite3.Error) else psycopg
    wrapper: Any = types.SimpleNamespace(Database=driver, errors_occurred=False)
    try:
        with DatabaseErrorWrapper(wrapper):
            raise error
    except Error as wrapped:
        return wrapped
    raise AssertionError("not wrapped")


def sqlite_error(tmp_path: Path, statement: str, *, uri: str = "") -> sqlite3.Error:
    try:
        database = sqlite3.connect(uri or tmp_path / "probe.sqlite3", uri=bool(uri))
        try:
            database.execute(statement)
        finally:
            database.close()
    except sqlite3.Error as error:
        return error
    raise AssertionError(f"{statement!r} did not fail")


def test_sqlite_storage_errors_are_an_outage(tmp_path: Path) -> None:
    # A full disk: the file may not grow past its current pages.
    full = sqlite3.connect(tmp_path / "full.sqlite3")
    full.execute("CREATE TABLE notes (body TEXT)")
    pages = full.execute("PRAGMA page_count").fetchone()[0]
    full.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError) as disk_full:
        full.execute("INSERT INTO notes VALUES (?)", ("x" * 100_000,))
    full.close()
    assert disk_full.value.sqlite_errorname == "SQLITE_FULL"

    # The write lock taken by another connection, no busy timeout left.
    holder = sqlite3.connect(tmp_path / "busy.sqlite3", isolation_level=None)
    holder.execute("CREATE TABLE notes (body TEXT)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(tmp_path / "busy.sqlite3", timeout=0)
    with pytest.raises(sqlite3.OperationalError) as locked:
        waiter.execute("BEGIN IMMEDIATE")
    holder.close()
    waiter.close()

    cannot_open = sqlite_error(
        tmp_path, "SELECT 1", uri=f"file:{tmp_path}/missing/folder.sqlite3?mode=rw"
    )
    sqlite3.connect(tmp_path / "ro.sqlite3").execute("CREATE TABLE t (x)").close()
    read_only = sqlite_error(
        tmp_path, "INSERT INTO t VALUES (1)", uri=f"file:{tmp_path}/ro.sqlite3?mode=ro"
    )
    for error in (disk_full.value, locked.value, cannot_open, read_only):
        assert unavailable(as_django(error)), error
    # Firsthand's writer queue says "database is locked" itself, with no cause.
    assert unavailable(OperationalError("database is locked"))


def test_sqlite_query_bugs_stay_errors(tmp_path: Path) -> None:
    """A missing table or a syntax error is an OperationalError in SQLite too: a
    bug, which must stay a 500 and keep its traceback."""
    missing_table = sqlite_error(tmp_path, "SELECT * FROM no_such_table")
    syntax = sqlite_error(tmp_path, "SELEKT 1")
    unique = sqlite3.connect(":memory:")
    unique.execute("CREATE TABLE t (x UNIQUE)")
    unique.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as duplicate:
        unique.execute("INSERT INTO t VALUES (1)")
    for error in (missing_table, syntax, duplicate.value):
        assert not unavailable(as_django(error)), error
    assert not unavailable(ValueError("database is locked"))


def test_postgresql_connection_errors_are_an_outage() -> None:
    """A refused connection, as psycopg reports a server that is down."""
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(f"host=127.0.0.1 port={free_port()} connect_timeout=3")
    assert unavailable(as_django(refused.value))
    assert unavailable(as_django(psycopg.errors.AdminShutdown("terminating")))
    assert unavailable(as_django(psycopg.InterfaceError("the connection is closed")))
    assert not unavailable(as_django(psycopg.errors.UndefinedTable("no relation")))
    assert not unavailable(as_django(psycopg.errors.UniqueViolation("duplicate")))


def test_postgresql_disk_full_is_an_outage() -> None:
    """PostgreSQL says 53100 (disk_full) both when a table cannot grow (an ERROR;
    it goes on) and when the WAL cannot (a PANIC on the writer's COMMIT, then a
    restart): test_disk_full.py's PostgreSQL test meets both. 58030 (io_error)
    is what it says when the disk fails a write instead."""
    for sqlstate, message in (
        ("53100", 'could not extend file "base/1/2": No space left on device'),
        ("53100", 'could not write to file "pg_wal/xlogtemp.7": No space left'),
        ("58030", "could not write block 7 of relation base/1/2: I/O error"),
    ):
        error = psycopg.errors.lookup(sqlstate)(message)
        assert isinstance(error, psycopg.OperationalError), sqlstate
        assert unavailable(as_django(error)), sqlstate


# --- The whole request path, SQLite's writer lock held past the busy timeout -------

only_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's writer lock (firsthand.sqlite)"
)


@pytest.fixture
def writer_lock_held(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Another writer holds the database's write lock; ours waits 0.1 s for it
    (the busy timeout, 20 s in production) and gives up with "database is
    locked", as under a long import or a stuck process."""
    connection.ensure_connection()
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.1)
    queue = _queue_for(f"{connection.settings_dict['NAME']}-writers.lock")
    queue.take(5)
    try:
        yield
    finally:
        queue.give_back()


def comment_form(post: Post, body: str, **fields: str) -> dict[str, str]:
    return {
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        "author_url": "https://bob.example.org/",
        "body": body,
        "ticket": tickets.issue(now=time.time() - 60),
        **fields,
    }


@only_sqlite
def test_a_comment_during_an_outage_gets_503_and_its_text_back(
    transactional_db: None,
    post: Post,
    writer_lock_held: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outage, "_quiet", outage.LogPace())
    bob = ReaderClient(raise_request_exception=False)
    body = 'Frames <script>alert("x")</script> & "quotes"\nsecond line'
    form = comment_form(post, body, author_name="Bob <b>Reader</b>")
    with caplog.at_level(logging.INFO):
        answer = bob.post(reverse("conversation:respond", args=[post.pk]), form)

    assert answer.status_code == 503
    assert answer["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert answer["Cache-Control"] == "no-store"
    page = answer.content.decode()
    assert "Traceback" not in page
    # Given back exactly, escaped: a textarea and a form to send it again.
    assert (
        "Frames &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
        "&quot;quotes&quot;\nsecond line</textarea>"
    ) in page
    assert "<script>" not in page
    assert "<b>" not in page
    assert 'value="Bob &lt;b&gt;Reader&lt;/b&gt;"' in page
    assert 'value="bob@example.org"' in page
    assert 'value="https://bob.example.org/"' in page
    assert f'action="{reverse("conversation:respond", args=[post.pk])}"' in page
    assert Response.objects.count() == 0
    # One line in the log, no traceback, and not Django's "Service Unavailable".
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in lines] == ["firsthand.outage"], lines
    assert lines[0].exc_info is None
    assert "database is locked" in lines[0].getMessage()


@only_sqlite
def test_reads_go_on_and_writes_come_back_without_a_restart(
    transactional_db: None,
    post: Post,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WAL readers do not need the write lock; once it is free, the same form
    (same ticket) is stored once, however often it was sent."""
    bob = ReaderClient(raise_request_exception=False)
    form = comment_form(post, "Prices online save everyone a phone call.")
    queue = _queue_for(f"{connection.settings_dict['NAME']}-writers.lock")
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.1)
    connection.ensure_connection()
    queue.take(5)
    try:
        assert bob.get(post.get_absolute_url()).status_code == 200
        refused = bob.post(reverse("conversation:respond", args=[post.pk]), form)
        assert refused.status_code == 503
    finally:
        queue.give_back()
    for _ in range(2):  # "Send again" from the 503 page, then once more
        stored = bob.post(reverse("conversation:respond", args=[post.pk]), form)
        assert stored.status_code == 302
    assert Response.objects.filter(body=form["body"]).count() == 1


@only_sqlite
def test_machine_endpoints_answer_503_in_their_own_form(
    transactional_db: None, post: Post, writer_lock_held: None
) -> None:
    sender = ReaderClient(raise_request_exception=False)
    target = "http://testserver" + post.get_absolute_url()
    source = "https://carol.example.net/notes/frames"

    mention = sender.post(
        reverse("crosstalk:webmention"), {"source": source, "target": target}
    )
    assert mention.status_code == 503
    assert mention["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert mention["Content-Type"].startswith("text/plain")
    assert "Try again in 30 seconds" in mention.content.decode()

    call = xmlrpc.client.dumps((source, target), "pingback.ping")
    ping = sender.post(reverse("crosstalk:xmlrpc"), call, content_type="text/xml")
    assert ping.status_code == 503
    assert ping["Retry-After"] == str(RETRY_AFTER_SECONDS)
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(ping.content)
    assert fault.value.faultCode == 0

    track = sender.post(
        reverse("crosstalk:trackback", args=[post.pk]),
        {"url": source, "title": "Frames", "blog_name": "Carol"},
    )
    assert track.status_code == 503
    assert track["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert re.search(rb"<error>1</error>", track.content)
    assert Inbound.objects.count() == 0


# --- A4: a real server, a private PostgreSQL cluster crashed under comments --------

CLIENTS = 4
OUTAGE_SECONDS = 5.0


@dataclasses.dataclass
class Sent:
    nonce: str
    body: str
    started: float
    ended: float
    status: int  # 0: no answer
    retry_after: str = ""
    error: str = ""


class Commenters:
    """A few threads posting comments as fast as the server answers (with a
    short pause), each one journalled; stopped by ``stop()``."""

    def __init__(self, url: str, post_id: int, pool: list[str]) -> None:
        self.url = f"{url}/respond/{post_id}/"
        self.pool = pool
        self.lock = threading.Lock()
        self.journal: list[Sent] = []
        self.halt = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True)
            for n in range(CLIENTS)
        ]

    def __enter__(self) -> Commenters:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.halt.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _run(self, client: int) -> None:
        with httpx.Client(timeout=15, follow_redirects=False) as http:
            while not self.halt.is_set():
                with self.lock:
                    if not self.pool:
                        return
                    ticket = self.pool.pop()
                nonce = ticket.split(".", 1)[0]
                body = f"Commenter {client} says: prices help ({uuid.uuid4().hex})."
                started = time.monotonic()
                sent = Sent(nonce, body, started, started, 0)
                try:
                    answer = http.post(
                        self.url,
                        data={
                            "author_name": f"Reader {client}",
                            "author_email": f"reader{client}@example.org",
                            "body": body,
                        },
                        headers={"Cookie": f"{tickets.COOKIE}={ticket}"},
                    )
                    sent.status = answer.status_code
                    sent.retry_after = answer.headers.get("retry-after", "")
                except httpx.HTTPError as error:
                    sent.error = repr(error)
                sent.ended = time.monotonic()
                http.cookies.clear()
                with self.lock:
                    self.journal.append(sent)
                time.sleep(0.02)

    def between(self, start: float, end: float) -> list[Sent]:
        with self.lock:
            return [s for s in self.journal if start <= s.started < end]

    def first_success_after(self, moment: float, *, wait: float) -> Sent | None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with self.lock:
                for sent in self.journal:
                    if sent.started >= moment and sent.status == 302:
                        return sent
            time.sleep(0.05)
        return None


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    made = PgCluster.create()
    try:
        yield made
    finally:
        made.destroy()


@pytest.mark.slow
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="runs once per CI, in the PostgreSQL pass (DATABASE_URL=postgres://…); "
    "it crashes a private cluster of its own, not that database",
)
def test_postgresql_crash_under_comments(
    cluster: PgCluster, tmp_path: Path, record_property: Any
) -> None:
    cluster.create_database("firsthand_outage")
    site = OutageSite(tmp_path / "site", cluster.url("firsthand_outage"))
    with site:
        post_id, _ = site.publish("Should a small shop put its prices online?")
        _, quiet_path = site.publish("A quiet post nobody comments on")
        # Cached while nothing changes; comments on the other post leave it be.
        for _ in range(2):
            assert httpx.get(site.url + quiet_path).status_code == 200
        figures: dict[str, float] = {}
        with Commenters(site.url, post_id, issue_tickets(6000)) as commenters:
            for crash in ("immediate", "kill9"):
                time.sleep(2)
                before = time.monotonic()
                if crash == "immediate":
                    cluster.stop_immediate()
                else:
                    cluster.kill_postmaster()
                down = time.monotonic()
                time.sleep(OUTAGE_SECONDS / 2)
                if crash == "immediate":
                    # Reads: the cached page is still served, others get a 503.
                    cached = httpx.get(site.url + quiet_path)
                    uncached = httpx.get(site.url + "/archive/?outage=1")
                    assert cached.status_code == 200
                    assert uncached.status_code == 503
                    assert uncached.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
                time.sleep(OUTAGE_SECONDS / 2)
                restart = time.monotonic()
                cluster.start()
                up = time.monotonic()
                first = commenters.first_success_after(up, wait=30)
                assert first is not None, f"no comment stored after {crash}"
                during = commenters.between(down, restart)
                refused = [s for s in during if s.status == 503]
                assert refused, f"no POST saw the outage ({crash})"
                assert {s.status for s in during} == {503}, [
                    (s.status, s.error) for s in during if s.status != 503
                ]
                figures[f"{crash}_restart_s"] = round(up - restart, 2)
                figures[f"{crash}_recovery_s"] = round(first.ended - up, 2)
                figures[f"{crash}_refused"] = len(refused)
                figures[f"{crash}_crash_at"] = before
                figures[f"{crash}_down_at"] = down
                time.sleep(1)
        journal = commenters.journal
        stored = stored_tickets(cluster.url("firsthand_outage"), post_id)
        log = site.logs()

    statuses = collections.Counter(s.status for s in journal)
    acked = {s.nonce for s in journal if s.status == 302}
    unacked = [s for s in journal if s.status != 302]
    lost = acked - set(stored)
    duplicated = {nonce for nonce, count in stored.items() if count > 1}
    orphans = [s for s in unacked if s.nonce in stored]
    crash_moments = [
        (figures[f"{c}_crash_at"], figures[f"{c}_down_at"])
        for c in ("immediate", "kill9")
    ]
    amcheck = cluster.amcheck()
    summary = {
        "requests": len(journal),
        "statuses": dict(statuses),
        "acked": len(acked),
        "stored": len(stored),
        "lost": len(lost),
        "dup": len(duplicated),
        "orphans": len(orphans),
        "pg_amcheck_exit": amcheck.returncode,
        **{k: v for k, v in figures.items() if not k.endswith("_at")},
    }
    record_property("outage_figures", summary)
    # The figures docs/deployment.md quotes (seen with pytest -s).
    print("A4 figures:", summary)  # noqa: T201

    assert set(statuses) <= {302, 503}, statuses  # never a 500, never no answer
    assert all(
        s.retry_after == str(RETRY_AFTER_SECONDS) for s in journal if s.status == 503
    )
    assert not lost, f"acknowledged but not stored: {sorted(lost)[:5]}"
    assert not duplicated
    # Stored without an acknowledgement only when the crash came mid-commit.
    for orphan in orphans:
        assert any(
            start <= orphan.ended and orphan.started <= end
            for start, end in crash_moments
        ), orphan
    assert amcheck.returncode == 0, amcheck.stdout + amcheck.stderr
    assert "Internal Server Error" not in log
    assert "Traceback" not in log, log
    # One line a second at most, however many requests were refused.
    assert 0 < log.count("503 for") <= 4 * OUTAGE_SECONDS, log.count("503 for")


def test_the_log_names_the_first_error_not_the_reconnect_after_it() -> None:
    """A commit that PANICs PostgreSQL is followed by a failed rollback, raised
    while the first was being handled; the 503's log line must say why the first
    one failed."""
    first = as_django(psycopg.errors.DiskFull("No space left on device"))
    later = as_django(psycopg.OperationalError("the database system is in recovery"))
    later.__context__ = first  # what raising it inside ``except`` records
    assert "No space left" in outage.one_line(outage.first_cause(later))
    # Alone, an error is its own first cause; a bug behind an outage is not
    # taken for one.
    alone = as_django(psycopg.OperationalError("connection refused"))
    assert outage.first_cause(alone) is alone
    alone.__context__ = ValueError("a bug")
    assert outage.first_cause(alone) is alone


def test_outage_lines_are_paced() -> None:
    pace = outage.LogPace(seconds=60)
    assert pace.count() == 0
    assert [pace.count() for _ in range(3)] == [None, None, None]
    pace.last -= 61
    assert pace.count() == 3


def stored_tickets(url: str, post_id: int) -> dict[str, int]:
    """How many responses carry each ticket, read from the cluster itself."""
    table = Response._meta.db_table
    with psycopg.connect(url) as database:
        query = sql.SQL(
            "SELECT ticket, count(*) FROM {} "
            "WHERE post_id = %s AND ticket <> '' GROUP BY ticket"
        ).format(sql.Identifier(table))
        rows = database.execute(
            query,
            [post_id],
        ).fetchall()
    return {str(ticket): int(count) for ticket, count in rows}


# --- A6: the durability settings in force, not only in the settings file ----------


@only_sqlite
def test_sqlite_transactions_take_the_write_lock_at_begin(
    transactional_db: None,
) -> None:
    """IMMEDIATE: even a transaction that has only read holds the write lock, so
    two writers queue instead of failing when a read upgrades to a write."""
    name = connection.settings_dict["NAME"]
    other = sqlite3.connect(name, timeout=0, isolation_level=None)
    try:
        with transaction.atomic():
            assert Post.objects.count() == 0  # a read, nothing written
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after the commit
        other.execute("ROLLBACK")
    finally:
        other.close()


@pytest.mark.slow
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="runs once per CI, in the PostgreSQL pass; uses a private cluster",
)
def test_serve_refuses_a_postgresql_that_can_corrupt(
    cluster: PgCluster, tmp_path: Path
) -> None:
    """With fsync=off (set on a private server: the shared one keeps its
    defaults), ``firsthand serve`` stops at its system check (firsthand.E001);
    with synchronous_commit=off it only warns (firsthand.W003)."""
    cluster.create_database("firsthand_durability")
    site = OutageSite(tmp_path / "site", cluster.url("firsthand_durability"))
    site.data_dir.mkdir()
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as database:
        database.execute("ALTER SYSTEM SET fsync = off")
        database.execute("SELECT pg_reload_conf()")

    def firsthand(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FIRSTHAND, *args],
            env=site.env(),
            cwd=site.data_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    refused = firsthand("serve", "--host", "127.0.0.1", "--port", str(free_port()))
    assert refused.returncode != 0
    assert "firsthand.E001" in refused.stderr
    assert "fsync=off" in refused.stderr

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as database:
        database.execute("ALTER SYSTEM SET fsync = on")
        database.execute("ALTER SYSTEM SET synchronous_commit = off")
        database.execute("SELECT pg_reload_conf()")
    warned = firsthand("check", "--database", "default")
    assert warned.returncode == 0, warned.stderr
    assert "firsthand.W003" in warned.stderr + warned.stdout
    assert "firsthand.E001" not in warned.stderr + warned.stdout
