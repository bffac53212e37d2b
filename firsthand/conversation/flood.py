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
from django.db import transaction

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
    back by trying again. Reading the counters and counting this response are one
    transaction: one commit when the counters live in the database (it was one per
    counter), and two processes cannot both read the count before either adds.
    """
    interval = settings.FIRSTHAND_FLOOD_INTERVAL
    ceiling = settings.FIRSTHAND_FLOOD_PER_HOUR
    if interval <= 0 and ceiling <= 0:
        return 0  # flood control is off: nothing to read or count
    cache = caches["guard"]
    now = time.time()
    who = _who(ip_address, email)
    last = {key: f"last:{key}" for key in who}
    hour = {key: f"hour:{key}:{int(now // 3600)}" for key in who}
    with transaction.atomic():
        found = cache.get_many([*last.values(), *hour.values()])
        wait = 0
        for key in who:
            wait = max(wait, rules.interval_wait(found.get(last[key]), now, interval))
            count = (found.get(hour[key]) or 0) + 1
            wait = max(wait, rules.hourly_wait(count, ceiling, now))
        if wait:
            return wait
        if interval > 0:
            cache.set_many({last[key]: now for key in who}, timeout=interval)
        if ceiling > 0:
            for key in who:
                cache.add(hour[key], 0, timeout=3600)
                try:
                    cache.incr(hour[key])
                except ValueError:  # expired between add and incr
                    cache.set(hour[key], 1, timeout=3600)
    return 0
