"""A prepared site to copy for each load test, and the database a server under
test uses: SQLite in its data folder, or, when the suite runs on PostgreSQL
(DATABASE_URL set, as in CI's second pass), a private database on that server,
created for the test and dropped after it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.harness import loadgen, reconcile
from tests.harness.appserver import AppServer

# The test site's flood control: counted on every comment as in production (the
# counters are rows in the same database), with one comment a second per address
# instead of one per 15 s (the hourly ceiling stays at its default, 30); the load
# generator sends each comment from the next of 254 addresses, so a legitimate
# load is rarely told to wait (docs/reliability.md).
LOAD_SETTINGS = {"FIRSTHAND_FLOOD_INTERVAL": "1"}


def outer_database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def on_postgresql() -> bool:
    return outer_database_url().startswith(("postgres://", "postgresql://"))


@pytest.fixture
def server_database() -> Iterator[dict[str, str]]:
    """Settings that point a server under test at the suite's kind of database:
    nothing on SQLite (its data folder's file); a fresh database on PostgreSQL."""
    if not on_postgresql():
        yield {}
        return
    outer = outer_database_url()
    base, _, _ = outer.rpartition("/")
    name = f"firsthand_load_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {"DATABASE_URL": f"{base}/{name}", "FIRSTHAND_DB_CONN_MAX_AGE": "60"}
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


@pytest.fixture(scope="session")
def sqlite_template(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[AppServer, list[loadgen.Target]]:
    """A migrated SQLite site with ten posts, never started: tests copy it."""
    template = AppServer(
        tmp_path_factory.mktemp("load") / "template", settings=LOAD_SETTINGS
    )
    targets = [loadgen.Target(pk, path) for pk, path in template.prepare()]
    return template, targets


def stored_rows(app: AppServer) -> list[reconcile.StoredRow]:
    return reconcile.parse_stored(app.python(reconcile.STORED_SCRIPT))


def explain(report: reconcile.Report, app: AppServer, journal: Path) -> str:
    """What a failed assertion shows: the summary, examples, the server's log."""
    return (
        f"{report.line()}\nexamples: {report.examples}\njournal: {journal}\n"
        f"{app.logs()}"
    )
