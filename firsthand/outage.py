"""When the database is away or the disk is full: 503 with Retry-After, never a 500.

A PostgreSQL server that is restarting (or was killed), an SQLite file on a full
disk, a disk I/O error, a writer that waited out the busy timeout: none of these is
a bug in Firsthand, and none of them should look like one. The request failed
before anything was committed (every write is one transaction), so the honest
answer is "not now, try again shortly": ``503 Service Unavailable`` with a
``Retry-After`` header, a plain page without a traceback, and one log line.

Errors that *are* bugs keep their 500 (and their traceback in the log): an
IntegrityError, a ProgrammingError, and SQLite's own OperationalErrors for a
missing table or a syntax error. SQLite says which kind it is in the error code
Python 3.11 carries on the exception (``sqlite_errorcode``,
https://www.sqlite.org/rescode.html); PostgreSQL's drivers raise OperationalError
only for the server or the connection (SQLSTATE classes 08, 53, 57, 58: a bad
query is a ProgrammingError there).

"Nothing a person writes is ever lost": a comment form that could not be stored
comes back on the 503 page with everything typed in it (escaped by the template,
never rendered as HTML), ready to send again with the same form ticket, so a
second try cannot make a duplicate. The machine endpoints answer in their own
form with the same status and Retry-After (``answer``).

The connection that failed is closed if it no longer works, so the next request
opens a new one: the site comes back by itself when the database does, without a
restart (Django would also close it when the request ends; this does not rely on
that).

Where it is caught: ``DatabaseOutage.process_exception`` for errors in views
(nearly all of them, lazy queries in templates included), and, for an error in a
middleware after the view (a session saved on the way out), Django's
``got_request_exception`` signal marks the request and the 500 Django made is
replaced on its way out. Only the first kind is logged without a traceback.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
import time
import xmlrpc.client
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.templatetags.static import static

from firsthand import ratelimit
from firsthand.conversation.forms import ResponseForm

logger = logging.getLogger("firsthand.outage")

# Seconds a client is asked to wait. A PostgreSQL restart or a cleared disk takes
# about this long to notice; a person reads the page for longer anyway.
RETRY_AFTER_SECONDS = 30

# SQLite's primary result codes that mean "the storage, not the query"
# (https://www.sqlite.org/rescode.html): BUSY, LOCKED, NOMEM, READONLY, IOERR,
# FULL, CANTOPEN, PROTOCOL. CORRUPT (11) is left a 500: waiting will not mend it.
SQLITE_UNAVAILABLE = frozenset({5, 6, 7, 8, 10, 13, 14, 15})
# The same, by message, for errors that carry no code: Firsthand's own writer
# queue raises "database is locked" after the busy timeout (firsthand/sqlite).
SQLITE_MESSAGES = (
    "database is locked",
    "database or disk is full",
    "disk i/o error",
    "unable to open database file",
    "attempt to write a readonly database",
)

# The comment form's fields a person types, given back on the 503 page under the
# form's own labels, and the ones it carries along unseen.
TYPED_FIELDS = ("author_name", "author_email", "author_url", "author_title")
CARRIED_FIELDS = ("in_reply_to", "draft", "notify_replies", "notify_post")
COMMENT_VIEW = "conversation:respond"

TEXT = "text/plain; charset=utf-8"
XML = "text/xml; charset=utf-8"
MACHINE_MESSAGE = (
    "The site's database is unavailable for a moment. "
    f"Try again in {RETRY_AFTER_SECONDS} seconds."
)

_MARK = "_firsthand_outage"


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be used right now (503), as
    opposed to a bug or bad data (500, or the view's own answer)."""
    if isinstance(error, ratelimit.Unavailable):
        return True  # the shared counters (Redis, or the database table) are away
    if not isinstance(error, OperationalError | InterfaceError):
        return False  # IntegrityError, ProgrammingError, DataError: real errors
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", None)
        if isinstance(code, int):
            return code & 0xFF in SQLITE_UNAVAILABLE
        return _named(str(cause))
    if cause is None:
        return _named(str(error))
    # PostgreSQL (psycopg): its OperationalError and InterfaceError are the
    # server or the connection: refused, shut down, out of disk or memory.
    return True


def _named(message: str) -> bool:
    lowered = message.lower()
    return any(phrase in lowered for phrase in SQLITE_MESSAGES)


def discard_broken_connections() -> None:
    """Close every connection that no longer answers, so the next request opens
    a new one. A connection inside an atomic block is left to that block."""
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            continue
        try:
            connection.close_if_unusable_or_obsolete()
        except Exception:  # closing a dead connection can fail too; it is dropped
            logger.debug("closing a broken database connection failed", exc_info=True)
            connection.connection = None


def first_cause(error: Exception) -> Exception:
    """The earliest outage error behind ``error``. A commit that fails (a full
    WAL, a server going down) is followed by a rollback or reconnect that fails
    too, and that later error, "the database system is in recovery mode", would
    hide the one an operator needs: "No space left on device"."""
    first, depth = error, 0
    stack: list[tuple[BaseException, int]] = [(error, 0)]
    seen: set[int] = set()
    while stack:
        current, level = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if level > depth and isinstance(current, Exception) and unavailable(current):
            first, depth = current, level
        for behind in (current.__cause__, current.__context__):
            if behind is not None:
                stack.append((behind, level + 1))
    return first


def one_line(error: BaseException) -> str:
    """The driver's message on one line (psycopg's span several), cut short."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


def answer(request: HttpRequest) -> HttpResponse:
    """The 503 for ``request``, in the form its client reads."""
    view = _view_name(request)
    if view == "firsthand.crosstalk.views.xmlrpc":
        response = HttpResponse(_xmlrpc_fault(), content_type=XML, status=503)
    elif view == "firsthand.crosstalk.views.trackback":
        response = HttpResponse(_trackback_error(), content_type=XML, status=503)
    elif view == "firsthand.crosstalk.views.webmention":
        response = HttpResponse(MACHINE_MESSAGE + "\n", content_type=TEXT, status=503)
    else:
        response = _page(request)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    func = match.func
    return f"{func.__module__}.{getattr(func, '__qualname__', '')}"


def _xmlrpc_fault() -> bytes:
    """Pingback senders get HTTP 503 (with Retry-After), the signal for "later"
    that HTTP clients, proxies and monitors understand; XML-RPC says to answer
    200 "unless there's a lower-level error", and this is one. The body is still
    a well-formed fault (code 0, generic) for a client that reads it anyway."""
    return xmlrpc.client.dumps(
        xmlrpc.client.Fault(0, MACHINE_MESSAGE), methodresponse=True, encoding="utf-8"
    ).encode("utf-8")


def _trackback_error() -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f"<response><error>1</error><message>{escape(MACHINE_MESSAGE)}</message>"
        "</response>"
    ).encode()


def _page(request: HttpRequest) -> HttpResponse:
    """The page for people: rendered without the request's context processors
    (they read the session and the database), never failing itself."""
    context: dict[str, Any] = {"retry_after": RETRY_AFTER_SECONDS}
    try:
        context["stylesheet"] = static("firsthand/site.css")
    except ValueError:  # no collected static files: the page works without style
        context["stylesheet"] = ""
    if request.method == "POST":
        context.update(_given_back(request))
    try:
        html = render_to_string("503.html", context)
    except Exception:  # a broken template must not hide the outage behind a 500
        logger.exception("the 503 page could not be rendered")
        return HttpResponse(
            MACHINE_MESSAGE + "\n\n" + str(context.get("body", "")),
            content_type=TEXT,
            status=503,
        )
    return HttpResponse(html, status=503)


def _given_back(request: HttpRequest) -> dict[str, Any]:
    """What the person typed, to show again; a comment can be sent again as is."""
    try:
        posted = request.POST
    except Exception:  # an unreadable body: there is nothing to give back
        return {}
    labels = ResponseForm.base_fields
    typed = [
        {"name": name, "label": labels[name].label, "value": posted.get(name, "")}
        for name in TYPED_FIELDS
        if name in posted
    ]
    body = posted.get("body", "")
    if not typed and "body" not in posted:
        return {}
    match = getattr(request, "resolver_match", None)
    resend = match is not None and match.view_name == COMMENT_VIEW
    carried = [(name, posted[name]) for name in CARRIED_FIELDS if name in posted]
    return {
        "typed": typed,
        "body": body,
        "resend_to": request.path if resend else "",
        "carried": carried,
    }


class LogPace:
    """At most one line a second: an outage answers hundreds of requests a
    second, and a log that floods the disk makes a full disk worse."""

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.last = -seconds
        self.skipped = 0

    def count(self) -> int | None:
        """None: stay quiet; else log now, mentioning this many skipped."""
        now = time.monotonic()
        with self.lock:
            if now - self.last < self.seconds:
                self.skipped += 1
                return None
            skipped, self.skipped, self.last = self.skipped, 0, now
            return skipped


_quiet = LogPace()


@receiver(got_request_exception, dispatch_uid="firsthand.outage.mark")
def _mark(sender: object, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """An error Django turned into a 500 outside a view: remember it was an
    outage, so ``DatabaseOutage`` can replace that 500 on the way out."""
    error = sys.exc_info()[1]
    if request is not None and error is not None and unavailable(error):
        setattr(request, _MARK, error)


class DatabaseOutage:
    """Middleware: database-unavailable errors become 503 with Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        error = getattr(request, _MARK, None)
        if response.status_code == 500 and isinstance(error, Exception):
            return self._unavailable(request, error)
        return response

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not unavailable(exception):
            return None  # a bug stays a 500, traceback and all
        return self._unavailable(request, exception)

    def _unavailable(self, request: HttpRequest, error: Exception) -> HttpResponse:
        discard_broken_connections()
        quiet = _quiet.count()
        if quiet is not None:
            error = first_cause(error)
            logger.warning(
                "503 for %s %s: database or shared cache unavailable (%s: %s)%s",
                request.method,
                request.path,
                type(error).__name__,
                one_line(error),
                f"; {quiet} more 503s since the last line" if quiet else "",
            )
        response = answer(request)
        # The line above is the one line; Django's own "Service Unavailable" is
        # left out (django.utils.log.log_response honours this flag).
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
