"""firsthand/settings.py and firsthand/env.py: defaults, the secret key, bad values.

Settings are read once, at import, so most tests import ``firsthand.settings`` in a
fresh Python process with a controlled environment (no FIRSTHAND_* variable, no
DATABASE_URL or REDIS_URL from the outer shell) and a throw-away data folder.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings

from firsthand import env
from firsthand.checks import (
    fetch_allow_is_set,
    postgresql_durability,
    postgresql_messages,
    sqlite_durability,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"
OUTER_ONLY = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
POSTGRES_URL = "postgres://u:p@127.0.0.1:5432/x"

# Prints the settings the tests look at, as JSON (paths and the like as strings).
REPORT_SCRIPT = """\
import json
from firsthand import env, settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECRET_KEY": s.SECRET_KEY,
    "DATA_DIR": s.DATA_DIR,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
    "DATABASE": s.DATABASES["default"],
    "SQLITE_SYNCHRONOUS": s.SQLITE_SYNCHRONOUS,
    "CACHE": s.CACHES["default"],
    "TIME_ZONE": s.TIME_ZONE,
    "POSTS_PER_PAGE": s.FIRSTHAND_POSTS_PER_PAGE,
    "RESPONSE_MAX_CHARS": s.FIRSTHAND_RESPONSE_MAX_CHARS,
    "HTTPS": s.HTTPS,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "HSTS": [
        s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD
    ],
    "LOG_LEVEL": s.LOGGING["root"]["level"],
    "KNOWN": sorted(env.KNOWN),
}, default=str))
"""

# Exit status 3 means "ImproperlyConfigured, message on stdout"; any other error
# keeps its traceback and status 1, so a crash cannot pass for a clean refusal.
ERROR_SCRIPT = """\
from django.core.exceptions import ImproperlyConfigured
try:
    import firsthand.settings
except ImproperlyConfigured as error:
    print(error)
    raise SystemExit(3)
"""


def child_env(data_dir: Path, **variables: str) -> dict[str, str]:
    """The outer environment without any Firsthand setting, plus ``variables``."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FIRSTHAND_") and name not in OUTER_ONLY
    }
    clean["FIRSTHAND_DATA_DIR"] = str(data_dir)
    clean.update(variables)
    return clean


def run_python(
    script: str, data_dir: Path, **variables: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        env=child_env(data_dir, **variables),
        # Any existing folder outside the repository: nothing may land in ./
        cwd=next(parent for parent in data_dir.parents if parent.is_dir()),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def load_settings(data_dir: Path, **variables: str) -> dict[str, Any]:
    """Import the settings in a fresh process and return what they became."""
    result = run_python(REPORT_SCRIPT, data_dir, **variables)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def settings_error(data_dir: Path, **variables: str) -> str:
    """Import the settings, expect ImproperlyConfigured, return its message."""
    result = run_python(ERROR_SCRIPT, data_dir, **variables)
    assert result.returncode == 3, (
        f"expected ImproperlyConfigured, got status {result.returncode}:\n"
        f"{result.stdout}{result.stderr}"
    )
    return result.stdout.strip()


# --- Defaults -------------------------------------------------------------------


def test_defaults_are_safe_and_use_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    report = load_settings(data_dir)

    assert report["DEBUG"] is False
    assert report["DATA_DIR"] == str(data_dir.resolve())
    assert data_dir.is_dir()  # created on first start
    assert report["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    assert report["CSRF_TRUSTED_ORIGINS"] == []
    assert report["HTTPS"] is False
    assert report["TIME_ZONE"] == "UTC"
    assert report["POSTS_PER_PAGE"] == 10
    assert report["LOG_LEVEL"] == "INFO"
    assert report["CACHE"]["BACKEND"].endswith("LocMemCache")

    database = report["DATABASE"]
    assert database["ENGINE"] == "firsthand.sqlite"
    assert database["CONN_MAX_AGE"] == 60  # a thread keeps its connection
    assert Path(database["NAME"]).parent == data_dir.resolve()
    options = database["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] == 20
    pragmas = [p.strip() for p in options["init_command"].split(";")]
    assert "PRAGMA journal_mode=WAL" in pragmas
    assert "PRAGMA synchronous=FULL" in pragmas
    assert "PRAGMA foreign_keys=ON" in pragmas


def test_given_values_are_used(tmp_path: Path) -> None:
    key = "k" * 40
    report = load_settings(
        tmp_path / "data",
        FIRSTHAND_SECRET_KEY=key,
        FIRSTHAND_DEBUG="on",
        FIRSTHAND_ALLOWED_HOSTS=" blog.example.com, www.example.com ,",
        FIRSTHAND_CSRF_TRUSTED_ORIGINS="https://blog.example.com",
        FIRSTHAND_HTTPS="yes",
        FIRSTHAND_TIME_ZONE="Europe/Paris",
        FIRSTHAND_POSTS_PER_PAGE="25",
        FIRSTHAND_RESPONSE_MAX_CHARS="5_000",
        FIRSTHAND_SQLITE_BUSY_TIMEOUT="5",
        FIRSTHAND_LOG_LEVEL="warning",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert report["SECRET_KEY"] == key
    assert report["DEBUG"] is True
    assert report["ALLOWED_HOSTS"] == ["blog.example.com", "www.example.com"]
    assert report["CSRF_TRUSTED_ORIGINS"] == ["https://blog.example.com"]
    assert report["SESSION_COOKIE_SECURE"] is True
    assert report["TIME_ZONE"] == "Europe/Paris"
    assert report["POSTS_PER_PAGE"] == 25
    assert report["RESPONSE_MAX_CHARS"] == 5000
    assert report["DATABASE"]["OPTIONS"]["timeout"] == 5
    assert report["LOG_LEVEL"] == "WARNING"
    assert report["CACHE"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
    }


def test_postgres_url_selects_postgresql_without_connecting(tmp_path: Path) -> None:
    database = load_settings(tmp_path / "data", DATABASE_URL=POSTGRES_URL)["DATABASE"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("x", "u", "p")
    assert (database["HOST"], database["PORT"]) == ("127.0.0.1", 5432)
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    assert "OPTIONS" not in database  # the SQLite pragmas stay with SQLite


def test_postgres_connection_age_is_configurable(tmp_path: Path) -> None:
    database = load_settings(
        tmp_path / "data", DATABASE_URL=POSTGRES_URL, FIRSTHAND_DB_CONN_MAX_AGE="0"
    )["DATABASE"]
    assert database["CONN_MAX_AGE"] == 0


# --- The secret key -------------------------------------------------------------


def test_secret_key_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = load_settings(data_dir)["SECRET_KEY"]

    key_file = data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert key_file.read_text(encoding="ascii").strip() == first

    assert load_settings(data_dir)["SECRET_KEY"] == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.slow
def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    """Several workers on a fresh data folder: one key, no half-written reads."""
    data_dir = tmp_path / "data"
    script = "from firsthand import settings; print(settings.SECRET_KEY)"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=child_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(10)
    ]
    results = [child.communicate(timeout=60) for child in children]
    assert all(child.returncode == 0 for child in children), results
    keys = {out.strip() for out, _ in results}
    assert keys == {(data_dir / "secret_key").read_text(encoding="ascii").strip()}
    assert [p.name for p in data_dir.iterdir() if "secret" in p.name] == ["secret_key"]


def test_each_data_folder_gets_its_own_secret_key(tmp_path: Path) -> None:
    one = load_settings(tmp_path / "one")["SECRET_KEY"]
    two = load_settings(tmp_path / "two")["SECRET_KEY"]
    assert one != two


def test_given_secret_key_writes_no_key_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    load_settings(data_dir, FIRSTHAND_SECRET_KEY="s" * 32)
    assert not (data_dir / "secret_key").exists()


def test_short_secret_key_is_refused(tmp_path: Path) -> None:
    message = settings_error(tmp_path / "data", FIRSTHAND_SECRET_KEY="s" * 31)
    assert "FIRSTHAND_SECRET_KEY" in message
    assert "32 characters" in message


def test_truncated_key_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "secret_key").write_text("short\n", encoding="ascii")
    message = settings_error(data_dir)
    assert str(data_dir.resolve() / "secret_key") in message
    assert "Delete the file" in message


# --- Bad values stop the start, with the fix ------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "fix"),
    [
        ("FIRSTHAND_DEBUG", "maybe", "Set FIRSTHAND_DEBUG to one of: true, false"),
        ("FIRSTHAND_POSTS_PER_PAGE", "ten", "to a number such as 10"),
        ("FIRSTHAND_POSTS_PER_PAGE", "0", "Set FIRSTHAND_POSTS_PER_PAGE to 1 or more"),
        ("FIRSTHAND_SQLITE_SYNCHRONOUS", "OFF", "to one of: FULL, NORMAL"),
        ("FIRSTHAND_TIME_ZONE", "Mars/Olympus", "Use a name such as Europe/Paris"),
        ("DATABASE_URL", "mysql://u@h/db", "Use a postgres:// URL"),
        ("DATABASE_URL", "nonsense", "postgres://USER:PASSWORD@HOST:5432/NAME"),
        ("REDIS_URL", "http://x", "redis://HOST:6379/0"),
        (
            "FIRSTHAND_CSRF_TRUSTED_ORIGINS",
            "blog.example.com",
            "https://blog.example.com",
        ),
        ("FIRSTHAND_LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING, ERROR"),
    ],
)
def test_bad_value_is_refused_with_name_and_fix(
    tmp_path: Path, name: str, value: str, fix: str
) -> None:
    message = settings_error(tmp_path / "data", **{name: value})
    assert name in message
    assert fix in message


def test_unwritable_data_folder_is_refused_with_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    message = settings_error(blocker / "data")
    assert "FIRSTHAND_DATA_DIR" in message


# --- SQLite durability ----------------------------------------------------------


def test_synchronous_normal_is_accepted(tmp_path: Path) -> None:
    report = load_settings(tmp_path / "data", FIRSTHAND_SQLITE_SYNCHRONOUS="normal")
    assert report["SQLITE_SYNCHRONOUS"] == "NORMAL"
    assert "PRAGMA synchronous=NORMAL" in report["DATABASE"]["OPTIONS"]["init_command"]


def test_durability_check_warns_on_normal() -> None:
    with override_settings(SQLITE_SYNCHRONOUS="NORMAL"):
        messages = sqlite_durability(app_configs=None, databases=None)
    assert [(type(m), m.id) for m in messages] == [(checks.Warning, "firsthand.W001")]
    assert messages[0].hint is not None
    assert "FIRSTHAND_SQLITE_SYNCHRONOUS" in messages[0].hint


def test_durability_check_is_quiet_on_full() -> None:
    with override_settings(SQLITE_SYNCHRONOUS="FULL"):
        assert sqlite_durability(app_configs=None, databases=None) == []


def test_durability_check_is_registered() -> None:
    with override_settings(SQLITE_SYNCHRONOUS="NORMAL"):
        ids = [message.id for message in checks.run_checks()]
    assert "firsthand.W001" in ids


# --- PostgreSQL durability --------------------------------------------------------

SAFE = {"fsync": "on", "full_page_writes": "on", "synchronous_commit": "on"}


def test_postgresql_defaults_are_quiet() -> None:
    assert postgresql_messages("default", SAFE) == []
    assert postgresql_messages("default", SAFE | {"synchronous_commit": "local"}) == []


@pytest.mark.parametrize("name", ["fsync", "full_page_writes"])
def test_postgresql_that_may_corrupt_on_a_crash_is_an_error(name: str) -> None:
    messages = postgresql_messages("default", SAFE | {name: "off"})
    assert [(type(m), m.id) for m in messages] == [(checks.Error, "firsthand.E001")]
    assert f"{name}=off" in messages[0].msg
    assert messages[0].hint is not None
    assert f"{name} = on" in messages[0].hint


def test_postgresql_that_may_lose_the_last_commits_is_a_warning() -> None:
    messages = postgresql_messages("default", SAFE | {"synchronous_commit": "off"})
    assert [(type(m), m.id) for m in messages] == [(checks.Warning, "firsthand.W003")]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL's settings; the suite runs on SQLite",
)
def test_the_live_postgresql_server_is_durable(db: None) -> None:
    """CI's PostgreSQL keeps the defaults: the check reads them and says nothing
    (and it is registered as a database check, so `serve` runs it)."""
    assert postgresql_durability(app_configs=None, databases=["default"]) == []
    ids = [m.id for m in checks.run_checks(databases=["default"])]
    assert "firsthand.E001" not in ids


def test_the_postgresql_check_leaves_sqlite_alone(db: None) -> None:
    if connection.vendor == "sqlite":
        assert postgresql_durability(app_configs=None, databases=["default"]) == []
    assert postgresql_durability(app_configs=None, databases=None) == []


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite pragmas; the suite runs on PostgreSQL"
)
def test_live_sqlite_connection_is_wal_and_synchronous_full(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone() == ("wal",)
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone() == (2,)  # 2 is FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone() == (1,)


# --- docs/configuration.md names every variable ---------------------------------


def documented_names() -> set[str]:
    text = CONFIGURATION_DOC.read_text(encoding="utf-8")
    return set(re.findall(r"`([A-Z][A-Z0-9_]*)`", text))


def test_known_names_the_variables_settings_read() -> None:
    # tests.settings imported firsthand.settings, so KNOWN holds what it read.
    assert {"FIRSTHAND_DATA_DIR", "DATABASE_URL", "FIRSTHAND_SECRET_KEY"} <= env.KNOWN
    assert len(env.KNOWN) >= 10


def test_docs_name_every_variable_read_in_this_process() -> None:
    missing = sorted(env.KNOWN - documented_names())
    assert missing == [], f"add these to {CONFIGURATION_DOC.name}: {missing}"


def test_docs_name_every_variable_and_no_other(tmp_path: Path) -> None:
    # Some variables are read on one database engine only: ask both.
    known = set(load_settings(tmp_path / "sqlite")["KNOWN"])
    known |= set(load_settings(tmp_path / "pg", DATABASE_URL=POSTGRES_URL)["KNOWN"])
    assert "FIRSTHAND_DB_CONN_MAX_AGE" in known

    documented = documented_names()
    assert sorted(known - documented) == []
    settings_like = {
        name
        for name in documented
        if name.startswith("FIRSTHAND_") or name.endswith("_URL")
    }
    assert sorted(settings_like - known) == [], "documented but never read"


# --- The readers in firsthand/env.py --------------------------------------------


@pytest.fixture
def known(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """A fresh KNOWN, so test-only names never reach the real one."""
    fresh: set[str] = set()
    monkeypatch.setattr(env, "KNOWN", fresh)
    return fresh


VAR = "FIRSTHAND_TEST_VALUE"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("True", True),
        (" YES ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("OFF", False),
    ],
)
def test_env_bool_spellings(
    known: set[str], monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv(VAR, raw)
    assert env.env_bool(VAR, not expected) is expected
    assert VAR in known


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "enabled"])
def test_env_bool_refuses_other_words(
    known: set[str], monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=f"Set {VAR} to one of: true"):
        env.env_bool(VAR, False)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_unset_or_empty_gives_the_default(
    known: set[str], monkeypatch: pytest.MonkeyPatch, raw: str | None
) -> None:
    if raw is None:
        monkeypatch.delenv(VAR, raising=False)
    else:
        monkeypatch.setenv(VAR, raw)
    assert env.env_bool(VAR, True) is True
    assert env.env_int(VAR, 7) == 7
    assert env.env_str(VAR, "fallback") == "fallback"
    assert env.env_list(VAR, ("a", "b")) == ["a", "b"]
    assert env.env_choice(VAR, "FULL", ["FULL", "NORMAL"]) == "FULL"
    assert env.env_path(VAR, Path("/srv/default")) == Path("/srv/default").resolve()
    assert known == {VAR}


@pytest.mark.parametrize(
    ("raw", "expected"), [("20_000", 20000), ("42", 42), (" 3 ", 3), ("0", 0)]
)
def test_env_int_reads_whole_numbers(
    known: set[str], monkeypatch: pytest.MonkeyPatch, raw: str, expected: int
) -> None:
    monkeypatch.setenv(VAR, raw)
    assert env.env_int(VAR, 1) == expected


@pytest.mark.parametrize("raw", ["ten", "1.5", "1e3", "0x10"])
def test_env_int_refuses_non_numbers(
    known: set[str], monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=f"Set {VAR} to a number such as 9"):
        env.env_int(VAR, 9)


def test_env_int_enforces_the_minimum(
    known: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VAR, "4")
    with pytest.raises(ImproperlyConfigured, match=f"Set {VAR} to 5 or more"):
        env.env_int(VAR, 10, minimum=5)
    monkeypatch.setenv(VAR, "5")
    assert env.env_int(VAR, 10, minimum=5) == 5


def test_env_list_splits_on_commas_and_trims(
    known: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VAR, " a.example.com ,b.example.com,, ")
    assert env.env_list(VAR, ["default"]) == ["a.example.com", "b.example.com"]


def test_env_choice_is_case_insensitive_and_strict(
    known: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VAR, "Normal")
    assert env.env_choice(VAR, "FULL", ["FULL", "NORMAL"]) == "NORMAL"
    monkeypatch.setenv(VAR, "OFF")
    with pytest.raises(ImproperlyConfigured, match="to one of: FULL, NORMAL"):
        env.env_choice(VAR, "FULL", ["full", "normal"])


def test_env_path_expands_home_and_resolves(
    known: set[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(VAR, "~/blog/../data")
    assert env.env_path(VAR, Path("/unused")) == (tmp_path / "data").resolve()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(VAR, "relative")
    assert env.env_path(VAR, Path("/unused")) == (tmp_path / "relative").resolve()


def test_fetch_allow_is_warned_about_whenever_it_is_set() -> None:
    with override_settings(FIRSTHAND_FETCH_ALLOW=["127.0.0.1:8025"]):
        (warning,) = fetch_allow_is_set(app_configs=None, databases=None)
    assert warning.id == "firsthand.W002"
    assert "127.0.0.1:8025" in warning.msg
    with override_settings(FIRSTHAND_FETCH_ALLOW=[]):
        assert fetch_allow_is_set(app_configs=None, databases=None) == []


# --- HTTPS: redirect and HSTS ------------------------------------------------------


def test_plain_http_sites_send_no_hsts_and_no_redirect(tmp_path: Path) -> None:
    report = load_settings(tmp_path / "data")
    assert report["SSL_REDIRECT"] is False
    assert report["HSTS"][0] == 0


def test_https_sites_redirect_and_send_hsts_for_a_year(tmp_path: Path) -> None:
    report = load_settings(tmp_path / "data", FIRSTHAND_HTTPS="true")
    assert report["SSL_REDIRECT"] is True
    assert report["HSTS"] == [31_536_000, True, True]
    narrower = load_settings(
        tmp_path / "data",
        FIRSTHAND_HTTPS="true",
        FIRSTHAND_HSTS_SECONDS="0",
        FIRSTHAND_HSTS_SUBDOMAINS="false",
    )
    assert narrower["HSTS"] == [0, False, False]


def test_check_deploy_is_clean_for_a_production_configuration(tmp_path: Path) -> None:
    """What docs/deployment.md sets: Django's deployment checks and Firsthand's
    own (with the database checks) find nothing to say."""
    result = subprocess.run(
        [
            *(sys.executable, "-m", "firsthand.cli", "check", "--deploy"),
            *("--database", "default", "--fail-level", "WARNING"),
        ],
        env=child_env(
            tmp_path / "data",
            FIRSTHAND_HTTPS="true",
            FIRSTHAND_ALLOWED_HOSTS="blog.example.com",
            FIRSTHAND_SITE_URL="https://blog.example.com",
            FIRSTHAND_TRUSTED_PROXIES="127.0.0.1",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
