"""System checks with ids and hints (``firsthand check``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db import connections


def sqlite_durability(
    *,
    app_configs: Sequence[AppConfig] | None,
    databases: Sequence[str] | None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    if getattr(settings, "SQLITE_SYNCHRONOUS", "FULL") == "NORMAL":
        return [
            checks.Warning(
                "SQLite runs with synchronous=NORMAL: a power loss or OS crash can "
                "lose the last acknowledged comments (an application crash cannot).",
                hint="Unset FIRSTHAND_SQLITE_SYNCHRONOUS to get FULL, the default.",
                id="firsthand.W001",
            )
        ]
    return []


# PostgreSQL settings that decide whether an acknowledged comment survives a crash
# of the database server or of the machine, and what each value costs.
POSTGRESQL_DURABILITY = ("fsync", "full_page_writes", "synchronous_commit")


def postgresql_durability(
    *,
    app_configs: Sequence[AppConfig] | None,
    databases: Sequence[str] | None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """The server's own durability settings (a database check: ``firsthand serve``
    runs it before it starts; ``firsthand check --database default`` too)."""
    found: list[checks.CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            values = {}
            for name in POSTGRESQL_DURABILITY:
                cursor.execute(f"SHOW {name}")  # a fixed name from the tuple above
                values[name] = str(cursor.fetchone()[0]).lower()
        found += postgresql_messages(alias, values)
    return found


def postgresql_messages(
    alias: str, values: dict[str, str]
) -> list[checks.CheckMessage]:
    """What ``values`` (``SHOW`` answers) mean for acknowledged comments."""
    found: list[checks.CheckMessage] = []
    for name in ("fsync", "full_page_writes"):
        if values.get(name) == "off":
            found.append(
                checks.Error(
                    f"PostgreSQL ({alias}) runs with {name}=off: a crash of the "
                    "machine can corrupt the database, losing comments that were "
                    "acknowledged long before.",
                    hint=f"Set {name} = on in postgresql.conf and reload the server.",
                    id="firsthand.E001",
                )
            )
    if values.get("synchronous_commit") == "off":
        found.append(
            checks.Warning(
                f"PostgreSQL ({alias}) runs with synchronous_commit=off: a crash of "
                "the database server can lose the comments acknowledged in its last "
                "moments (up to three times wal_writer_delay), without corruption.",
                hint="Set synchronous_commit = on (the default) unless that loss is "
                "accepted.",
                id="firsthand.W003",
            )
        )
    return found


def fetch_allow_is_set(
    *,
    app_configs: Sequence[AppConfig] | None,
    databases: Sequence[str] | None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    allowed = getattr(settings, "FIRSTHAND_FETCH_ALLOW", [])
    if allowed:
        return [
            checks.Warning(
                "FIRSTHAND_FETCH_ALLOW lets outbound requests reach "
                + ", ".join(allowed)
                + " although they are private or loopback addresses.",
                hint="It is meant for tests; unset it on a public site.",
                id="firsthand.W002",
            )
        ]
    return []
