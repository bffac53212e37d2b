"""Telling the pages a post links to: Webmention, else pingback (issue 5, point 4).

Two workflows, run by ``firsthand worker`` through ``tasks_outbound``:

- ``plan(post)`` compares the post's links with its ``Outbound`` rows and says which
  targets to tell now: new links; links removed since the last time (W3C Webmention
  section 3.3.1: re-send to a URL removed from the document, so its site drops the
  mention); links that got a Webmention before (the same section: re-send after an
  update, the receiver replaces its copy); and earlier failures. A removed link that
  was never delivered is forgotten; pingback has no update and no delete, so a link
  told by pingback is never pinged again.
- ``send_one(outbound_id, attempt)`` fetches the target (the SSRF-guarded door,
  1 MiB), discovers its Webmention endpoint (``protocols.discovery``), else its
  pingback server, sends, and records the outcome on the row. A failure worth
  retrying (no answer, 408, 429, 5xx, the pingback fault "upstream error") returns a
  ``retry_at`` from ``BACKOFF``; after ``MAX_ATTEMPTS`` the row is ``failed``.

Nothing here enqueues tasks: ``tasks_outbound`` schedules from the returned values.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import xmlrpc.client
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from firsthand.blog.models import Post
from firsthand.crosstalk.fetch import FetchError, FetchResult, fetch
from firsthand.crosstalk.models import Outbound
from firsthand.crosstalk.protocols import discovery, pingback
from firsthand.site import absolute

logger = logging.getLogger(__name__)

WEBMENTION = "webmention"
PINGBACK = "pingback"

PAGE_TIMEOUT = 10.0
PAGE_MAX_BYTES = 1_048_576
SEND_TIMEOUT = 15.0
PINGBACK_MAX_BYTES = 65_536  # an XML-RPC answer is a short string or a fault
# Seconds to wait after failed attempt 1, 2, …: six attempts over about nine hours.
BACKOFF = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
RETRY_AFTER_MAX = 24 * 3600  # a Retry-After longer than a day is not believed
# Answers that mean "not now" rather than "no".
_TRANSIENT = frozenset({408, 425, 429})


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one attempt went: ``retry_at`` when it should be tried again, ``error``
    when it failed (for the job's record)."""

    result: str
    retry_at: datetime.datetime | None = None
    error: str = ""


@dataclasses.dataclass(frozen=True)
class Job:
    """One target to tell, and which attempt this is."""

    outbound_id: int
    attempt: int


class _Retry(Exception):
    """This attempt failed in a way another attempt may not; ``after`` is how many
    seconds the other server asked us to wait (``Retry-After``), if it said."""

    def __init__(self, reason: str, after: int = 0) -> None:
        super().__init__(reason)
        self.after = after


def _busy(answer: FetchResult, what: str) -> _Retry:
    """A "not now" answer (RFC 9110 section 10.2.3: a 429 or 503 may say when)."""
    value = answer.headers.get("Retry-After", "").strip()
    after = min(int(value), RETRY_AFTER_MAX) if value.isdigit() else 0
    return _Retry(f"{what} answered {answer.status_code}", after)


class _GiveUp(Exception):
    """This target cannot be told: trying again will not help."""


# --- Planning -------------------------------------------------------------------------


@transaction.atomic
def plan(post: Post) -> list[Job]:
    """Bring the post's ``Outbound`` rows in line with its links; the jobs to run.

    A post that is not public sends nothing (its page would not verify).
    """
    if not post.is_public:
        return []
    source = absolute(post.get_absolute_url())
    links = discovery.outbound_links(post.body_html, source)
    rows = {
        row.target: row
        for row in Outbound.objects.select_for_update().filter(post=post)
    }
    Outbound.objects.bulk_create(
        [Outbound(post=post, target=target) for target in links if target not in rows],
        ignore_conflicts=True,  # a concurrent plan of the same post made it first
    )
    linked = set(links)
    for target, row in rows.items():
        if target in linked:
            _still_linked(row)
        elif row.linked:
            _unlinked(row)
    return [
        Job(pk, attempts + 1)
        for pk, attempts in Outbound.objects.filter(
            post=post, status=Outbound.Status.PENDING
        )
        .order_by("pk")
        .values_list("pk", "attempts")
    ]


def _still_linked(row: Outbound) -> None:
    # Removed once and now back (a new mention), failed before (another chance), or
    # told by Webmention (section 3.3.1: re-send after an update).
    if (
        not row.linked
        or row.status == Outbound.Status.FAILED
        or (row.status == Outbound.Status.SENT and row.protocol == WEBMENTION)
    ):
        _again(row, linked=True)
    # pending: already due; none: the site takes no mentions; a sent pingback:
    # pinging again would only earn the fault "already registered".


def _unlinked(row: Outbound) -> None:
    if row.sent_at is None:
        row.delete()  # never delivered: nothing to take back
    elif row.protocol == WEBMENTION:
        _again(row, linked=False)
    else:
        row.linked = False  # a pingback cannot be taken back
        row.save(update_fields=["linked", "updated_at"])


def _again(row: Outbound, *, linked: bool) -> None:
    row.linked = linked
    row.status = Outbound.Status.PENDING
    row.attempts = 0
    row.last_error = ""
    row.save(update_fields=["linked", "status", "attempts", "last_error", "updated_at"])


# --- Sending --------------------------------------------------------------------------


def send_one(outbound_id: int, attempt: int) -> Outcome:
    """Tell one target about the post that links (or linked) to it.

    ``attempt`` is the row's attempt count plus one when the job was queued; a job
    whose count no longer matches was overtaken by another one (a retry scheduled
    before an edit re-queued the row) and does nothing.
    """
    row = Outbound.objects.select_related("post").filter(pk=outbound_id).first()
    if row is None:
        return Outcome("skipped: the link is gone")
    if row.status != Outbound.Status.PENDING:
        return Outcome(f"skipped: already {row.status}")
    if row.attempts + 1 != attempt:
        return Outcome(f"skipped: attempt {attempt} was overtaken")
    if not row.post.is_public:
        return Outcome("skipped: the post is not public")  # publishing re-plans it
    if not settings.FIRSTHAND_SITE_URL:
        # Without it the source would be http://127.0.0.1:8000/…: no site can check
        # that. The row stays pending; the next edit after setting it sends.
        Outbound.objects.filter(pk=row.pk).update(
            last_error="not sent yet: FIRSTHAND_SITE_URL is not set"
        )
        return Outcome("not sent: FIRSTHAND_SITE_URL is not set")
    source = absolute(row.post.get_absolute_url())
    try:
        protocol, endpoint, result_url = _tell(row, source)
    except _GiveUp as error:
        return _failed(row, attempt, str(error), final=True)
    except _Retry as error:
        return _failed(row, attempt, str(error), after=error.after)
    if protocol is None:
        _record(row, attempt, status=Outbound.Status.NO_ENDPOINT, error=endpoint)
        return Outcome(f"no endpoint: {endpoint}")
    _record(
        row,
        attempt,
        status=Outbound.Status.SENT,
        protocol=protocol,
        endpoint=endpoint,
        result_url=result_url,
        sent=True,
    )
    return Outcome(f"sent by {protocol} to {endpoint}")


def _tell(row: Outbound, source: str) -> tuple[str | None, str, str]:
    """(protocol, endpoint, status URL), or (None, why there is no endpoint, "")."""
    page = _get(row.target)
    endpoints = discovery.discover(page.url, page.headers, page.text)
    if endpoints.webmention:
        return (
            WEBMENTION,
            endpoints.webmention,
            _webmention(endpoints.webmention, source, row.target),
        )
    if not row.linked:
        return None, "no Webmention endpoint to tell that the link was removed", ""
    if endpoints.pingback:
        _pingback(endpoints.pingback, source, row.target)
        return PINGBACK, endpoints.pingback, ""
    return None, "the page names no Webmention endpoint and no pingback server", ""


def _get(target: str) -> FetchResult:
    try:
        page = fetch(
            "GET",
            target,
            headers={"Accept": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"},
            timeout=PAGE_TIMEOUT,
            max_bytes=PAGE_MAX_BYTES,
        )
    except FetchError as error:
        raise (_GiveUp if error.refused else _Retry)(error.reason) from error
    if page.status_code >= 500 or page.status_code in _TRANSIENT:
        raise _busy(page, "the page")
    if not page.ok:
        raise _GiveUp(f"the page answered {page.status_code}")
    return page


def _webmention(endpoint: str, source: str, target: str) -> str:
    """POST source and target (section 3.1.3); the status URL a 201 may give."""
    try:
        answer = fetch(
            "POST",
            endpoint,
            data={"source": source, "target": target},
            timeout=SEND_TIMEOUT,
            read_body=False,  # only the status and Location matter
        )
    except FetchError as error:
        raise (_GiveUp if error.refused else _Retry)(error.reason) from error
    status = answer.status_code
    if 200 <= status < 300:
        # "Any 2xx response code MUST be considered a success"; 201 gives the
        # status page in Location (a 202 may too).
        return _status_url(endpoint, answer.headers.get("Location", ""))
    if status >= 500 or status in _TRANSIENT:
        raise _busy(answer, "the Webmention endpoint")
    if 300 <= status < 400:
        raise _GiveUp(
            f"the Webmention endpoint answered {status}: redirects are not "
            "followed for a POST"
        )
    raise _GiveUp(f"the Webmention endpoint refused it with {status}")


def _pingback(server: str, source: str, target: str) -> None:
    """``pingback.ping(source, target)`` (Pingback 1.0 section 3); faults raise."""
    body = xmlrpc.client.dumps((source, target), methodname=pingback.PING)
    try:
        answer = fetch(
            "POST",
            server,
            data=body.encode(),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=SEND_TIMEOUT,
            max_bytes=PINGBACK_MAX_BYTES,
        )
    except FetchError as error:
        raise (_GiveUp if error.refused else _Retry)(error.reason) from error
    if answer.status_code >= 500 or answer.status_code in _TRANSIENT:
        raise _busy(answer, "the pingback server")
    if not answer.ok:
        raise _GiveUp(f"the pingback server answered {answer.status_code}")
    code, message = xmlrpc_fault(answer.content)
    if code is None:
        return
    if code == pingback.ALREADY_REGISTERED:
        return  # told before (a row re-sent after a failure): that is delivered
    text = f"pingback fault {code}: {message}"[:400]
    if code == pingback.UPSTREAM_ERROR:
        raise _Retry(text)
    raise _GiveUp(text)


def xmlrpc_fault(content: bytes) -> tuple[int | None, str]:
    """(fault code, fault string) of an XML-RPC answer; (None, "") for a success.

    Parsed with defusedxml, DTDs refused: an answer needs none, and one would be the
    way in for an entity bomb. An answer that is not XML-RPC counts as fault 0.
    """
    try:
        root = fromstring(content, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        return pingback.GENERIC, f"the answer is not XML-RPC ({error})"
    if root.tag != "methodResponse":
        return pingback.GENERIC, "the answer is not an XML-RPC methodResponse"
    fault = root.find("fault/value/struct")
    if fault is None:
        return (
            (None, "")
            if root.find("params/param") is not None
            else (
                pingback.GENERIC,
                "the answer has neither params nor a fault",
            )
        )
    members = {
        (member.findtext("name") or "").strip(): member.find("value")
        for member in fault.findall("member")
    }
    code_text = _scalar(members.get("faultCode"))
    try:
        code = int(code_text)
    except ValueError:
        code = pingback.GENERIC
    return code, _scalar(members.get("faultString"))


def _scalar(value: Element | None) -> str:
    """The text of an XML-RPC ``<value>``: typed (``<int>``, ``<string>``…) or bare."""
    if value is None:
        return ""
    typed = next(iter(value), None)
    return ((typed.text if typed is not None else value.text) or "").strip()


def _status_url(endpoint: str, location: str) -> str:
    if not location:
        return ""
    url = urljoin(endpoint, location.strip())
    if urlsplit(url).scheme not in {"http", "https"} or len(url) > 2000:
        return ""
    return url


# --- Recording ------------------------------------------------------------------------


def _failed(
    row: Outbound, attempt: int, error: str, *, final: bool = False, after: int = 0
) -> Outcome:
    if final or attempt >= MAX_ATTEMPTS:
        _record(row, attempt, status=Outbound.Status.FAILED, error=error)
        logger.info(
            "Gave up telling %s about post %s: %s", row.target, row.post_id, error
        )
        return Outcome("gave up", error=error)
    wait = max(BACKOFF[attempt - 1], after)
    retry_at = timezone.now() + datetime.timedelta(seconds=wait)
    _record(row, attempt, error=error)
    return Outcome("retrying", retry_at=retry_at, error=error)


def _record(
    row: Outbound,
    attempt: int,
    *,
    error: str = "",
    status: str = "",
    protocol: str = "",
    endpoint: str = "",
    result_url: str = "",
    sent: bool = False,
) -> None:
    """One UPDATE, only while the row is still the one this attempt started on
    (pending at ``attempt - 1``): an edit that re-queued it meanwhile wins."""
    changes: dict[str, object] = {
        "attempts": attempt,
        "last_error": _short(error),
        "updated_at": timezone.now(),
    }
    if status:
        changes["status"] = status
    if sent:
        changes.update(
            protocol=protocol,
            endpoint=endpoint,
            result_url=result_url,
            sent_at=timezone.now(),
        )
    elif status == Outbound.Status.NO_ENDPOINT:
        changes.update(protocol="", endpoint="")
    Outbound.objects.filter(
        pk=row.pk, status=Outbound.Status.PENDING, attempts=attempt - 1
    ).update(**changes)


def _short(text: str) -> str:
    return text if len(text) <= 500 else text[:499] + "…"
