"""Settings for the test suite: the real settings, in a throw-away data folder."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("FIRSTHAND_DATA_DIR", tempfile.mkdtemp(prefix="firsthand-tests-"))
# Each pytest-xdist worker gets a folder of its own (the page cache's change
# counters live in the data folder: one worker's writes must not look like a
# change under another worker's page).
if _worker := os.environ.get("PYTEST_XDIST_WORKER"):
    _own = os.path.join(os.environ["FIRSTHAND_DATA_DIR"], _worker)
    os.makedirs(_own, exist_ok=True)
    os.environ["FIRSTHAND_DATA_DIR"] = _own

from firsthand.settings import *  # noqa: F403
from firsthand.settings import DATA_DIR, DATABASES

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Tests render templates without running collectstatic first.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# SQLite tests use a real file (WAL and all), not Django's in-memory default.
if DATABASES["default"]["ENGINE"] == "firsthand.sqlite":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
# WhiteNoise warns when the collected-files folder is missing; tests never collect.
(DATA_DIR / "static").mkdir(exist_ok=True)

# Flood control is off for the suite, so tests may post many comments quickly from
# one test client; tests/conversation/test_flood.py turns it on with the defaults.
FIRSTHAND_FLOOD_INTERVAL = 0
FIRSTHAND_FLOOD_PER_HOUR = 0

# Tasks run at once, in the test's own process and transaction hooks.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
