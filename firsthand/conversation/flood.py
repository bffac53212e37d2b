"""Flood control: how fast one address may post, counted in the shared cache.

The counters live in the ``guard`` cache (Redis when configured, else a database
table), so every server process sees the same ones. The rules themselves are the
pure functions ``rules.interval_wait`` and ``rules.hourly_wait``.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import caches

from firsthand.conversation import rules


def _who(ip_address: str | None, email: str) -> list[str]:
    keys = []
    if ip_address:
        keys.append(f"ip:{ip_address}")
    if email:
        digest = hashlib.sha256(email.casefold().encode()).hexdigest()[:32]
        keys.append(f"email:{digest}")
    return keys


def seconds_to_wait(ip_address: str | None, email: str) -> int:
    """Count this response against its IP and email; 0 when it may go through.

    Refused attempts are not counted, so someone told to wait is not pushed further
    back by trying again.
    """
    cache = caches["guard"]
    interval = settings.FIRSTHAND_FLOOD_INTERVAL
    ceiling = settings.FIRSTHAND_FLOOD_PER_HOUR
    now = time.time()
    who = _who(ip_address, email)
    wait = 0
    for key in who:
        wait = max(wait, rules.interval_wait(cache.get(f"last:{key}"), now, interval))
        hour = f"hour:{key}:{int(now // 3600)}"
        wait = max(wait, rules.hourly_wait((cache.get(hour) or 0) + 1, ceiling, now))
    if wait:
        return wait
    for key in who:
        if interval > 0:
            cache.set(f"last:{key}", now, timeout=interval)
        if ceiling > 0:
            hour = f"hour:{key}:{int(now // 3600)}"
            cache.add(hour, 0, timeout=3600)
            try:
                cache.incr(hour)
            except ValueError:  # expired between add and incr
                cache.set(hour, 1, timeout=3600)
    return 0
