"""The worker's half of receiving: fetch the source, check the link, hand the
response to the conversation.

One ``verify`` call is one attempt for one stored ``Inbound``: fetch the source
through the guarded door (``fetch``: GET, ``Accept: text/html`` first, 1 MB, 10 s),
check that it links to the target (Webmention section 3.2.2; Pingback fault 0x0011),
read it (``protocols.webmention.read_source``), build a ``Submission`` and call
``conversation.intake.receive``, so duplicates, flood control per sender address
and the spam layers apply as to any comment. The ``Inbound`` row ends accepted
(with its response), rejected (with the reason), removed or failed.

Webmention updates (section 3.2.4): a source sent again is read again and intake
replaces the earlier response in place; a source that now answers 410 Gone, or
no longer links to the target, takes the earlier response down
(``moderation.remove``).

Nothing here schedules anything: ``tasks.py`` retries from the ``Outcome``.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db.models import Q
from django.urls import Resolver404, resolve
from django.utils import timezone

from firsthand.conversation import intake, moderation
from firsthand.conversation.models import Response
from firsthand.conversation.submission import Submission
from firsthand.crosstalk.fetch import FetchError, fetch
from firsthand.crosstalk.models import Inbound
from firsthand.crosstalk.protocols.webmention import (
    Reading,
    Unreadable,
    decode,
    read_source,
    same_site,
)

logger = logging.getLogger(__name__)

TIMEOUT = 10.0
MAX_BYTES = 1_048_576
ACCEPT = (
    "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, "
    "application/json;q=0.4, */*;q=0.1"
)
# Seconds to wait after failed attempt 1, 2, …; then the Inbound is marked failed.
BACKOFF = (60, 5 * 60, 30 * 60, 2 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
# Answers worth asking again later: the source's server is busy or broken now.
_TRANSIENT = frozenset({408, 425, 429})
# A source host whose pages mention more than BURST_POSTS of this site's posts
# within BURST_WINDOW has the rest held for a moderator (docs/protocols/pingback.md).
BURST_WINDOW = datetime.timedelta(minutes=10)
BURST_POSTS = 5
REASON_MAX_CHARS = 500


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one attempt went: ``retry_at`` when it should be tried again, ``error``
    when it did not succeed."""

    result: str
    retry_at: datetime.datetime | None = None
    error: str = ""


def is_ours(url: str, site: str) -> bool:
    """``url`` is on this site: the host and port of ``site`` (FIRSTHAND_SITE_URL,
    else the host a request came to, which Django checked against ALLOWED_HOSTS);
    without FIRSTHAND_SITE_URL, also any named ALLOWED_HOSTS entry on that port."""
    others = [] if settings.FIRSTHAND_SITE_URL else list(settings.ALLOWED_HOSTS)
    return same_site(url, site, others)


def verify(inbound_id: int, attempt: int) -> Outcome:
    """Attempt ``attempt`` at verifying one received ping."""
    inbound = Inbound.objects.select_related("post").filter(pk=inbound_id).first()
    if inbound is None or inbound.status != Inbound.Status.RECEIVED:
        return Outcome("skipped: nothing waiting")
    Inbound.objects.filter(pk=inbound.pk).update(attempts=attempt)
    if inbound.post is None:
        return _finish(inbound, Inbound.Status.REJECTED, "the post is gone")
    try:
        answer = fetch(
            "GET",
            inbound.source,
            headers={"Accept": ACCEPT},
            timeout=TIMEOUT,
            max_bytes=MAX_BYTES,
        )
    except FetchError as error:
        if error.refused:  # the guard said no: asking again will not help
            return _finish(
                inbound,
                Inbound.Status.REJECTED,
                f"the source is not fetched: {error.reason}",
            )
        return _failed_attempt(inbound, attempt, error.reason)
    status = answer.status_code
    if answer.url != inbound.source and is_ours(answer.url, inbound.target):
        return _finish(
            inbound, Inbound.Status.REJECTED, "the source redirects to this site"
        )
    if status == 410:
        return _gone(inbound, "the source answered 410 Gone")
    if status >= 500 or status in _TRANSIENT:
        return _failed_attempt(inbound, attempt, f"the source answered {status}")
    if not answer.ok:
        return _finish(
            inbound, Inbound.Status.REJECTED, f"the source answered {status}"
        )
    try:
        content_type = answer.headers.get("Content-Type", "text/html")
        reading = read_source(
            decode(answer.content, content_type),
            content_type,
            answer.url,
            inbound.target,
        )
    except Unreadable as problem:
        return _finish(inbound, Inbound.Status.REJECTED, str(problem))
    if not reading.links_to_target:
        return _gone(inbound, "the source does not link to the target")
    return _hand_over(inbound, reading)


def give_up(inbound_id: int, reason: str) -> None:
    """Mark a ping failed now (the task backend cannot run a retry later)."""
    _update(inbound_id, status=Inbound.Status.FAILED, reason=reason)


def submission_for(inbound: Inbound, reading: Reading) -> Submission:
    """What the source says, as the conversation's one input shape.

    The source URL as sent is the response's identity: a Webmention sent again
    for it updates the same response. ``ip_address`` is the sender's, so flood
    control counts per sender.
    """
    assert inbound.post_id is not None
    raw = inbound.raw or {}
    host = _host(inbound.source)
    home = f"{urlsplit(inbound.source).scheme}://{urlsplit(inbound.source).netloc}/"
    fallback = reading.title or inbound.source
    if inbound.protocol == Inbound.Protocol.WEBMENTION:
        kind = reading.kind
        author = reading.author_name or reading.site_name or host
        if kind == "reply":
            body = reading.content or reading.excerpt or fallback
        elif kind in {"like", "repost"}:
            body = reading.content
        else:
            body = reading.excerpt or fallback
        title = reading.title
    elif inbound.protocol == Inbound.Protocol.TRACKBACK:
        kind = "trackback"
        author = str(raw.get("blog_name") or "") or reading.site_name or host
        body = str(raw.get("excerpt") or "") or reading.excerpt or fallback
        title = str(raw.get("title") or "") or reading.title
    else:
        kind = "pingback"
        author = reading.site_name or reading.author_name or host
        body = reading.excerpt or fallback
        title = reading.title
    return Submission(
        post_id=inbound.post_id,
        kind=kind,
        parent_id=_answered(inbound) if kind == "reply" else None,
        author_name=author,
        author_url=reading.author_url or home,
        author_photo=reading.author_photo,
        body=body,
        source_url=inbound.source,
        source_title=title,
        ip_address=inbound.remote_ip,
        source=inbound.protocol,
    )


def answered_number(target: str) -> int | None:
    """The response a target names inside its post, if any: a comment's lasting
    address (``…/comments/12/``) or an anchor (``…/slug/#comment-12``)."""
    parts = urlsplit(target)
    anchor = re.fullmatch(r"comment-([0-9]{1,9})", parts.fragment)
    if anchor:
        return int(anchor.group(1))
    path = unquote(parts.path) or "/"
    for candidate in (path, f"{path}/"):
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if match.view_name == "blog:response":
            return int(match.kwargs["number"])
        return None
    return None


def _answered(inbound: Inbound) -> int | None:
    """A reply whose target is one of the post's comments is a reply to that
    comment (nested under it), when readers can see it."""
    number = answered_number(inbound.target)
    if number is None:
        return None
    return (
        Response.objects.visible()
        .filter(
            post_id=inbound.post_id or 0,
            number=number,
            kind__in=[Response.Kind.COMMENT, Response.Kind.REPLY],
        )
        .values_list("pk", flat=True)
        .first()
    )


# --- Outcomes ----------------------------------------------------------------------


def _hand_over(inbound: Inbound, reading: Reading) -> Outcome:
    if inbound.protocol != Inbound.Protocol.WEBMENTION:
        # Only a Webmention updates what it made (section 3.2.4; intake revises
        # it in place). A pingback or trackback from a source that already has
        # its response is that response: this job ran before and its worker was
        # killed before the ping was marked (docs/deployment.md, Background jobs).
        earlier = _earlier_responses(inbound)
        if earlier:
            return _finish(inbound, Inbound.Status.ACCEPTED, "", response=earlier[0])
    try:
        response = intake.receive(submission_for(inbound, reading))
    except intake.AlreadyReceived as received:
        response = received.response
    except intake.Rejected as rejection:
        return _finish(inbound, Inbound.Status.REJECTED, str(rejection))
    note = _burst_note(inbound)
    if note and response.status in {
        Response.Status.VISIBLE,
        Response.Status.PENDING,
    }:
        response = _hold(response, note)
    return _finish(inbound, Inbound.Status.ACCEPTED, note, response=response)


def _gone(inbound: Inbound, reason: str) -> Outcome:
    """A Webmention source that is gone or no longer links takes down what it made
    (section 3.2.4); for a new one, or a pingback or trackback, it is a refusal."""
    earlier = _earlier_responses(inbound)
    if inbound.protocol != Inbound.Protocol.WEBMENTION or not earlier:
        return _finish(inbound, Inbound.Status.REJECTED, reason)
    for response in earlier:
        moderation.remove(response)
    return _finish(inbound, Inbound.Status.REMOVED, reason, response=earlier[0])


def _earlier_responses(inbound: Inbound) -> list[Response]:
    if inbound.post_id is None:
        return []
    return list(
        Response.objects.filter(
            post_id=inbound.post_id, source=inbound.protocol, source_url=inbound.source
        )
        .exclude(status=Response.Status.REMOVED)
        .order_by("pk")
    )


def _failed_attempt(inbound: Inbound, attempt: int, error: str) -> Outcome:
    if attempt >= MAX_ATTEMPTS:
        logger.info("Gave up verifying %s: %s", inbound, error)
        return _finish(
            inbound,
            Inbound.Status.FAILED,
            f"gave up after {attempt} attempts: {error}",
            error=error,
        )
    wait = BACKOFF[attempt - 1]
    _update(inbound.pk, reason=f"attempt {attempt} failed ({error}); trying again")
    retry_at = timezone.now() + datetime.timedelta(seconds=wait)
    return Outcome("retrying", retry_at=retry_at, error=error)


def _finish(
    inbound: Inbound,
    status: str,
    reason: str,
    *,
    response: Response | None = None,
    error: str = "",
) -> Outcome:
    _update(inbound.pk, status=status, reason=reason, response=response)
    return Outcome(f"{status}: {reason}" if reason else status, error=error)


def _update(
    inbound_id: int,
    *,
    reason: str,
    status: str = "",
    response: Response | None = None,
) -> None:
    changes: dict[str, object] = {
        "reason": _short(reason),
        "updated_at": timezone.now(),
    }
    if status:
        changes["status"] = status
    if response is not None:
        changes["response"] = response
    Inbound.objects.filter(pk=inbound_id).update(**changes)


# --- Bursts ------------------------------------------------------------------------


def _burst_note(inbound: Inbound) -> str:
    """Why this source host's mention is held, when its pages have mentioned more
    than BURST_POSTS different posts in BURST_WINDOW (empty otherwise)."""
    host = _host(inbound.source)
    since = timezone.now() - BURST_WINDOW
    rows = (
        Inbound.objects.filter(created_at__gte=since)
        .filter(Q(source__icontains=host))
        .values_list("source", "post_id")[:5000]
    )
    posts = {post for source, post in rows if _host(source) == host and post}
    if len(posts) <= BURST_POSTS:
        return ""
    minutes = int(BURST_WINDOW.total_seconds() // 60)
    return (
        f"held: pages on {host} mentioned {len(posts)} different posts in "
        f"{minutes} minutes (more than {BURST_POSTS} is a burst)"
    )


def _hold(response: Response, note: str) -> Response:
    """Into the moderation queue, with the reason beside the spam layers' ones."""
    return moderation.hold(response, reason=note, layer="crosstalk")


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _short(text: str) -> str:
    return text if len(text) <= REASON_MAX_CHARS else text[: REASON_MAX_CHARS - 1] + "…"
