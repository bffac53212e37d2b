"""A full disk under SQLite answers 503, loses nothing and heals by itself (plan
§3.1 A7).

Without root, in this process: ``PRAGMA max_page_count`` caps the test database
where it stands, which SQLite reports exactly as a full disk (SQLITE_FULL). As
root, a real ``firsthand serve`` with its data folder (database, WAL, logs) on a
16 MiB tmpfs filled to 1 MiB free.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation import tickets
from firsthand.conversation.models import Response
from firsthand.outage import RETRY_AFTER_SECONDS
from tests.conftest import ReaderClient
from tests.durability_outage.outage_site import OutageSite, issue_tickets

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


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "disk"
    folder.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)],
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


@pytest.mark.slow
@only_sqlite
def test_sqlite_on_a_full_disk(small_disk: Path) -> None:
    site = OutageSite(small_disk / "site")
    pool = issue_tickets(600)
    journal: list[tuple[str, str, int]] = []  # nonce, body, status
    with site:
        post_id, path = site.publish("Should a small shop put its prices online?")
        for _ in range(2):  # cached now
            assert httpx.get(site.url + path).status_code == 200
        filler = fill(small_disk, leave=1 << 20)
        url = f"{site.url}/respond/{post_id}/"

        def post_one(number: int) -> httpx.Response:
            ticket = pool.pop()
            body = f"{LONG_BODY} ({number}, {uuid.uuid4().hex})"
            answer = httpx.post(
                url,
                data={
                    "author_name": "Bob",
                    "author_email": "bob@example.org",
                    "body": body,
                },
                headers={"Cookie": f"{tickets.COOKIE}={ticket}"},
                timeout=30,
            )
            journal.append((ticket.split(".", 1)[0], body, answer.status_code))
            return answer

        refused: list[httpx.Response] = []
        for number in range(500):
            answer = post_one(number)
            assert answer.status_code in {302, 503}, answer.text[:2000]
            if answer.status_code == 503:
                refused.append(answer)
                if len(refused) == 3:
                    break
        assert len(refused) == 3, "the disk never filled up"
        for answer in refused:
            assert answer.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
            assert "Traceback" not in answer.text
            assert "Back in a moment" in answer.text
        full_at = len(journal)
        # Reads keep working: from the page cache, and rendered afresh.
        assert httpx.get(site.url + path).status_code == 200
        assert httpx.get(site.url + "/archive/?disk=full").status_code == 200

        filler.unlink()  # the operator makes room; no restart
        healed = post_one(1000)
        assert healed.status_code == 302, healed.text[:2000]
        log = site.logs()

    acked = {nonce for nonce, _, status in journal if status == 302}
    not_acked = {nonce for nonce, _, status in journal if status != 302}
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
            "posted": len(journal),
            "acked": len(acked),
            "full_after": full_at - 3,
            "stored": len(stored),
            "integrity": check,
        },
    )
    assert check == "ok"
    assert set(stored) == acked  # nothing lost, nothing partial from the refused ones
    assert not not_acked & set(stored)
    assert all(count == 1 for count in stored.values())
    # The log is on the same full disk: writing it never turned a request into a 500.
    assert "Internal Server Error" not in log
    assert "Traceback" not in log
