"""A database that is away answers 503 with Retry-After, never a 500 (plan §3.1 A4).

In this process: which errors count as an outage (real errors from SQLite and
psycopg, wrapped the way Django wraps them), and the whole request path on SQLite
with the writer's lock held past the busy timeout, a real outage of the one
writer. In a real ``firsthand serve`` process: a private PostgreSQL cluster
crashed under concurrent comment POSTs (``pg_ctl stop -m immediate``, then
``kill -9`` of the postmaster), see ``test_postgresql_crash_under_comments``.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
import types
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection
from django.db.utils import DatabaseErrorWrapper, Error
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation import tickets
from firsthand.conversation.models import Response
from firsthand.crosstalk.models import Inbound
from firsthand.outage import RETRY_AFTER_SECONDS, unavailable
from firsthand.sqlite.base import _queue_for
from tests.conftest import ReaderClient
from tests.sites import free_port

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


# --- The whole request path, SQLite's writer lock held past the busy timeout -------

only_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's writer lock (firsthand.sqlite)"
)


@pytest.fixture
def writer_lock_held(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Another writer holds the database's write lock; ours waits 0.3 s for it
    (the busy timeout, 20 s in production) and gives up with "database is
    locked", as under a long import or a stuck process."""
    connection.ensure_connection()
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.3)
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
) -> None:
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
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.3)
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
    assert "nothing was stored" in mention.content.decode()

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
