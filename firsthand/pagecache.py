"""A whole-page cache for anonymous readers, answered before Django runs.

Readers vastly outnumber writers, and every anonymous reader of an article sees
the same bytes (the comment form's ticket travels in a cookie: see
``conversation.tickets``). So a page a view has *marked* as cacheable is kept in
the serving process's memory, with its gzip twin and an ETag, and the next
anonymous request for it is answered by this WSGI wrapper without touching
Django's middleware, URL resolver, views or the database.

**Exact invalidation.** Every cached page names what it shows ("site" for
anything that changes with posts, tags or authors; "post:12" for post 12 and its
responses; "responses" for lists that count responses). Every write to those
bumps their *stamp* when its transaction commits: a counter in one file of the
data folder, mapped into the memory of every process on the machine, so a hit
checks its stamps without a system call (``Stamps``). A page is served from
memory only while all its stamps are what they were when it was rendered; a page
rendered while anything changed (the "epoch" stamp moved) is not stored at all. So
no reader ever gets a thread older than the last accepted or moderated response.
Readers who miss the same page at once wait for one rendering of it.

**Never one person's view for another.** Only GET and HEAD requests without a
session, without the "what I posted" cookie and without flash messages are
answered from or stored in the cache, and only responses a view has marked (a view
marks a page only when nothing on it is for that reader alone). Set-Cookie headers
are never stored; a page with the comment form gets a fresh ticket cookie each
time it is served.

One machine: the stamps live in the data folder, so every process that writes
(``serve`` workers, ``firsthand worker``) must share it. ``FIRSTHAND_PAGE_CACHE=
false`` turns the cache off.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import fcntl
import gzip
import hashlib
import logging
import mmap
import os
import re
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBase

from firsthand.conversation import tickets

logger = logging.getLogger(__name__)

MARK = "firsthand_page_cache"
# Paths that are never cached, whatever their views say.
_NEVER = (
    "/admin/",
    "/moderate/",
    "/static/",
    "/respond/",
    "/privacy/",
    "/follow/",
    "/reblog/",
    "/webmention/",
    "/xmlrpc",
    "/trackback/",
    "/websub/",
)
_PAGE_QUERY = re.compile(r"^(page=[0-9]{1,6})?$")
_PERSONAL_COOKIES = ("firsthand_mine", "firsthand_posted", "messages")
_COMPRESSIBLE = (
    "text/",
    "application/xml",
    "application/rss",
    "application/atom",
    "application/feed+json",
    "application/json",
)
# A cached page is checked against the database at least this often, whatever
# happens (a safety net, not the invalidation: that is the stamps).
MAX_AGE = 600.0
# How long a reader waits for another thread's rendering of the same page before
# rendering it too.
COALESCE_SECONDS = 10.0

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclasses.dataclass(frozen=True)
class Mark:
    deps: tuple[str, ...]
    ticket: bool


def mark(response: HttpResponseBase, *deps: str, ticket: bool = False) -> None:
    """Let the page cache keep ``response`` for other anonymous readers, until one
    of ``deps`` changes; ``ticket``: hand out a fresh form ticket with each copy."""
    setattr(response, MARK, Mark(tuple(deps), ticket))


def cacheable(*deps: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view decorator: mark its successful answers to anonymous readers."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        def cached_view(request: Any, *args: Any, **kwargs: Any) -> Any:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not request.user.is_authenticated:
                mark(response, *deps)
            return response

        cached_view.__name__ = getattr(view, "__name__", "view")
        cached_view.__doc__ = view.__doc__
        return cached_view

    return decorate


# --- Stamps ------------------------------------------------------------------------


_NAME = re.compile(r"^[a-z]+(:[0-9]+)?$")
_FIXED = {"epoch": 0, "site": 1, "responses": 2}
_COUNTER = struct.Struct("<Q")


class Stamps:
    """Change counters shared by every process on the machine: one file of
    ``SLOTS`` 64-bit counters, mapped into memory, so a reader checks a page's
    stamps without a system call. A name owns one slot ("post:12" shares its slot
    with the posts 4,093 further on: a change to one then also refreshes the
    other's pages, never the reverse). Counters only grow; a bump holds an
    exclusive ``flock`` on the file, so no increment is lost between processes."""

    SLOTS = 4096
    FILE = "counters"
    RECHECK = 1.0  # seconds between checks that the mapped file is still the file

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = os.path.join(folder, self.FILE)
        self._map: mmap.mmap | None = None
        self._inode = 0
        self._checked = 0.0

    @classmethod
    def slot(cls, name: str) -> int:
        """The byte offset of ``name``'s counter."""
        fixed = _FIXED.get(name)
        if fixed is not None:
            return fixed * 8
        if not _NAME.match(name):
            raise ValueError(f"not a stamp name: {name!r}")
        kind, _, number = name.partition(":")
        spread = len(_FIXED)
        if kind == "post" and number:
            return (spread + int(number) % (cls.SLOTS - spread)) * 8
        return (spread + zlib.crc32(name.encode()) % (cls.SLOTS - spread)) * 8

    def _open(self) -> int:
        os.makedirs(self.folder, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        size = self.SLOTS * 8
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            # Real blocks, not a sparse file: a write through the map into a hole
            # on a full disk kills the process with SIGBUS. Allocating also fills
            # the holes of a file an older version left sparse.
            os.posix_fallocate(fd, 0, size)
        except OSError as error:  # a full disk now, or a file system without it
            logger.warning("Page cache counters not preallocated: %s", error)
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return fd

    def _mapped(self) -> mmap.mmap:
        now = time.monotonic()
        if self._map is not None and now - self._checked < self.RECHECK:
            return self._map
        self._checked = now
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            inode = -1
        if self._map is None or inode != self._inode:
            fd = self._open()
            try:
                self._map = mmap.mmap(fd, self.SLOTS * 8, mmap.MAP_SHARED)
                self._inode = os.fstat(fd).st_ino
            finally:
                os.close(fd)
        return self._map

    @classmethod
    def offsets(cls, names: Sequence[str]) -> tuple[int, ...]:
        return tuple(cls.slot(name) for name in names)

    def values(self, offsets: Sequence[int]) -> tuple[int, ...]:
        counters = self._mapped()
        unpack = _COUNTER.unpack_from
        return tuple(unpack(counters, offset)[0] for offset in offsets)

    def read(self, names: Sequence[str]) -> tuple[int, ...]:
        return self.values(self.offsets(names))

    def bump(self, names: Iterable[str]) -> None:
        offsets = {self.slot(name) for name in (*names, "epoch")}
        fd = self._open()
        try:
            with mmap.mmap(fd, self.SLOTS * 8, mmap.MAP_SHARED) as counters:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    for offset in offsets:
                        (value,) = _COUNTER.unpack_from(counters, offset)
                        _COUNTER.pack_into(counters, offset, value + 1)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def stamps() -> Stamps:
    return Stamps(Path(settings.DATA_DIR) / "page-stamps")


def bump_on_commit(*names: str) -> None:
    """After the current transaction commits, every page showing ``names`` is
    out of date (right away, outside a transaction)."""
    if settings.FIRSTHAND_PAGE_CACHE:
        transaction.on_commit(lambda: stamps().bump(names))


# --- The store -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Entry:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    gzipped: bytes | None
    etag: str
    deps: tuple[str, ...]
    stamps: tuple[int, ...]
    ticket: bool
    expires: float
    # Worked out once, so that a hit only picks one (see PageCache.serve).
    offsets: tuple[int, ...] = dataclasses.field(init=False)
    plain: tuple[tuple[str, str], ...] = dataclasses.field(init=False)
    zipped: tuple[tuple[str, str], ...] = dataclasses.field(init=False)
    unchanged: tuple[tuple[str, str], ...] = dataclasses.field(init=False)
    opaque: str = dataclasses.field(init=False)  # the tag without W/, to compare

    def __post_init__(self) -> None:
        marked = (*self.headers, ("X-Firsthand-Cache", "hit"))
        zipped = len(self.gzipped) if self.gzipped is not None else 0
        # The gzip twin is another representation of the same page: a weak tag
        # (If-None-Match compares weakly, so either tag revalidates).
        weak = self.etag if self.etag.startswith("W/") else f"W/{self.etag}"
        for name, value in (
            ("opaque", self.etag.removeprefix("W/")),
            ("offsets", Stamps.offsets(self.deps)),
            (
                "plain",
                (
                    *marked,
                    ("ETag", self.etag),
                    ("Content-Length", str(len(self.body))),
                ),
            ),
            (
                "zipped",
                (
                    *marked,
                    ("ETag", weak),
                    ("Content-Encoding", "gzip"),
                    ("Content-Length", str(zipped)),
                ),
            ),
            (
                "unchanged",
                (
                    *((k, v) for k, v in marked if k.lower() not in _BODY_HEADERS),
                    ("ETag", self.etag),
                ),
            ),
        ):
            object.__setattr__(self, name, value)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + 512


class Store:
    """Least recently used pages, within a byte budget; safe across threads."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.entries: collections.OrderedDict[str, Entry] = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        if entry.size > self.budget // 4:
            return  # one page must not push everything else out
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.used -= old.size
            self.entries[key] = entry
            self.used += entry.size
            while self.used > self.budget and self.entries:
                _, dropped = self.entries.popitem(last=False)
                self.used -= dropped.size

    def drop(self, key: str) -> None:
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.used -= old.size


# --- The WSGI wrapper ----------------------------------------------------------------


class PageCache:
    def __init__(self, app: WSGIApp, *, budget: int, stamps: Stamps) -> None:
        self.app = app
        self.store = Store(budget)
        self.stamps = stamps
        self.rendering: dict[str, threading.Event] = {}  # keys being rendered now
        self.rendering_lock = threading.Lock()
        # Read once: a setting costs a few hundred nanoseconds to read.
        self.https = bool(settings.HTTPS)
        self.personal = frozenset({settings.SESSION_COOKIE_NAME, *_PERSONAL_COOKIES})

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        key = cache_key(environ, https=self.https, personal=self.personal)
        if key is None:
            return self.app(environ, start_response)
        entry = self.fresh(key)
        if entry is not None:
            return self.serve(entry, environ, start_response)
        return self.render_once(key, environ, start_response)

    def fresh(self, key: str) -> Entry | None:
        """The kept page for ``key`` if nothing it shows has changed since."""
        entry = self.store.get(key)
        if entry is None:
            return None
        if entry.expires > time.time() and (
            self.stamps.values(entry.offsets) == entry.stamps
        ):
            return entry
        self.store.drop(key)
        return None

    def render_once(
        self, key: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """A miss: one thread renders, others asking for the same page meanwhile
        wait for its copy (a popular page whose thread just changed would
        otherwise be rendered by every server thread at once: the work, and the
        memory, many times over)."""
        with self.rendering_lock:
            busy = self.rendering.get(key)
            if busy is None:
                done = self.rendering[key] = threading.Event()
        if busy is not None:
            busy.wait(COALESCE_SECONDS)
            entry = self.fresh(key)
            if entry is not None:
                return self.serve(entry, environ, start_response)
            return self.render(key, environ, start_response)  # it was not kept
        try:
            return self.render(key, environ, start_response)
        finally:
            with self.rendering_lock:
                del self.rendering[key]
            done.set()

    @staticmethod
    def serve(
        entry: Entry, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """A hit: everything but the ticket was prepared when the page was kept."""
        if entry.opaque in environ.get("HTTP_IF_NONE_MATCH", ""):
            status, headers, body = "304 Not Modified", entry.unchanged, b""
        elif entry.gzipped is not None and "gzip" in environ.get(
            "HTTP_ACCEPT_ENCODING", ""
        ):
            status, headers, body = entry.status, entry.zipped, entry.gzipped
        else:
            status, headers, body = entry.status, entry.plain, entry.body
        start_response(
            status, [*headers, tickets.header()] if entry.ticket else list(headers)
        )
        return [body] if body and environ["REQUEST_METHOD"] != "HEAD" else []

    def render(
        self, key: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """A miss: Django answers; a marked page rendered while nothing changed
        is kept for the next reader."""
        before = self.stamps.read(("epoch",))
        seen: dict[str, Any] = {}

        def remember(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, *rest)

        result = self.app(environ, remember)
        found = getattr(result, MARK, None)
        if (
            isinstance(found, Mark)
            and seen.get("status", "").startswith("200")
            and not getattr(result, "streaming", True)
            and environ["REQUEST_METHOD"] == "GET"
        ):
            body: bytes = result.content  # type: ignore[attr-defined]
            now = self.stamps.read(("epoch", *found.deps))
            if now[0] == before[0]:
                self.store.put(key, _entry(seen, body, found, now[1:]))
        return result


_BODY_HEADERS = {"content-type", "content-length", "content-encoding"}
_NOT_KEPT = {"set-cookie", "content-length", "etag", "vary", "x-firsthand-cache"}


def _entry(
    seen: dict[str, Any], body: bytes, found: Mark, now: tuple[int, ...]
) -> Entry:
    headers = [(k, v) for k, v in seen["headers"] if k.lower() not in _NOT_KEPT]
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    gzipped = None
    if len(body) > 512 and content_type.startswith(_COMPRESSIBLE):
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        headers.append(("Vary", "Accept-Encoding"))
    # A view's own tag (the feeds have one) stays the page's tag, so a reader
    # who got it from Django revalidates against the kept copy too.
    etag = next((v for k, v in seen["headers"] if k.lower() == "etag"), "")
    if not etag:
        etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    return Entry(
        status=seen["status"],
        headers=tuple(headers),
        body=body,
        gzipped=gzipped,
        etag=etag,
        deps=found.deps,
        stamps=now,
        ticket=found.ticket,
        expires=_expiry(),
    )


def _expiry() -> float:
    """Now plus MAX_AGE, or the moment the next scheduled post appears (a page
    may list it then), whichever comes first."""
    from django.db.models import Min

    from firsthand.blog.models import Post

    now = datetime.datetime.now(datetime.UTC)
    due = Post.everything.filter(
        status=Post.Status.PUBLISHED, published_at__gt=now
    ).aggregate(first=Min("published_at"))["first"]
    limit = time.time() + MAX_AGE
    return min(limit, due.timestamp()) if due is not None else limit


def cache_key(
    environ: dict[str, Any],
    *,
    https: bool = False,
    personal: frozenset[str] = frozenset({"sessionid", *_PERSONAL_COOKIES}),
) -> str | None:
    """The key of a request the cache may answer, or None. ``https``: the site is
    served over HTTPS behind a proxy (``X-Forwarded-Proto`` names the scheme);
    ``personal``: the cookies that make a request someone's own."""
    method = environ.get("REQUEST_METHOD")
    if method != "GET" and method != "HEAD":
        return None
    path = environ.get("PATH_INFO", "")
    if path.startswith(_NEVER):
        return None
    query = environ.get("QUERY_STRING", "")
    if query and not _PAGE_QUERY.match(query):
        return None
    cookies = environ.get("HTTP_COOKIE", "")
    if cookies:
        names = {part.split("=", 1)[0].strip() for part in cookies.split(";")}
        if not personal.isdisjoint(names):
            return None
    scheme = environ.get("HTTP_X_FORWARDED_PROTO", "") if https else ""
    scheme = scheme or environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST", "")
    return f"{scheme}://{host}{path}?{query}"


def wrap(app: WSGIApp) -> WSGIApp:
    """``app`` behind the page cache, when FIRSTHAND_PAGE_CACHE is on."""
    if not settings.FIRSTHAND_PAGE_CACHE:
        return app
    budget = settings.FIRSTHAND_PAGE_CACHE_MB * 1024 * 1024
    return PageCache(app, budget=budget, stamps=stamps())
