"""Flood control, against the database cache and against Redis."""

from __future__ import annotations

import datetime
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import time_machine
from bs4 import BeautifulSoup
from django.test import Client, override_settings
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation import intake, tickets
from firsthand.conversation.models import Response
from tests.conftest import submission_for

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("FIRSTHAND_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


@pytest.fixture(params=["database", "redis"])
def guard_cache(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run each flood test on both shared caches a deployment can have."""
    backend: dict[str, Any]
    prefix = f"test-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    if request.param == "redis":
        if not _redis_available():
            if os.environ.get("CI"):
                pytest.fail(f"Redis is not reachable at {REDIS_URL}")
            pytest.skip(f"Redis is not reachable at {REDIS_URL}")
        backend = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    else:
        backend = {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "firsthand_guard_cache",
        }
    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "guard": backend,
        }
    ):
        yield request.param
    if request.param == "redis":
        # Only this test's keys: clear() would empty the whole Redis database,
        # under any other test or run sharing it.
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}:*", count=500):
            client.delete(key)


def tomorrow(hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A fixed clock time after the test post was published."""
    day = datetime.datetime.now(tz=datetime.UTC).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=datetime.UTC
    )


def comment(post: Post, n: int, **fields: object) -> Response:
    values: dict[str, object] = {
        "body": f"Thought number {n} on framing.",
        "ip_address": "198.51.100.7",
        "author_email": "bob@example.org",
    }
    values.update(fields)
    return intake.receive(submission_for(post, **values))


@override_settings(FIRSTHAND_FLOOD_INTERVAL=15, FIRSTHAND_FLOOD_PER_HOUR=30)
def test_a_second_comment_within_the_interval_is_refused_with_the_wait(
    guard_cache: str, post: Post
) -> None:
    start = tomorrow()
    with time_machine.travel(start, tick=False) as clock:
        comment(post, 1)
        clock.shift(5)
        with pytest.raises(intake.Rejected) as caught:
            comment(post, 2)
        assert "again in 10 seconds" in str(caught.value)
        clock.shift(10)
        comment(post, 3)
    assert Response.objects.count() == 2


@override_settings(FIRSTHAND_FLOOD_INTERVAL=15, FIRSTHAND_FLOOD_PER_HOUR=30)
def test_the_interval_applies_per_ip_and_per_email(
    guard_cache: str, post: Post
) -> None:
    with time_machine.travel(tomorrow()):
        comment(post, 1, ip_address="198.51.100.1", author_email="a@example.org")
        with pytest.raises(intake.Rejected):  # same IP, other email
            comment(post, 2, ip_address="198.51.100.1", author_email="b@example.org")
        with pytest.raises(intake.Rejected):  # same email, other IP
            comment(post, 3, ip_address="198.51.100.2", author_email="a@example.org")
        comment(post, 4, ip_address="198.51.100.3", author_email="c@example.org")


@override_settings(FIRSTHAND_FLOOD_INTERVAL=0, FIRSTHAND_FLOOD_PER_HOUR=3)
def test_the_hourly_ceiling_says_when_the_hour_resets(
    guard_cache: str, post: Post
) -> None:
    start = tomorrow(minute=40)
    with time_machine.travel(start, tick=False) as clock:
        for n in range(3):
            comment(post, n)
        with pytest.raises(intake.Rejected) as caught:
            comment(post, 9)
        assert "again in 20 minutes" in str(caught.value)
        clock.shift(20 * 60)
        comment(post, 10)


@override_settings(FIRSTHAND_FLOOD_INTERVAL=15, FIRSTHAND_FLOOD_PER_HOUR=30)
def test_refused_and_invalid_attempts_do_not_count(
    guard_cache: str, post: Post
) -> None:
    with pytest.raises(intake.Rejected):
        comment(post, 1, author_email="")  # invalid: not counted
    comment(post, 2)


@override_settings(FIRSTHAND_FLOOD_INTERVAL=15, FIRSTHAND_FLOOD_PER_HOUR=30)
def test_history_replays_are_never_rate_limited(
    guard_cache: str, post: Post, comment_on: Callable[..., Response]
) -> None:
    for n in range(5):
        comment(post, n, source="import", created_at=post.published_at)
    assert Response.objects.count() == 5


@override_settings(FIRSTHAND_FLOOD_INTERVAL=15, FIRSTHAND_FLOOD_PER_HOUR=30)
def test_a_flood_refusal_through_the_form_keeps_every_field(
    guard_cache: str, client: Client, post: Post
) -> None:
    def typed(body: str) -> dict[str, str]:
        return {
            "author_name": "Bob Reader",
            "author_email": "bob@example.org",
            "author_url": "https://bob.example.org",
            "author_title": "Reader",
            "body": body,
            "ticket": tickets.issue(now=time.time() - 30),
            "leave_blank": "",
        }

    url = reverse("conversation:respond", kwargs={"post_id": post.pk})
    assert client.post(url, typed("First thought on prices.")).status_code == 302
    second = typed("A second, quite different\nthought about frames.")
    reply = client.post(url, second)
    assert reply.status_code == 400
    soup = BeautifulSoup(reply.content, "html5lib")
    assert "You can post again in" in soup.select_one("[role=alert]").text  # type: ignore[union-attr]
    for name in ("author_name", "author_email", "author_url", "author_title"):
        assert soup.find("input", attrs={"name": name})["value"] == second[name]  # type: ignore[index]
    body = soup.find("textarea", attrs={"name": "body"})
    assert body is not None
    assert body.text.strip() == second["body"]
