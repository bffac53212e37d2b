"""One process of a concurrency test, as one server worker would be.

    python -m tests.abuse.hammer '{"key": ..., "ceiling": ..., "attempts": ...,
                                   "guard": {...}}'

It says "ready" and waits for a line on its standard input; then it tries
``ratelimit.allow`` ``attempts`` times and writes how many got through; after one
more line it does the same with flood control. It runs with the test settings on
the test's own database (DATABASE_URL) and the guard cache the spec names.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def say(line: str) -> None:
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def pause() -> bool:
    """A breath after each step that got through, as between two requests: SQLite's
    busy handler is not fair, and a process that never lets go of the write lock
    would take every step before the other one wakes (no race left to test)."""
    time.sleep(0.003)
    return True


def main(spec: dict[str, Any]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.conf import settings

    settings.CACHES["guard"] = spec["guard"]
    settings.FIRSTHAND_FLOOD_INTERVAL = 0
    settings.FIRSTHAND_FLOOD_PER_HOUR = int(str(spec["ceiling"]))
    django.setup()

    from firsthand import ratelimit
    from firsthand.conversation import flood

    attempts = int(str(spec["attempts"]))
    key = str(spec["key"])
    ceiling = int(str(spec["ceiling"]))
    say("ready")
    sys.stdin.readline()  # the parent says go once every process is ready
    allowed = sum(
        ratelimit.allow(f"{key}:allow", ceiling, window=3600) and pause()
        for _ in range(attempts)
    )
    say(str(allowed))
    sys.stdin.readline()
    # One address posting as fast as it can, with a new email each time.
    flooded = sum(
        flood.seconds_to_wait(f"{key}-flood", f"{n}.{os.getpid()}@example.org") == 0
        and pause()
        for n in range(attempts)
    )
    return flooded


if __name__ == "__main__":
    say(str(main(json.loads(sys.argv[1]))))
