"""The WebSub hub's front door: read a subscription request, store it, queue its
verification (W3C WebSub Recommendation, 2018, section 5.1).

Firsthand is the hub for its own feeds only. A request is checked at once (the
callback is a usable URL, the topic is one of our feeds) and answered 202; the
callback is asked to confirm later, in ``firsthand worker`` (``push.verify``), and
only then does anything change for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from urllib.parse import unquote, urldefrag, urlsplit

from django.conf import settings
from django.db import transaction
from django.http.request import split_domain_port, validate_host
from django.urls import reverse
from django.utils import timezone

from firsthand import ratelimit
from firsthand.crosstalk.fetch import refusal, wire_form
from firsthand.syndication import push, tasks
from firsthand.syndication.models import Subscription

DEFAULT_LEASE = 10 * 24 * 3600  # section 8.2: "10 days is a good default"
MIN_LEASE = 3600
MAX_LEASE = 30 * 24 * 3600
MAX_URL = 2000
# Requests one client address may make per minute, and requests naming one
# callback host: the hub must not become a way to make Firsthand call someone.
PER_ADDRESS_PER_MINUTE = 30
PER_CALLBACK_HOST_PER_MINUTE = 30


class BadHubRequest(Exception):
    """A request the hub refuses; ``reason`` is the plain-text answer (400)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class HubRequest:
    mode: str
    callback: str
    topic: str
    secret: str
    lease_seconds: int | None


def parse_request(form: Mapping[str, str]) -> HubRequest:
    """Read ``hub.*`` form fields; raise ``BadHubRequest`` saying what is wrong.

    Unknown parameters are ignored (section 5.1). ``hub.secret`` is accepted over
    plain HTTP too, though the spec says it SHOULD only come over HTTPS: refusing
    would not un-send it, and a site without TLS could offer no signed pushes.
    """
    mode = form.get("hub.mode", "").strip()
    if mode not in Subscription.Mode.values:
        if mode == "publish":
            raise BadHubRequest(
                "This hub serves only this site's own feeds and learns of new "
                "content by itself: hub.mode=publish is not needed."
            )
        raise BadHubRequest("hub.mode must be subscribe or unsubscribe.")
    callback = _callback(form.get("hub.callback", "").strip())
    topic = form.get("hub.topic", "").strip()
    path = topic_path_of(topic)
    if mode == Subscription.Mode.SUBSCRIBE and (
        push.render_topic(path, push.base_for(topic)) is None
    ):
        raise BadHubRequest(f"There is no feed at {topic}.")
    lease = _lease(form.get("hub.lease_seconds", "").strip())
    secret = form.get("hub.secret", "")
    if len(secret.encode()) >= 200:
        raise BadHubRequest("hub.secret must be less than 200 bytes (section 5.1).")
    return HubRequest(
        mode=mode, callback=callback, topic=topic, secret=secret, lease_seconds=lease
    )


def topic_path_of(topic_url: str) -> str:
    """The feed path a topic URL names, as ``reverse`` writes it; raise
    ``BadHubRequest`` unless its host is this site's and its path a feed's."""
    if not topic_url:
        raise BadHubRequest("hub.topic is missing: give the feed's URL.")
    if len(topic_url) > MAX_URL:
        raise BadHubRequest(f"hub.topic is longer than {MAX_URL} characters.")
    parts = urlsplit(topic_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BadHubRequest("hub.topic must be an http or https URL of a feed here.")
    domain, _port = split_domain_port(parts.netloc)
    if not domain or not validate_host(domain, _allowed_hosts()):
        raise BadHubRequest(
            "hub.topic names another site: this hub serves only its own feeds."
        )
    # Section 5.1.1: decode percent-encoded characters before matching.
    match = push.feed_match(unquote(parts.path))
    if match is None or parts.query:
        raise BadHubRequest(
            f"hub.topic is not one of this site's feeds: {topic_url} "
            "(use the rel=self URL the feed advertises)."
        )
    return reverse(
        f"syndication:{match.url_name}", args=match.args, kwargs=match.kwargs
    )


def within_limits(client_address: str | None) -> bool:
    """Count a request against its client address; False when over the ceiling."""
    return ratelimit.allow(f"websub:ip:{client_address}", PER_ADDRESS_PER_MINUTE)


def callback_within_limits(callback: str) -> bool:
    """Count a request against the host it would make Firsthand call."""
    host = (urlsplit(callback).hostname or "").lower()
    return ratelimit.allow(f"websub:callback:{host}", PER_CALLBACK_HOST_PER_MINUTE)


@transaction.atomic
def request_subscription(
    callback: str,
    topic_url: str,
    mode: str,
    secret: str = "",
    lease_seconds: int | None = None,
) -> Subscription | None:
    """Store a (un)subscription request and queue its verification after commit.

    The active state is untouched until the callback confirms (section 5.1). An
    unsubscription for something not subscribed is accepted and dropped: nothing
    to confirm, and the answer does not tell who is subscribed.
    """
    path = topic_path_of(topic_url)
    subscription = (
        Subscription.objects.select_for_update()
        .filter(callback=callback, topic_path=path)
        .first()
    )
    if mode == Subscription.Mode.UNSUBSCRIBE:
        if subscription is None or subscription.status not in {
            Subscription.Status.PENDING,
            Subscription.Status.VERIFIED,
        }:
            return None
    elif subscription is None:
        subscription, _created = Subscription.objects.get_or_create(
            callback=callback, topic_path=path, defaults={"topic": topic_url}
        )
    subscribing = mode == Subscription.Mode.SUBSCRIBE
    subscription.topic = topic_url
    subscription.requested_mode = mode
    subscription.requested_secret = secret if subscribing else ""
    subscription.requested_lease_seconds = lease(lease_seconds) if subscribing else None
    subscription.requested_at = timezone.now()
    subscription.save()
    subscription_id = subscription.pk
    transaction.on_commit(
        lambda: tasks.verify_subscription_task.enqueue(subscription_id)
    )
    return subscription


def lease(requested: int | None) -> int:
    """The lease the hub grants: the subscriber's wish within 1 hour and 30 days,
    10 days when it did not say (section 5.3.1: never perpetual)."""
    if requested is None:
        return DEFAULT_LEASE
    return max(MIN_LEASE, min(MAX_LEASE, requested))


def _callback(value: str) -> str:
    if not value:
        raise BadHubRequest("hub.callback is missing: give the URL to push to.")
    if len(value) > MAX_URL:
        raise BadHubRequest(f"hub.callback is longer than {MAX_URL} characters.")
    callback, _fragment = urldefrag(value)
    parts = urlsplit(callback)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BadHubRequest("hub.callback must be an http or https URL.")
    refused = refusal(callback)
    if refused:
        raise BadHubRequest(f"hub.callback cannot be used: {refused}.")
    # As it goes on the wire: IDN in punycode, other non-ASCII percent-encoded, so
    # the stored URL (and its unique index) stays short ASCII.
    callback = wire_form(callback)
    if len(callback) > MAX_URL:
        raise BadHubRequest(f"hub.callback is longer than {MAX_URL} characters.")
    return callback


def _lease(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) == 0:
        raise BadHubRequest("hub.lease_seconds must be a positive whole number.")
    return int(value)


def _allowed_hosts() -> list[str]:
    hosts: list[str] = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:  # what Django itself allows then
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts
