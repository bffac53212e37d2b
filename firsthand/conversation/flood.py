"""Flood control: how fast one address may post, counted in the shared cache.

The counters live in the ``guard`` cache (Redis when configured, else a database
table), so every server process sees the same ones, and every step on them is
atomic (``firsthand.ratelimit``): a burst of posts from one address across several
workers lets exactly the allowed number through. The rules themselves are the
pure functions ``rules.interval_wait`` and ``rules.hourly_wait``.

When the cache cannot be reached, ``seconds_to_wait`` raises ``Unavailable``, and
intake stores the response held for a moderator (``held``): nothing typed is
lost, and nothing unchecked reaches readers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time

from django.conf import settings

from firsthand import ratelimit
from firsthand.conversation import rules
from firsthand.conversation.spam.verdict import Judgement, Outcome, Verdict

Unavailable = ratelimit.Unavailable

LAYER = "flood"
UNCHECKED = "flood control unavailable"


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
    back by trying again. Each address first claims its "last post" slot (an atomic
    add: of two posts at once, one gets it), then counts itself in the hour (an
    atomic increment, taken back if over the ceiling). Raises ``Unavailable`` when
    the shared cache cannot be reached.
    """
    interval = settings.FIRSTHAND_FLOOD_INTERVAL
    ceiling = settings.FIRSTHAND_FLOOD_PER_HOUR
    if interval <= 0 and ceiling <= 0:
        return 0  # flood control is off: nothing to read or count
    now = time.time()
    who = _who(ip_address, email)
    claimed: list[str] = []
    counted: list[str] = []
    with ratelimit.together():
        wait = 0
        if interval > 0:
            for key in who:
                slot = f"last:{key}"
                if _claim_slot(slot, now, interval):
                    claimed.append(slot)
                else:
                    wait = max(wait, _slot_wait(slot, now, interval))
        if not wait and ceiling > 0:
            for key in who:
                hour = f"hour:{key}:{int(now // 3600)}"
                counted.append(hour)
                count = ratelimit.count(hour, timeout=3600)
                wait = max(wait, rules.hourly_wait(count, ceiling, now))
        if wait:  # refused: take back what this attempt claimed and counted
            for slot in claimed:
                ratelimit.forget(slot)
            for hour in counted:
                ratelimit.uncount(hour, timeout=3600)
    return wait


def _claim_slot(slot: str, now: float, interval: int) -> bool:
    if ratelimit.claim(slot, now, timeout=interval):
        return True
    last = ratelimit.read(slot)
    if isinstance(last, int | float) and rules.interval_wait(last, now, interval):
        return False
    # Kept past its time (a clock ahead of the cache's): clear it and try once more.
    ratelimit.forget(slot)
    return ratelimit.claim(slot, now, timeout=interval)


def _slot_wait(slot: str, now: float, interval: int) -> int:
    last = ratelimit.read(slot)
    if not isinstance(last, int | float):
        return 1  # taken this very moment by another post
    return max(1, rules.interval_wait(last, now, interval))


def held(judgement: Judgement | None) -> Judgement:
    """``judgement`` with a hold added: flood control could not count this response,
    so a moderator looks at it before readers do (spam stays spam)."""
    verdict = Verdict(LAYER, reasons=(UNCHECKED,), hold=True)
    if judgement is None:
        return Judgement(outcome=Outcome.HOLD, score=0.0, verdicts=(verdict,))
    outcome = Outcome.SPAM if judgement.outcome == Outcome.SPAM else Outcome.HOLD
    return dataclasses.replace(
        judgement, outcome=outcome, verdicts=(*judgement.verdicts, verdict)
    )
