"""Fixtures for the abuse tests: the shared guard cache on each backend a
deployment can have, with keys of this run's own (cleaned up, never a FLUSHDB)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings

from tests.sites import free_port

REDIS_URL = os.environ.get("FIRSTHAND_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# As firsthand.settings configures it without Redis (never culled).
DATABASE_GUARD = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "firsthand_guard_cache",
    "OPTIONS": {"MAX_ENTRIES": 1_000_000},
}


def redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def redis_guard(prefix: str) -> dict[str, Any]:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": prefix,
    }


def drop_redis_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*", count=500):
        client.delete(key)


@pytest.fixture
def run_token() -> str:
    """A prefix no other run or test shares."""
    return f"abuse-{os.getpid()}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["database", "redis"])
def guard_backend(request: pytest.FixtureRequest, run_token: str) -> Iterator[str]:
    """The guard cache on the database table, then on the real Redis."""
    if request.param == "redis":
        redis_or_skip()
        backend = redis_guard(run_token)
    else:
        backend = DATABASE_GUARD
    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "guard": backend,
        }
    ):
        yield request.param
        if request.param == "redis":
            drop_redis_keys(run_token)
        caches["guard"].close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (a Redis that is down)."""
    return free_port()


@pytest.fixture
def guard_down(closed_port: int) -> Iterator[None]:
    """The shared guard cache is a Redis that does not answer."""
    guard = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
    }
    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "guard": guard,
        }
    ):
        yield
