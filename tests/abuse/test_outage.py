"""With the shared guard cache down (Redis refusing), a comment is neither lost nor
published unchecked, and nothing answers 500 (plan §3.1 D29)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from tests.conversation.forms import form, respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(guard_down: None) -> Iterator[None]:
    with override_settings(FIRSTHAND_FLOOD_INTERVAL=15, FIRSTHAND_FLOOD_PER_HOUR=30):
        yield


def test_a_comment_is_kept_held_and_logged_when_flood_control_is_down(
    redis_down: None, client: Client, post: Post, caplog: pytest.LogCaptureFixture
) -> None:
    typed = form(post, body="Prices online, *always*.")
    answer = client.post(respond(post), typed)
    assert answer.status_code == 302
    stored = Response.objects.get()
    assert stored.body == typed["body"]
    assert stored.status == Response.Status.PENDING
    assert stored.number is None
    assert any("flood control unavailable" in v["reasons"] for v in stored.reasons)
    assert "guard cache unavailable" in caplog.text
    # Readers do not see it; its writer does, as with any held comment.
    reader = Client().get(post.get_absolute_url())
    assert reader.status_code == 200
    assert "Prices online" not in reader.content.decode()
    writer = client.get(post.get_absolute_url())
    assert "Prices online" in writer.content.decode()


def test_spam_stays_spam_when_flood_control_is_down(
    redis_down: None, client: Client, post: Post
) -> None:
    assert client.post(
        respond(post), form(post, leave_blank="I am a bot")
    ).status_code in {
        302,
        400,
    }
    assert not Response.objects.exclude(status=Response.Status.SPAM).exists()


def test_other_limited_endpoints_answer_503_not_500(
    redis_down: None, client: Client, post: Post
) -> None:
    assert post.published_at is not None
    day = post.published_at
    url = reverse(
        "blog:addressee",
        kwargs={
            "year": day.year,
            "month": day.month,
            "day": day.day,
            "slug": post.slug,
        },
    )
    answer = client.get(url, {"body": "@Ada thanks"})
    # Not a "too many" the reader did not earn: the counters are away, so "not now".
    assert answer.status_code == 503
    assert answer["Retry-After"].isdigit()
    assert int(answer["Retry-After"]) > 0
