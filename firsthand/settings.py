"""The one settings module: everything comes from environment variables.

``docs/configuration.md`` lists every variable read here; a test keeps the two in
step. With nothing set, Firsthand runs on an SQLite file in ``./firsthand-data``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from firsthand.env import env_bool, env_choice, env_int, env_list, env_path, env_str

# Lets admin.ModelAdmin[Post] and friends be subscripted at run time (typing).
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent

# --- Data folder and secret key -------------------------------------------------

DATA_DIR = env_path("FIRSTHAND_DATA_DIR", Path.cwd() / "firsthand-data")
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as error:
    raise ImproperlyConfigured(
        f"Cannot create the data folder {DATA_DIR}: {error.strerror}. "
        "Set FIRSTHAND_DATA_DIR to a folder this user can write to."
    ) from error


def _secret_key() -> str:
    """FIRSTHAND_SECRET_KEY, else a key generated once into the data folder."""
    given = env_str("FIRSTHAND_SECRET_KEY", "")
    if given:
        if len(given) < 32:
            raise ImproperlyConfigured(
                "FIRSTHAND_SECRET_KEY is shorter than 32 characters. Leave it unset to "
                "have a key generated into the data folder, or set a long random value."
            )
        return given
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # Write the whole key to a private temporary file, then link it into place:
        # the link either appears complete or fails because another process that
        # started at the same moment won. Nobody ever reads a half-written key, and
        # the file is never readable by others, not even for an instant.
        temporary = DATA_DIR / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(50))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, key_file)
        finally:
            temporary.unlink(missing_ok=True)
    key = key_file.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ImproperlyConfigured(
            f"The secret key in {key_file} is empty or too short. Delete the file "
            "and a new key is generated on the next start."
        )
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("FIRSTHAND_DEBUG", False)
ALLOWED_HOSTS = env_list("FIRSTHAND_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("FIRSTHAND_CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"FIRSTHAND_CSRF_TRUSTED_ORIGINS entry {_origin!r} has no scheme. "
            "Write it as https://blog.example.com."
        )

# --- Site -----------------------------------------------------------------------

FIRSTHAND_SITE_NAME = env_str("FIRSTHAND_SITE_NAME", "Firsthand")
# The site's public address, for absolute URLs in feeds, sitemaps, e-mails and
# WebSub. Empty: taken from each request's (validated) Host header.
FIRSTHAND_SITE_URL = env_str("FIRSTHAND_SITE_URL", "").rstrip("/")
if FIRSTHAND_SITE_URL and not FIRSTHAND_SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"FIRSTHAND_SITE_URL={FIRSTHAND_SITE_URL!r} needs a scheme. Write it as "
        "https://blog.example.com (no path), or leave it unset."
    )
FIRSTHAND_SITE_TAGLINE = env_str(
    "FIRSTHAND_SITE_TAGLINE", "Written firsthand, answered in the open."
)
FIRSTHAND_POSTS_PER_PAGE = env_int("FIRSTHAND_POSTS_PER_PAGE", 10, minimum=1)
FIRSTHAND_RESPONSE_MAX_CHARS = env_int(
    "FIRSTHAND_RESPONSE_MAX_CHARS", 20_000, minimum=1
)
# Top-level responses per thread page (each with all its replies).
FIRSTHAND_THREAD_PAGE_SIZE = env_int("FIRSTHAND_THREAD_PAGE_SIZE", 100, minimum=1)
# The whole-page cache for anonymous readers (firsthand/pagecache.py), and the
# memory each server process may give it.
FIRSTHAND_PAGE_CACHE = env_bool("FIRSTHAND_PAGE_CACHE", True)
FIRSTHAND_PAGE_CACHE_MB = env_int("FIRSTHAND_PAGE_CACHE_MB", 32, minimum=1)
# How long a commenter may edit or withdraw their own response from the same browser.
FIRSTHAND_EDIT_MINUTES = env_int("FIRSTHAND_EDIT_MINUTES", 15)
FIRSTHAND_SERVE_WORKERS = env_int("FIRSTHAND_SERVE_WORKERS", 2, minimum=1)
# Threads per worker that run Django: enough that readers rarely queue (reads
# from the page cache were slower with 2 than with 8, and slower with 4 than with
# 8). Each thread costs memory: its database connection, and the server's buffers
# for the answers it sends (``serve`` limits jemalloc's arenas for those). Requests
# that may write run at most FIRSTHAND_SERVE_WRITERS at a time in a worker
# (firsthand/writegate.py).
FIRSTHAND_SERVE_THREADS = env_int("FIRSTHAND_SERVE_THREADS", 8, minimum=1)
FIRSTHAND_SERVE_WRITERS = env_int("FIRSTHAND_SERVE_WRITERS", 1, minimum=1)

# --- Guard rails (docs/configuration.md, docs/spam.md) ----------------------------

FIRSTHAND_FLOOD_INTERVAL = env_int("FIRSTHAND_FLOOD_INTERVAL", 15)
FIRSTHAND_FLOOD_PER_HOUR = env_int("FIRSTHAND_FLOOD_PER_HOUR", 30)
FIRSTHAND_HOLD_LINKS = env_int("FIRSTHAND_HOLD_LINKS", 2)
FIRSTHAND_HOLD_FIRST_COMMENTS = env_bool("FIRSTHAND_HOLD_FIRST_COMMENTS", False)
FIRSTHAND_SPAM_KEEP_DAYS = env_int("FIRSTHAND_SPAM_KEEP_DAYS", 30, minimum=1)
# Behind a reverse proxy, the client's address is in X-Forwarded-For; it is
# believed only when the request comes from one of these addresses.
FIRSTHAND_TRUSTED_PROXIES = env_list("FIRSTHAND_TRUSTED_PROXIES", [])
FIRSTHAND_FETCH_ALLOW = env_list("FIRSTHAND_FETCH_ALLOW", [])
# Outbound requests to one host name a minute (four times that to one address),
# counted by every process together: a flood of pings naming one victim's pages
# cannot make this site hammer it (docs/protocols/outbound-http.md).
FIRSTHAND_OUTBOUND_PER_HOST_PER_MINUTE = env_int(
    "FIRSTHAND_OUTBOUND_PER_HOST_PER_MINUTE", 30, minimum=1
)
# Pingbacks and trackbacks for the whole site (each post can also close them).
FIRSTHAND_PINGS_ENABLED = env_bool("FIRSTHAND_PINGS_ENABLED", True)

# --- Applications ---------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "firsthand.blog",
    "firsthand.conversation",
    "firsthand.crosstalk",
    "firsthand.syndication",
    "firsthand.portability",
    "firsthand.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "firsthand.outage.DatabaseOutage",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "firsthand.urls"
WSGI_APPLICATION = "firsthand.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "firsthand.context_processors.site",
                "firsthand.conversation.context_processors.moderation_counts",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------

SQLITE_SYNCHRONOUS = env_choice(
    "FIRSTHAND_SQLITE_SYNCHRONOUS", "FULL", ["FULL", "NORMAL"]
)
SQLITE_BUSY_TIMEOUT_SECONDS = env_int("FIRSTHAND_SQLITE_BUSY_TIMEOUT", 20, minimum=1)


def _database() -> dict[str, Any]:
    default_url = f"sqlite:///{DATA_DIR / 'firsthand.sqlite3'}"
    url = env_str("DATABASE_URL", default_url)
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    except ValueError as error:
        raise ImproperlyConfigured(
            f"DATABASE_URL could not be read ({error}). Write it as "
            "postgres://USER:PASSWORD@HOST:5432/NAME, or leave it unset for SQLite "
            "in the data folder."
        ) from error
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        # WAL lets readers go on while one writer writes; synchronous=FULL makes a
        # commit durable against power loss; IMMEDIATE takes the write lock at BEGIN,
        # so concurrent writers queue on the busy timeout instead of failing with
        # "database is locked" when a read transaction upgrades to a write.
        # Django's backend, with writers queued fairly (firsthand/sqlite/base.py).
        config["ENGINE"] = "firsthand.sqlite"
        # Kept per thread: opening one and reading the schema again cost 1.4 ms
        # of every request (issue #8).
        config["CONN_MAX_AGE"] = env_int("FIRSTHAND_DB_CONN_MAX_AGE", 60)
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
            "init_command": (
                "PRAGMA journal_mode=WAL; "
                f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}; "
                "PRAGMA foreign_keys=ON"
            ),
        }
    elif engine not in {
        "django.db.backends.postgresql",
        "django.db.backends.postgresql_psycopg2",
    }:
        raise ImproperlyConfigured(
            f"DATABASE_URL names an engine Firsthand does not support ({engine}). "
            "Use a postgres:// URL, or leave DATABASE_URL unset for SQLite."
        )
    else:
        config["ENGINE"] = "django.db.backends.postgresql"
        config["CONN_MAX_AGE"] = env_int("FIRSTHAND_DB_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"REDIS_URL={REDIS_URL!r} is not a Redis URL. Write it as "
        "redis://HOST:6379/0, or leave it unset for the in-process cache."
    )
_REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": REDIS_URL,
}
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        _REDIS_CACHE
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # Counters every process must share (flood control). Without Redis they live
    # in a database table, so several `serve` workers still agree.
    "guard": (
        {**_REDIS_CACHE, "KEY_PREFIX": "guard"}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "firsthand_guard_cache",
        }
    ),
}

# --- Background tasks ------------------------------------------------------------

# Work that talks to the network (WebSub deliveries, later pings and e-mail) runs
# in `firsthand worker`, never in a reader's request. Jobs live in the database.
TASKS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}
# A job whose worker stops beating for this long (killed, machine gone) is run
# again by another worker (firsthand/jobs/leases.py, docs/deployment.md).
FIRSTHAND_JOB_LEASE = env_int("FIRSTHAND_JOB_LEASE", 60, minimum=1)

# --- Email -----------------------------------------------------------------------

# Notifications go out from `firsthand worker`. Without FIRSTHAND_SMTP_HOST they
# are printed to the worker's console (a new site sends nothing by surprise).
DEFAULT_FROM_EMAIL = env_str("FIRSTHAND_EMAIL_FROM", "Firsthand <firsthand@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("FIRSTHAND_SMTP_HOST", "")
EMAIL_PORT = env_int("FIRSTHAND_SMTP_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("FIRSTHAND_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("FIRSTHAND_SMTP_PASSWORD", "")
_SMTP_SECURITY = env_choice(
    "FIRSTHAND_SMTP_SECURITY", "starttls", ["starttls", "tls", "none"]
)
EMAIL_USE_TLS = _SMTP_SECURITY == "starttls"
EMAIL_USE_SSL = _SMTP_SECURITY == "tls"
EMAIL_TIMEOUT = 30
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Internationalisation -------------------------------------------------------

LANGUAGE_CODE = env_str("FIRSTHAND_LANGUAGE", "en")
TIME_ZONE = env_str("FIRSTHAND_TIME_ZONE", "UTC")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as _error:
    raise ImproperlyConfigured(
        f"FIRSTHAND_TIME_ZONE={TIME_ZONE!r} is not a known time zone. "
        "Use a name such as Europe/Paris or America/Chicago."
    ) from _error
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# --- Security -------------------------------------------------------------------

HTTPS = env_bool("FIRSTHAND_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp). Firsthand pages load nothing from other
# origins (DESIGN: no third-party requests), so the policy says so and turns any
# markup that slipped through the sanitizer inert: no inline script, no inline style,
# no plugins, no <base>, forms post only here, no framing. The admin is left to
# Django's own headers: it uses inline scripts this policy would block.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# On an HTTPS site: plain-HTTP requests are sent to HTTPS, and browsers are told to
# come back over HTTPS only (a year; subdomains too, ready for the preload list).
# FIRSTHAND_HSTS_SECONDS=0 leaves HSTS to the proxy; FIRSTHAND_HSTS_SUBDOMAINS=false
# when a subdomain still serves plain HTTP (docs/deployment.md).
SECURE_SSL_REDIRECT = HTTPS
_HSTS_SECONDS = env_int("FIRSTHAND_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_SECONDS = _HSTS_SECONDS if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FIRSTHAND_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = SECURE_HSTS_INCLUDE_SUBDOMAINS
# Comments are small; a generous text limit still fits well inside this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
CSRF_FAILURE_VIEW = "firsthand.conversation.views.csrf_failure"

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

# One record per line whatever strangers send (firsthand.logs; docs/deployment.md,
# "Logs"). Django's own loggers lose the handlers Django gives them (its console
# handler, on with DEBUG, and runserver's would print records unescaped; ADMINS is
# empty, so mail_admins sent nothing) and pass their records up to this one.
_LOG_LEVEL = env_choice(
    "FIRSTHAND_LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"]
)
_TO_ROOT = {"handlers": [], "level": _LOG_LEVEL, "propagate": True}
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"one_line": {"()": "firsthand.logs.OneLineFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "one_line"}
    },
    "loggers": {
        # httpx logs every URL it fetches at INFO: subscribers' callback URLs and
        # challenges are secrets, so only its warnings are kept.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "django": _TO_ROOT,
        "django.server": _TO_ROOT,
    },
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
}

# --- Login throttling (firsthand/login.py; docs/deployment.md) -----------------
# Sign-in attempts per client address and account name in each window, counted
# before any password is hashed; 0 turns throttling off. The per-address and
# per-account ceilings are 4 and 40 times this.
FIRSTHAND_LOGIN_ATTEMPTS = env_int("FIRSTHAND_LOGIN_ATTEMPTS", 5)
FIRSTHAND_LOGIN_WINDOW_MINUTES = env_int(
    "FIRSTHAND_LOGIN_WINDOW_MINUTES", 15, minimum=1
)
# The guard table must never cull live counters: Django's database cache deletes a
# third of its rows once it holds MAX_ENTRIES (300 by default), so 300 made-up names
# would have wiped every throttle. Expired rows go first; live ones only past this.
if CACHES["guard"]["BACKEND"].endswith(".DatabaseCache"):
    CACHES["guard"]["OPTIONS"] = {"MAX_ENTRIES": 1_000_000}
