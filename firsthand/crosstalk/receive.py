"""Receiving pings: what the three endpoints do before they answer.

Each ``accept_*`` checks only what is cheap and local (the sender's rate, the URLs,
that the target is one of this site's public posts and open), stores the request
raw as an ``Inbound`` with status "received", and queues its verification after
commit (STYLE habit 5). Nothing here fetches anything: the source is fetched by the
worker (``verify``), so no request to an endpoint ever makes this server wait on,
or call, a third party while the sender waits (Webmention section 3.2.1: "SHOULD
queue and process the request asynchronously, to prevent DoS attacks").

Refusals carry the Pingback fault code that fits (``Refused.fault``), so the
pingback endpoint answers real faults and the others a 400 or a TrackBack error
with the same words.
"""

from __future__ import annotations

import datetime
import hashlib
import math
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import Http404, HttpRequest
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import timezone

from firsthand import ratelimit
from firsthand.blog.models import Post
from firsthand.blog.views import find_post
from firsthand.crosstalk.models import Inbound
from firsthand.crosstalk.protocols import pingback
from firsthand.crosstalk.protocols.webmention import normalized
from firsthand.crosstalk.tasks import verify_inbound_task
from firsthand.crosstalk.verify import is_ours
from firsthand.rendering import clean_text

SOURCE_MAX_CHARS = 1000  # a Response keeps a source URL of up to 1,000 characters
TARGET_MAX_CHARS = 2000
# Requests per minute one sender address may make, and requests per minute naming
# sources on one host (whoever sends them): the second bounds how often anyone
# can make this site fetch from one other site (docs/protocols/pingback.md).
PER_SENDER_PER_MINUTE = 20
PER_SOURCE_HOST_PER_MINUTE = 20
# One verification per (source, target) in this time: a repeat is answered from
# what is stored (or told to come back), never fetched again at once.
REPEAT_WINDOW = datetime.timedelta(minutes=1)


class Refused(Exception):
    """The request cannot be accepted; ``reason`` tells the sender what to fix and
    ``fault`` is the Pingback fault code for it."""

    def __init__(self, reason: str, fault: int = pingback.GENERIC) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fault = fault


class TooMany(Refused):
    """Over a rate limit: try again in ``retry_after`` seconds."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason, pingback.ACCESS_DENIED)
        self.retry_after = retry_after


def accept_webmention(
    source: str, target: str, remote_ip: str | None, *, site: str
) -> Inbound:
    """Check a Webmention (W3C Webmention section 3.2.1 "Request Verification"),
    store it and queue its verification; ``site`` is this site's origin
    (``site.site_url(request)``). A repeat of one still waiting is that one."""
    _limit_sender(remote_ip)
    source, target = _checked_urls(source, target)
    _limit_source_host(source)
    post = _target_post(target, site)
    _not_from_here(source, site)
    if not (post.is_public and post.comments_open):
        raise Refused("This post is closed to responses.", pingback.TARGET_INVALID)
    earlier = _latest(Inbound.Protocol.WEBMENTION, source, target)
    if earlier is not None and earlier.status == Inbound.Status.RECEIVED:
        return earlier  # its verification, still to come, will read the page then
    # An update sent soon after the last one (section 3.2.4) is kept and verified
    # when the window has passed; without a worker to wait, it is told to retry.
    when = _window_end(earlier)
    if when is not None and not verify_inbound_task.get_backend().supports_defer:
        _not_too_soon(earlier)
    return _store(
        Inbound.Protocol.WEBMENTION, source, target, post, remote_ip, {}, when
    )


def accept_pingback(
    source: str, target: str, remote_ip: str | None, *, site: str
) -> Inbound:
    """Check a ``pingback.ping`` (Pingback 1.0), store it and queue its verification.

    Faults: 32 no such post, 33 not a post of this site or closed to pings, 48
    already registered (waiting or accepted), 49 over a rate limit.
    """
    _limit_sender(remote_ip)
    source, target = _checked_urls(source, target, numbered=True)
    _limit_source_host(source)
    post = _target_post(target, site)
    _not_from_here(source, site)
    _open_to_pings(post, "Pingbacks")
    earlier = _latest(Inbound.Protocol.PINGBACK, source, target)
    _not_registered(earlier, "pingback")
    _not_too_soon(earlier)
    return _store(Inbound.Protocol.PINGBACK, source, target, post, remote_ip, {})


def accept_trackback(
    post_id: int,
    url: str,
    remote_ip: str | None,
    *,
    site: str,
    title: str = "",
    excerpt: str = "",
    blog_name: str = "",
) -> Inbound:
    """Check a TrackBack ping to post ``post_id``, store it with its fields and
    queue its verification (the page at ``url`` must link to the post)."""
    _limit_sender(remote_ip)
    post = Post.everything.published().filter(pk=post_id).first()
    if post is None:
        raise Refused(
            "There is no post with this TrackBack ID.", pingback.TARGET_NOT_FOUND
        )
    target = site.rstrip("/") + post.get_absolute_url()
    source, target = _checked_urls(url, target, numbered=True)
    _limit_source_host(source)
    _not_from_here(source, site)
    _open_to_pings(post, "Trackbacks")
    earlier = _latest(Inbound.Protocol.TRACKBACK, source, target)
    _not_registered(earlier, "trackback")
    _not_too_soon(earlier)
    # Cleaned as every stored text is (PostgreSQL cannot even hold a NUL: kept
    # raw, it was a 500 there); the ping's own words otherwise stay as sent.
    raw = {
        "title": clean_text(title),
        "excerpt": clean_text(excerpt),
        "blog_name": clean_text(blog_name),
    }
    return _store(Inbound.Protocol.TRACKBACK, source, target, post, remote_ip, raw)


# --- Checks ------------------------------------------------------------------------


def _checked_urls(
    source: str, target: str, *, numbered: bool = False
) -> tuple[str, str]:
    """Both URLs well-formed http(s), of usable length, and different (section
    3.2.1: "MUST reject the request if the source URL is the same as the target
    URL"). ``numbered``: faults 16 and 32 for a bad source or target (Pingback
    names them "does not exist"); for a Webmention they are all plain 400s."""
    source, target = source.strip(), target.strip()
    source_fault = pingback.SOURCE_NOT_FOUND if numbered else pingback.GENERIC
    target_fault = pingback.TARGET_NOT_FOUND if numbered else pingback.GENERIC
    if not source:
        raise Refused("The source URL is missing.", source_fault)
    if not target:
        raise Refused("The target URL is missing.", target_fault)
    for name, url, limit, fault in (
        ("source", source, SOURCE_MAX_CHARS, source_fault),
        ("target", target, TARGET_MAX_CHARS, target_fault),
    ):
        if len(url) > limit:
            raise Refused(f"The {name} URL is longer than {limit} characters.", fault)
        if not normalized(url):
            raise Refused(
                f"The {name} URL must be an http:// or https:// address with a host.",
                fault,
            )
    if normalized(source) == normalized(target):
        raise Refused("The source and the target are the same URL.")
    return source, target


def _target_post(target: str, site: str) -> Post:
    """The public post ``target`` names. Its host must be this site's; its path
    must be an article's permalink (a fragment, a query or a missing final slash
    are forgiven)."""
    if not is_ours(target, site):
        raise Refused(
            "The target is not on this site: send mentions of this site's posts "
            "to this endpoint.",
            pingback.TARGET_INVALID,
        )
    path = unquote(urlsplit(target).path) or "/"
    match = _resolve(path) or (None if path.endswith("/") else _resolve(path + "/"))
    if match is None or match.view_name in PAGE_VIEWS:
        # Pages' addresses catch every unknown path; pages take no mentions.
        raise Refused(
            "The target does not exist on this site.", pingback.TARGET_NOT_FOUND
        )
    if match.view_name not in {"blog:post", "blog:response"}:
        raise Refused(
            "The target is not a post: only posts take mentions.",
            pingback.TARGET_INVALID,
        )
    anonymous = HttpRequest()
    anonymous.user = AnonymousUser()
    kwargs = {k: v for k, v in match.kwargs.items() if k != "number"}
    try:
        # Drafts and scheduled posts do not exist for other sites.
        return find_post(anonymous, **kwargs)
    except Http404 as error:
        raise Refused(
            "The target does not exist on this site.", pingback.TARGET_NOT_FOUND
        ) from error


PAGE_VIEWS = {"blog:page", "blog:page-reply", "blog:page-response"}


def _resolve(path: str) -> ResolverMatch | None:
    try:
        return resolve(path)
    except Resolver404:
        return None


def _not_from_here(source: str, site: str) -> None:
    if is_ours(source, site):
        raise Refused(
            "The source is on this site: links between its own pages are not mentions.",
            pingback.ACCESS_DENIED,
        )


def _open_to_pings(post: Post, what: str) -> None:
    """FIRSTHAND_PINGS_ENABLED for the site, ``pings_open`` for the post, and the
    post open to responses at all (intake would refuse it later otherwise)."""
    if not settings.FIRSTHAND_PINGS_ENABLED:
        raise Refused(f"{what} are switched off on this site.", pingback.TARGET_INVALID)
    if not (post.is_public and post.pings_open and post.comments_open):
        raise Refused(
            f"This post does not take {what.lower()}.", pingback.TARGET_INVALID
        )


def _latest(protocol: str, source: str, target: str) -> Inbound | None:
    return (
        Inbound.objects.filter(protocol=protocol, source=source, target=target)
        .order_by("-created_at", "-pk")
        .first()
    )


def _not_registered(earlier: Inbound | None, what: str) -> None:
    """Pingback fault 0x0030: "The pingback has already been registered"; waiting
    for verification counts as registered too."""
    if earlier is not None and earlier.status in {
        Inbound.Status.RECEIVED,
        Inbound.Status.ACCEPTED,
    }:
        raise Refused(
            f"This {what} has already been registered.", pingback.ALREADY_REGISTERED
        )


def _window_end(earlier: Inbound | None) -> datetime.datetime | None:
    """When the pair may be fetched again, if that is still to come."""
    if earlier is None:
        return None
    end = earlier.created_at + REPEAT_WINDOW
    return end if end > timezone.now() else None


def _not_too_soon(earlier: Inbound | None) -> None:
    """At most one verification of a (source, target) pair per REPEAT_WINDOW."""
    end = _window_end(earlier)
    if earlier is not None and end is not None:
        seconds = math.ceil((end - timezone.now()).total_seconds())
        reason = earlier.reason or earlier.get_status_display()
        raise TooMany(
            f"This source was checked for this target moments ago ({reason}). "
            f"Send it again in {seconds} seconds.",
            seconds,
        )


# --- Rate limits (counted in the shared "guard" cache) -------------------------------


def _limit_sender(remote_ip: str | None) -> None:
    if not ratelimit.allow(
        f"crosstalk:ip:{remote_ip or 'unknown'}", PER_SENDER_PER_MINUTE
    ):
        raise TooMany(
            "Too many pings from your address in the last minute; try again shortly.",
            ratelimit.rest_of_window(),
        )


def _limit_source_host(source: str) -> None:
    host = (urlsplit(source).hostname or "").lower().rstrip(".")
    digest = hashlib.sha256(host.encode()).hexdigest()[:32]  # keys stay short
    if not ratelimit.allow(f"crosstalk:source:{digest}", PER_SOURCE_HOST_PER_MINUTE):
        raise TooMany(
            f"Too many pings naming pages on {host} in the last minute; "
            "try again shortly.",
            ratelimit.rest_of_window(),
        )


# --- Storing -----------------------------------------------------------------------


@transaction.atomic
def _store(
    protocol: str,
    source: str,
    target: str,
    post: Post,
    remote_ip: str | None,
    raw: dict[str, str],
    run_after: datetime.datetime | None = None,
) -> Inbound:
    """Store the ping and queue its verification after commit (at ``run_after``
    when given)."""
    inbound = Inbound.objects.create(
        protocol=protocol,
        source=source,
        target=target,
        post=post,
        raw=raw,
        remote_ip=remote_ip,
    )
    task = verify_inbound_task
    if run_after is not None:
        task = verify_inbound_task.using(run_after=run_after)
    transaction.on_commit(lambda: task.enqueue(inbound.pk, 1))
    return inbound
