"""Firsthand as its own WebSub hub, against real subscribers on loopback.

Each subscriber is an HTTP server on 127.0.0.1 that echoes the challenge (or not)
and records every push; FIRSTHAND_FETCH_ALLOW names exactly its host:port, and a
socket guard refuses any other connection. Most tests run tasks with the immediate
backend; the worker tests use the production database backend and
``firsthand worker --batch``.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import json
import signal
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import feedparser  # type: ignore[import-untyped]
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from firsthand.blog import publishing
from firsthand.blog.models import Post
from firsthand.compat import task_backends
from firsthand.conversation import moderation
from firsthand.conversation.models import Response
from firsthand.syndication import push, tasks, topics, websub
from firsthand.syndication.management.commands.worker import Command as Worker
from firsthand.syndication.models import Subscription
from tests.loopback import LoopbackServer, Seen, SocketGuard, Subscriber

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_minute")]

SITE = "http://testserver"
POSTS_ATOM = SITE + "/feeds/posts.atom"
POSTS_JSON = SITE + "/feeds/posts.json"
COMMENTS_RSS = SITE + "/feeds/comments.rss"
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}


@dataclasses.dataclass
class Callback:
    """A subscriber's server, seen from the test."""

    server: LoopbackServer
    subscriber: Subscriber

    def url(self, path: str = "/hook") -> str:
        return self.server.url(path)

    @property
    def verifications(self) -> list[Seen]:
        return [seen for seen in self.server.seen if seen.method == "GET"]

    @property
    def deliveries(self) -> list[Seen]:
        return [seen for seen in self.server.seen if seen.method == "POST"]

    def deliveries_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.deliveries if seen.path == path]


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> SocketGuard:
    guard = SocketGuard()
    guard.install(monkeypatch.setattr)
    return guard


@pytest.fixture
def callback(guard: SocketGuard, settings: Settings) -> Iterator[Callback]:
    subscriber = Subscriber()
    with LoopbackServer(subscriber) as server:
        guard.allow(server)
        settings.FIRSTHAND_FETCH_ALLOW = [server.host_port]
        yield Callback(server, subscriber)
    assert guard.blocked == []


Hub = Callable[..., "Page"]


@pytest.fixture
def hub(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> Hub:
    """POST ``hub.<name>`` fields to the hub; work queued after commit runs at once."""

    def send(address: str = "127.0.0.1", **fields: str) -> Page:
        with django_capture_on_commit_callbacks(execute=True):
            reply = client.post(
                reverse("syndication:websub-hub"),
                {f"hub.{name}": value for name, value in fields.items()},
                REMOTE_ADDR=address,
            )
        return reply

    return send


@pytest.fixture
def on_commit(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> Callable[[], Any]:
    """``with on_commit():`` runs what the block queued for after commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def subscribe(hub: Hub, callback: str, topic: str, **extra: str) -> Subscription:
    reply = hub(mode="subscribe", callback=callback, topic=topic, **extra)
    assert reply.status_code == 202, reply.content
    return Subscription.objects.get(callback=callback)


def post_feed(post: Post, fmt: str) -> str:
    kwargs = topics.post_date_kwargs(post)
    return SITE + reverse(f"syndication:post-responses-{fmt}", kwargs=kwargs)


def titles(body: bytes) -> list[str]:
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    return [entry.title for entry in feed.entries]


# --- Subscribing -------------------------------------------------------------------


def test_a_subscription_is_verified_with_a_challenge(
    hub: Hub, callback: Callback
) -> None:
    before = timezone.now()
    subscription = subscribe(hub, callback.url(), POSTS_ATOM)
    (asked,) = callback.verifications
    assert asked.query["hub.mode"] == "subscribe"
    assert asked.query["hub.topic"] == POSTS_ATOM
    assert asked.query["hub.lease_seconds"] == str(websub.DEFAULT_LEASE)
    assert len(asked.query["hub.challenge"]) >= 32
    assert subscription.status == Subscription.Status.VERIFIED
    assert subscription.topic_path == "/feeds/posts.atom"
    assert subscription.lease_seconds == 10 * 24 * 3600
    assert subscription.expires_at is not None
    lease = subscription.expires_at - before
    assert datetime.timedelta(days=10) <= lease < datetime.timedelta(days=10, seconds=5)
    assert subscription.requested_mode == ""
    assert callback.deliveries == []


def test_the_callbacks_own_query_string_is_kept(hub: Hub, callback: Callback) -> None:
    subscribe(hub, callback.url("/hook?user=7&hub.mode=mine"), POSTS_ATOM)
    (asked,) = callback.verifications
    assert asked.query["user"] == "7"
    # Section 5.1.1: existing parameters are not overwritten, ours come after.
    assert asked.query["hub.challenge"]


@pytest.mark.parametrize(
    ("asked", "granted"),
    [("60", websub.MIN_LEASE), ("999999999", websub.MAX_LEASE), ("7200", 7200)],
)
def test_the_lease_stays_between_an_hour_and_thirty_days(
    hub: Hub, callback: Callback, asked: str, granted: int
) -> None:
    subscription = subscribe(hub, callback.url(), POSTS_ATOM, lease_seconds=asked)
    assert subscription.lease_seconds == granted
    assert callback.verifications[0].query["hub.lease_seconds"] == str(granted)


@pytest.mark.parametrize("answer", ["wrong", "refuse"])
def test_a_callback_that_does_not_echo_the_challenge_is_not_subscribed(
    hub: Hub,
    callback: Callback,
    make_post: Callable[..., Post],
    on_commit: Any,
    answer: str,
) -> None:
    callback.subscriber.verification = answer
    subscription = subscribe(hub, callback.url(), POSTS_ATOM)
    assert subscription.status == Subscription.Status.FAILED
    assert "not confirmed" in subscription.last_error
    with on_commit():
        make_post("Nobody asked for this")
    assert callback.deliveries == []


def test_a_failed_renewal_leaves_the_subscription_as_it_was(
    hub: Hub, callback: Callback
) -> None:
    """Section 5.1: the state changes only once the new request is verified."""
    first = subscribe(hub, callback.url(), POSTS_ATOM, secret="first secret")
    callback.subscriber.verification = "refuse"
    again = subscribe(hub, callback.url(), POSTS_ATOM, secret="second secret")
    assert again.pk == first.pk
    assert again.status == Subscription.Status.VERIFIED
    assert again.secret == "first secret"
    assert again.expires_at == first.expires_at
    assert "answered 404" in again.last_error


def test_a_renewal_extends_the_lease(hub: Hub, callback: Callback) -> None:
    first = subscribe(hub, callback.url(), POSTS_ATOM)
    assert first.expires_at is not None
    with time_machine.travel(timezone.now() + datetime.timedelta(days=9)):
        renewed = subscribe(hub, callback.url(), POSTS_ATOM)
    assert renewed.expires_at is not None
    assert renewed.expires_at - first.expires_at >= datetime.timedelta(days=9)


def test_unsubscribing_is_verified_too_and_ends_the_pushes(
    hub: Hub, callback: Callback, make_post: Callable[..., Post], on_commit: Any
) -> None:
    subscribe(hub, callback.url(), POSTS_ATOM, secret="s3cret")
    reply = hub(mode="unsubscribe", callback=callback.url(), topic=POSTS_ATOM)
    assert reply.status_code == 202
    asked = callback.verifications[-1]
    assert asked.query["hub.mode"] == "unsubscribe"
    assert "hub.lease_seconds" not in asked.query
    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.ENDED
    assert subscription.secret == ""
    with on_commit():
        make_post("After the goodbye")
    assert callback.deliveries == []


def test_unsubscribing_what_was_never_subscribed_asks_nobody(
    hub: Hub, callback: Callback
) -> None:
    reply = hub(mode="unsubscribe", callback=callback.url(), topic=POSTS_ATOM)
    assert reply.status_code == 202  # the answer does not say who is subscribed
    assert callback.server.hits == 0
    assert not Subscription.objects.exists()


def test_a_feed_gone_before_verification_is_denied(
    callback: Callback, post: Post, on_commit: Any
) -> None:
    """Section 5.2: the hub tells the callback with hub.mode=denied."""
    topic = post_feed(post, "atom")
    with on_commit():
        websub.request_subscription(callback.url(), topic, "subscribe")
        publishing.unpublish_post(post)
    (told,) = callback.verifications
    assert told.query["hub.mode"] == "denied"
    assert told.query["hub.topic"] == topic
    assert told.query["hub.reason"]
    assert Subscription.objects.get().status == Subscription.Status.DENIED


# --- Pushing -----------------------------------------------------------------------


def test_a_new_post_is_pushed_to_the_posts_feeds_signed_with_the_secret(
    hub: Hub, callback: Callback, make_post: Callable[..., Post], on_commit: Any
) -> None:
    subscribe(hub, callback.url("/atom"), POSTS_ATOM, secret="a shared secret")
    subscribe(hub, callback.url("/json"), POSTS_JSON)
    with on_commit():
        make_post("Frames in winter")

    (atom,) = callback.deliveries_to("/atom")
    assert atom.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert "Frames in winter" in titles(atom.body)
    assert atom.headers["link"] == (
        f'<{SITE}/websub/>; rel="hub", <{POSTS_ATOM}>; rel="self"'
    )
    expected = hmac.new(b"a shared secret", atom.body, hashlib.sha256).hexdigest()
    assert atom.headers["x-hub-signature"] == f"sha256={expected}"

    (feed,) = callback.deliveries_to("/json")
    assert feed.headers["content-type"].startswith("application/feed+json")
    assert "x-hub-signature" not in feed.headers  # no secret, no signature
    items = json.loads(feed.body)["items"]
    assert items[0]["title"] == "Frames in winter"

    for subscription in Subscription.objects.all():
        assert subscription.delivery == Subscription.Delivery.DELIVERED
        assert subscription.last_delivery_at is not None


def test_a_post_is_pushed_to_its_tag_and_author_feeds(
    hub: Hub, callback: Callback, post: Post, on_commit: Any
) -> None:
    tag = publishing.tag_named("Framing")
    post.tags.add(tag)
    tag_feed = SITE + reverse("syndication:tag-rss", kwargs={"slug": tag.slug})
    author_feed = SITE + reverse(
        "syndication:author-atom", kwargs={"slug": post.author.slug}
    )
    subscribe(hub, callback.url("/tag"), tag_feed)
    subscribe(hub, callback.url("/author"), author_feed)
    with on_commit():
        later = Post(title="Mitred corners", body="Cut at 45°.", author=post.author)
        publishing.publish_post(later)
        later.tags.add(tag)
    assert "Mitred corners" in titles(callback.deliveries_to("/tag")[0].body)
    assert "Mitred corners" in titles(callback.deliveries_to("/author")[0].body)


def test_a_visible_response_is_pushed_to_the_comment_feeds_only(
    hub: Hub,
    callback: Callback,
    post: Post,
    comment_on: Callable[..., Response],
    on_commit: Any,
) -> None:
    subscribe(hub, callback.url("/thread"), post_feed(post, "atom"))
    subscribe(hub, callback.url("/all"), COMMENTS_RSS)
    subscribe(hub, callback.url("/posts"), POSTS_ATOM)
    with on_commit():
        response = comment_on(post, body="Prices online, always.")
    assert response.status == Response.Status.VISIBLE
    (thread,) = callback.deliveries_to("/thread")
    (everything,) = callback.deliveries_to("/all")
    assert callback.deliveries_to("/posts") == []
    for pushed in (thread, everything):
        entries = feedparser.parse(pushed.body).entries
        assert any("Prices online, always." in e.summary for e in entries)


def test_a_held_or_spam_response_pushes_nothing(
    hub: Hub,
    callback: Callback,
    post: Post,
    comment_on: Callable[..., Response],
    on_commit: Any,
) -> None:
    subscribe(hub, callback.url("/thread"), post_feed(post, "rss"))
    links = "See https://one.example/a and https://two.example/b for prices."
    with on_commit():
        held = comment_on(post, body=links)
    assert held.status == Response.Status.PENDING
    with on_commit():
        moderation.mark_spam(held)
    assert callback.deliveries == []
    with on_commit():
        second = comment_on(post, body=links.replace("prices", "frames"))
        moderation.approve(second)
    (pushed,) = callback.deliveries
    assert len(feedparser.parse(pushed.body).entries) == 1


def test_an_expired_lease_gets_no_push(
    hub: Hub, callback: Callback, make_post: Callable[..., Post], on_commit: Any
) -> None:
    subscription = subscribe(hub, callback.url(), POSTS_ATOM, lease_seconds="3600")
    with (
        time_machine.travel(timezone.now() + datetime.timedelta(hours=1, seconds=1)),
        on_commit(),
    ):
        make_post("Too late for this one")
    assert callback.deliveries == []
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.EXPIRED


def test_410_gone_ends_the_subscription(
    hub: Hub, callback: Callback, make_post: Callable[..., Post], on_commit: Any
) -> None:
    subscribe(hub, callback.url(), POSTS_ATOM)
    callback.subscriber.delivery_status = 410
    with on_commit():
        make_post("First after the callback went away")
    with on_commit():
        make_post("Second after the callback went away")
    assert len(callback.deliveries) == 1
    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.ENDED
    assert "410" in subscription.last_error


def test_after_the_last_attempt_the_update_is_given_up_but_not_the_subscription(
    hub: Hub, callback: Callback, on_commit: Any
) -> None:
    """Section 7: keep the subscription to the end of its lease; the next update
    is tried again."""
    subscription = subscribe(hub, callback.url(), POSTS_ATOM)
    callback.subscriber.delivery_status = 500
    tasks.deliver_task.enqueue(
        subscription.pk, subscription.topic_path, push.MAX_ATTEMPTS
    )
    subscription.refresh_from_db()
    assert subscription.delivery == Subscription.Delivery.GAVE_UP
    assert subscription.status == Subscription.Status.VERIFIED
    assert subscription.failure_count == 1
    assert "answered 500" in subscription.last_error


def test_a_feed_can_be_pushed_by_hand(hub: Hub, callback: Callback, post: Post) -> None:
    subscribe(hub, callback.url(), POSTS_ATOM)
    assert tasks.publish_topics_task.enqueue(["/feeds/posts.atom"]).return_value == 1
    assert post.title in titles(callback.deliveries[0].body)


# --- Bad requests ------------------------------------------------------------------

GOOD = {
    "mode": "subscribe",
    "callback": "https://reader.example/hook",
    "topic": POSTS_ATOM,
}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"mode": ""}, "hub.mode must be subscribe or unsubscribe"),
        ({"mode": "publish"}, "hub.mode=publish is not needed"),
        ({"callback": ""}, "hub.callback is missing"),
        ({"callback": "ftp://reader.example/hook"}, "must be an http or https URL"),
        ({"callback": "https://reader.example/" + "x" * 2000}, "longer than 2000"),
        ({"callback": "http://10.0.0.1/hook"}, "a private address"),
        ({"callback": "http://[::1]:8000/hook"}, "a loopback address"),
        ({"topic": ""}, "hub.topic is missing"),
        ({"topic": "https://elsewhere.example/feeds/posts.atom"}, "another site"),
        ({"topic": SITE + "/"}, "not one of this site's feeds"),
        ({"topic": SITE + "/websub/"}, "not one of this site's feeds"),
        ({"topic": POSTS_ATOM + "?page=2"}, "not one of this site's feeds"),
        ({"topic": SITE + "/tags/nothing/feed.rss"}, "There is no feed at"),
        ({"lease_seconds": "ten days"}, "positive whole number"),
        ({"lease_seconds": "0"}, "positive whole number"),
        ({"secret": "x" * 200}, "less than 200 bytes"),
    ],
)
def test_a_bad_request_gets_400_with_the_reason(
    hub: Hub, guard: SocketGuard, changes: dict[str, str], reason: str
) -> None:
    reply = hub(**{**GOOD, **changes})
    assert reply.status_code == 400
    assert reply["Content-Type"] == "text/plain; charset=utf-8"
    assert reason in reply.content.decode()
    assert not Subscription.objects.exists()
    assert guard.blocked == []


def test_get_explains_the_hub_with_405(client: Client) -> None:
    reply = client.get(reverse("syndication:websub-hub"))
    assert reply.status_code == 405
    assert reply["Allow"] == "POST"
    assert "hub.callback" in reply.content.decode()


def test_one_address_may_not_flood_the_hub(hub: Hub) -> None:
    for _ in range(websub.PER_ADDRESS_PER_MINUTE):
        assert hub(mode="").status_code == 400
    refused = hub(**GOOD)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"


def test_one_callback_host_may_not_be_named_too_often(hub: Hub) -> None:
    # Many clients, each well under its own ceiling, naming the same victim.
    for n in range(websub.PER_CALLBACK_HOST_PER_MINUTE):
        callback = f"https://victim.example/{n}"
        fields = {**GOOD, "callback": callback, "mode": "unsubscribe"}
        assert hub(f"198.51.100.{n}", **fields).status_code == 202
    fields = {**GOOD, "callback": "https://victim.example/x"}
    assert hub("203.0.113.9", **fields).status_code == 429
    fields = {
        **GOOD,
        "callback": "https://someone-else.example/x",
        "mode": "unsubscribe",
    }
    assert hub("203.0.113.9", **fields).status_code == 202


def test_the_hub_needs_no_csrf_token(callback: Callback) -> None:
    """Servers subscribe, not browsers (see the comment on the view)."""
    strict = Client(enforce_csrf_checks=True)
    fields = {"hub.mode": "unsubscribe", "hub.callback": callback.url()}
    reply = strict.post(
        reverse("syndication:websub-hub"), {**fields, "hub.topic": POSTS_ATOM}
    )
    assert reply.status_code == 202


# --- The worker, on the database backend -------------------------------------------


@pytest.fixture
def worker(settings: Settings) -> Iterator[Callable[[], None]]:
    """Jobs wait in the database until ``firsthand worker --batch`` runs them."""
    settings.TASKS = DATABASE_TASKS
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def run() -> None:
        call_command("worker", batch=True, verbosity=0)

    yield run
    for number, handler in handlers.items():  # db_worker installs its own
        signal.signal(number, handler)


def deliver_jobs() -> Any:
    return DBTaskResult.objects.filter(task_path=tasks.deliver_task.module_path)


@pytest.mark.django_db(transaction=True)
def test_the_worker_verifies_pushes_and_retries_later(
    client: Client,
    callback: Callback,
    make_post: Callable[..., Post],
    worker: Callable[[], None],
) -> None:
    reply = client.post(
        reverse("syndication:websub-hub"),
        {
            "hub.mode": "subscribe",
            "hub.callback": callback.url(),
            "hub.topic": POSTS_ATOM,
        },
    )
    assert reply.status_code == 202
    assert callback.server.hits == 0  # answered before anyone was called
    assert Subscription.objects.get().status == Subscription.Status.PENDING
    worker()
    subscription = Subscription.objects.get()
    assert subscription.status == Subscription.Status.VERIFIED

    callback.subscriber.delivery_status = 500
    make_post("Frames in spring")
    worker()
    failed = deliver_jobs().get(status="FAILED")
    assert "attempt 1: the callback answered 500" in failed.traceback
    retry = deliver_jobs().get(status="READY")
    assert retry.args_kwargs["args"] == [subscription.pk, "/feeds/posts.atom", 2]
    wait = retry.run_after - timezone.now()
    assert datetime.timedelta(seconds=50) < wait <= datetime.timedelta(seconds=60)
    subscription.refresh_from_db()
    assert subscription.delivery == Subscription.Delivery.RETRYING
    assert subscription.failure_count == 1

    callback.subscriber.delivery_status = 202
    worker()  # not due yet
    assert len(callback.deliveries) == 1
    with time_machine.travel(retry.run_after + datetime.timedelta(seconds=1)):
        worker()
    assert len(callback.deliveries) == 2
    assert "Frames in spring" in titles(callback.deliveries[-1].body)
    subscription.refresh_from_db()
    assert subscription.delivery == Subscription.Delivery.DELIVERED
    assert subscription.failure_count == 0
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_the_worker_needs_the_database_backend() -> None:
    assert type(task_backends["default"]).__name__ == "ImmediateBackend"
    with pytest.raises(CommandError, match="DatabaseBackend"):
        call_command("worker", batch=True)


def test_the_worker_explains_itself() -> None:
    text = Worker().create_parser("firsthand", "worker").format_help()
    assert "WebSub" in text
    assert "--batch" in text


def test_the_admin_lists_subscriptions_without_their_secrets(
    hub: Hub, callback: Callback, ada_client: Client
) -> None:
    subscription = subscribe(hub, callback.url(), POSTS_ATOM, secret="keep me")
    listing = ada_client.get("/admin/firsthand_syndication/subscription/")
    assert listing.status_code == 200
    assert callback.url() in listing.content.decode()
    page = ada_client.get(
        f"/admin/firsthand_syndication/subscription/{subscription.pk}/change/"
    )
    assert page.status_code == 200
    assert "keep me" not in page.content.decode()
