"""Typed, strict readers for environment variables.

Every variable Firsthand reads goes through one of these functions, which records
its name in ``KNOWN`` so a test can check ``docs/configuration.md`` lists them all.
A bad value raises ``ImproperlyConfigured`` with the fix in the message: a loud
failure at start-up beats a default that hides a typo.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KNOWN: set[str] = set()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    KNOWN.add(name)
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value. "
        f"Set {name} to one of: true, false (or 1, 0, yes, no, on, off)."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a whole number. "
            f"Set {name} to a number such as {default}."
        ) from None
    if number < minimum:
        raise ImproperlyConfigured(
            f"{name}={number} is too small. Set {name} to {minimum} or more."
        )
    return number


def env_list(name: str, default: Iterable[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default)


def env_choice(name: str, default: str, choices: Iterable[str]) -> str:
    allowed = [c.upper() for c in choices]
    value = _raw(name)
    if value is None:
        return default
    if value.upper() not in allowed:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not allowed. Set {name} to one of: "
            + ", ".join(allowed)
            + "."
        )
    return value.upper()


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    path = default if value is None else Path(value).expanduser()
    return path.resolve()
