"""Fixed-window request counters in the shared ``guard`` cache (Redis, or a
database table), so every server process counts together."""

from __future__ import annotations

import time

from django.core.cache import caches

MINUTE = 60


def allow(key: str, ceiling: int, *, window: int = MINUTE) -> bool:
    """Count one more for ``key`` in the current window; False once over ``ceiling``."""
    cache = caches["guard"]
    key = f"{key}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=2 * window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=2 * window)
        count = 1
    return bool(count <= ceiling)


def rest_of_window(window: int = MINUTE) -> int:
    """Seconds until the current window ends (for Retry-After)."""
    return max(1, window - int(time.time() % window))
