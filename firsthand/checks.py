"""System checks with ids and hints (``firsthand check``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


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
