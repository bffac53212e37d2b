"""The hub's outbound work, run by ``firsthand worker``: confirm what subscribers
asked for, and push them a feed when it changes (W3C WebSub sections 5.3 and 7).

Every request goes through ``crosstalk.fetch`` (the SSRF guard). Nothing here
enqueues tasks: ``tasks.py`` schedules, this module does one job and reports how it
went, so a retry is the task layer's decision made from that report.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import Resolver404, ResolverMatch, resolve, reverse
from django.utils import timezone

from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from firsthand.crosstalk.fetch import FetchError, FetchResult, fetch
from firsthand.syndication import topics
from firsthand.syndication.models import Subscription

logger = logging.getLogger(__name__)

VERIFY_TIMEOUT = 10.0
VERIFY_MAX_BYTES = 4096  # the answer is the challenge: 43 characters
DELIVERY_TIMEOUT = 15.0
# Seconds to wait after failed attempt 1, 2, …; after the last one the hub gives up
# on that update (the subscription stays: section 7 says keep it to the lease's end).
BACKOFF = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1


@dataclasses.dataclass(frozen=True)
class Rendered:
    content: bytes
    content_type: str


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one delivery attempt went. ``retry_at`` is set when it should be tried
    again; ``error`` when it failed."""

    result: str
    retry_at: datetime.datetime | None = None
    error: str = ""


# --- Feeds -----------------------------------------------------------------------


def feed_match(path: str) -> ResolverMatch | None:
    """The URL match of one of the site's feeds at ``path`` (None: not a feed)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.namespace != "syndication" or match.url_name == "websub-hub":
        return None
    return match


def base_for(topic_url: str) -> str:
    """The address pushes use for absolute links: FIRSTHAND_SITE_URL, else the
    origin the subscriber used for the topic (its host passed ALLOWED_HOSTS)."""
    configured: str = settings.FIRSTHAND_SITE_URL
    if configured:
        return configured
    parts = urlsplit(topic_url)
    return f"{parts.scheme}://{parts.netloc}"


def render_topic(path: str, base: str) -> Rendered | None:
    """The feed at ``path`` exactly as a reader gets it now (None: no such feed).

    Runs the feed's own view on a GET built for the site's host, so a push carries
    the same bytes, cache and all, as a reader's request.
    """
    match = feed_match(path)
    if match is None:
        return None
    parts = urlsplit(base)
    request = RequestFactory().get(
        path, HTTP_HOST=parts.netloc, secure=parts.scheme == "https"
    )
    request.user = AnonymousUser()
    try:
        response = match.func(request, *match.args, **match.kwargs)
    except Http404:
        return None
    if not isinstance(response, HttpResponse) or response.status_code != 200:
        return None
    return Rendered(content=response.content, content_type=response["Content-Type"])


def topics_for_post(post_id: int) -> list[str]:
    """The feeds a newly public post changed (none if it is no longer public)."""
    post = Post.objects.published().select_related("author").filter(pk=post_id).first()
    return topics.for_post(post) if post is not None else []


def topics_for_response(response_id: int) -> list[str]:
    """The feeds a newly visible response changed (none if it is held, spam,
    removed, or under a post that is not public)."""
    response = (
        Response.objects.visible()
        .filter(pk=response_id, post__in=Post.everything.published())
        .select_related("post")
        .first()
    )
    return topics.for_response(response.post) if response is not None else []


# --- Subscriptions ---------------------------------------------------------------


def expire_leases() -> int:
    """Mark verified subscriptions past their lease expired (section 5.3.1: hubs
    MUST enforce lease expirations). Their secret is dropped: a renewal sends one."""
    return Subscription.objects.lapsed().update(
        status=Subscription.Status.EXPIRED, secret="", updated_at=timezone.now()
    )


def subscribers_of(topic_paths: Iterable[str]) -> list[tuple[int, str]]:
    """(subscription id, topic path) for every active subscription to these feeds."""
    expire_leases()
    return list(
        Subscription.objects.active()
        .filter(topic_path__in=list(topic_paths))
        .order_by("pk")
        .values_list("pk", "topic_path")
    )


def verify(subscription_id: int) -> str:
    """Ask the callback to confirm the pending request (section 5.3), then apply it.

    The subscriber confirms by answering 2xx with the challenge as the body; any
    other answer, a redirect included, is a refusal. A refusal leaves an active
    subscription as it was (section 5.1); a subscription never confirmed fails.
    """
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or not subscription.requested_mode:
        return "nothing to verify"
    asked_at = subscription.requested_at
    mode = subscription.requested_mode
    subscribing = mode == Subscription.Mode.SUBSCRIBE
    lease = subscription.requested_lease_seconds or 0
    base = base_for(subscription.topic)
    if subscribing and render_topic(subscription.topic_path, base) is None:
        return _deny(subscription, "the feed no longer exists")

    challenge = secrets.token_urlsafe(32)
    params = {
        "hub.mode": mode,
        "hub.topic": subscription.topic,
        "hub.challenge": challenge,
    }
    if subscribing:
        params["hub.lease_seconds"] = str(lease)
    started = timezone.now()  # the lease counts from the verification request
    try:
        answer = fetch(
            "GET",
            with_query(subscription.callback, params),
            timeout=VERIFY_TIMEOUT,
            max_bytes=VERIFY_MAX_BYTES,
            max_redirects=0,
        )
        # Surrounding whitespace is forgiven (an echo adding a newline); nothing else.
        confirmed = answer.ok and answer.content.strip() == challenge.encode()
        problem = "" if confirmed else _refusal(answer)
    except FetchError as error:
        confirmed, problem = False, error.reason

    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        if subscription.requested_at != asked_at:
            return "superseded by a newer request"  # whose own task verifies it
        secret = subscription.requested_secret
        _clear_request(subscription)
        if not confirmed:
            if subscription.status == Subscription.Status.PENDING:
                subscription.status = Subscription.Status.FAILED
            subscription.last_error = _short(f"{mode} not confirmed: {problem}")
            subscription.save()
            logger.info("WebSub %s not confirmed for %s", mode, subscription)
            return f"not confirmed: {problem}"
        if subscribing:
            subscription.status = Subscription.Status.VERIFIED
            subscription.secret = secret
            subscription.lease_seconds = lease
            subscription.expires_at = started + datetime.timedelta(seconds=lease)
            subscription.verified_at = timezone.now()
            subscription.failure_count = 0
        else:
            subscription.status = Subscription.Status.ENDED
            subscription.secret = ""
            subscription.expires_at = None
        subscription.last_error = ""
        subscription.save()
    return f"{mode} confirmed"


def deliver(subscription_id: int, topic_path: str, attempt: int) -> Outcome:
    """POST the feed's current content to one subscriber (section 7).

    2xx is delivered; 410 Gone ends the subscription; anything else, or no answer,
    is a failure to retry after ``BACKOFF[attempt - 1]`` seconds, until
    ``MAX_ATTEMPTS``. An address the guard refuses is not retried.
    """
    subscription = (
        Subscription.objects.active()
        .filter(pk=subscription_id, topic_path=topic_path)
        .first()
    )
    if subscription is None:
        return Outcome("skipped: not an active subscription")
    base = base_for(subscription.topic)
    rendered = render_topic(topic_path, base)
    if rendered is None:
        return Outcome("skipped: the feed is gone")
    hub = base + reverse("syndication:websub-hub")
    headers = {
        "Content-Type": rendered.content_type,
        # Both links in one header, as section 7 recommends.
        "Link": f'<{hub}>; rel="hub", <{base}{topic_path}>; rel="self"',
    }
    if subscription.secret:
        headers["X-Hub-Signature"] = signature(subscription.secret, rendered.content)
    try:
        answer = fetch(
            "POST",
            subscription.callback,
            data=rendered.content,
            headers=headers,
            timeout=DELIVERY_TIMEOUT,
            read_body=False,  # section 7: the hub MUST ignore the response body
        )
    except FetchError as error:
        return _failed(subscription_id, attempt, error.reason, final=error.refused)
    if answer.ok:
        _record(subscription_id, delivery=Subscription.Delivery.DELIVERED, error="")
        return Outcome("delivered")
    if answer.status_code == 410:
        _record(
            subscription_id,
            status=Subscription.Status.ENDED,
            error="the callback answered 410 Gone",
        )
        return Outcome("ended: the callback answered 410 Gone")
    return _failed(
        subscription_id, attempt, f"the callback answered {answer.status_code}"
    )


def signature(secret: str, body: bytes) -> str:
    """``X-Hub-Signature`` (section 7.1): HMAC of the body keyed with the secret.
    SHA-256, the minimum section 8.3 recommends."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def with_query(callback: str, params: dict[str, str]) -> str:
    """The callback with ``params`` appended after its own query (section 5.1.1:
    keep the subscriber's parameters, join with ``&``)."""
    joiner = (
        "&" if urlsplit(callback).query else ("" if callback.endswith("?") else "?")
    )
    return f"{callback}{joiner}{urlencode(params)}"


# --- Helpers -----------------------------------------------------------------------


def _deny(subscription: Subscription, reason: str) -> str:
    """Refuse the subscription and tell the callback (section 5.2)."""
    try:
        fetch(
            "GET",
            with_query(
                subscription.callback,
                {
                    "hub.mode": "denied",
                    "hub.topic": subscription.topic,
                    "hub.reason": reason,
                },
            ),
            timeout=VERIFY_TIMEOUT,
            max_bytes=VERIFY_MAX_BYTES,
            max_redirects=0,
        )
    except FetchError as error:
        logger.info("Could not tell %s it was denied: %s", subscription, error.reason)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        _clear_request(subscription)
        subscription.status = Subscription.Status.DENIED
        subscription.secret = ""
        subscription.last_error = _short(f"denied: {reason}")
        subscription.save()
    return f"denied: {reason}"


def _clear_request(subscription: Subscription) -> None:
    subscription.requested_mode = ""
    subscription.requested_secret = ""
    subscription.requested_lease_seconds = None
    subscription.requested_at = None


def _failed(
    subscription_id: int, attempt: int, error: str, *, final: bool = False
) -> Outcome:
    if final or attempt >= MAX_ATTEMPTS:
        _record(
            subscription_id,
            delivery=Subscription.Delivery.GAVE_UP,
            error=error,
            failed=True,
        )
        logger.warning(
            "WebSub delivery to subscription %s given up: %s", subscription_id, error
        )
        return Outcome("gave up", error=error)
    retry_at = timezone.now() + datetime.timedelta(seconds=BACKOFF[attempt - 1])
    _record(
        subscription_id,
        delivery=Subscription.Delivery.RETRYING,
        error=error,
        failed=True,
    )
    return Outcome("retrying", retry_at=retry_at, error=error)


def _record(
    subscription_id: int,
    *,
    error: str,
    delivery: str = "",
    status: str = "",
    failed: bool = False,
) -> None:
    """One UPDATE: concurrent deliveries to one subscriber never lose a count."""
    now = timezone.now()
    changes: dict[str, object] = {"last_error": _short(error), "updated_at": now}
    if delivery:
        changes["delivery"] = delivery
        changes["last_delivery_at"] = now
        changes["failure_count"] = F("failure_count") + 1 if failed else 0
    if status:
        changes["status"] = status
        changes["secret"] = ""
    Subscription.objects.filter(pk=subscription_id).update(**changes)


def _refusal(answer: FetchResult) -> str:
    if not answer.ok:
        return f"the callback answered {answer.status_code}"
    return "the callback did not echo the challenge"


def _short(text: str) -> str:
    return text if len(text) <= 500 else text[:499] + "…"
