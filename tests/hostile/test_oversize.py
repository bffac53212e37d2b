"""Requests too big to read, at every endpoint that takes a POST (plan §3.1 test
10): a clear 413 or 400 naming the limit, at once, nothing stored; and every
comment within the character limit fits within the byte limit, so no one who
typed an allowed comment meets the byte limit at all."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.test import Client
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation import tickets
from firsthand.conversation.models import Response
from firsthand.crosstalk.models import Inbound
from tests.conversation.test_views import form_data, respond_url

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def _endpoints(post: Post, response: Response) -> dict[str, str]:
    return {
        "comment form": respond_url(post),
        "webmention": reverse("crosstalk:webmention"),
        "trackback": reverse("crosstalk:trackback", args=[post.pk]),
        "websub hub": reverse("syndication:websub-hub"),
        "moderation, bulk": reverse("moderate:bulk"),
        "moderation, edit": reverse("moderate:edit", args=[response.pk]),
        # (A commenter's own edit answers 403 to anyone else before reading.)
        "privacy": reverse("privacy:about"),
        "admin login": "/admin/login/",
    }


def _send(client: Client, url: str, body: str, ticket: str) -> tuple[int, str, float]:
    client.cookies[tickets.COOKIE] = ticket
    started = time.monotonic()
    answer = client.post(url, body, content_type=FORM)
    return answer.status_code, answer.content.decode(), time.monotonic() - started


@pytest.fixture
def earlier(post: Post, comment_on: Callable[..., Response]) -> Response:
    """A comment already there, for the endpoints that act on one."""
    return comment_on(post, body="Framing is hard.")


def _unchanged(earlier: Response) -> None:
    assert list(Response.objects.values_list("pk", "body")) == [
        (earlier.pk, "Framing is hard.")
    ]


def test_a_body_over_the_limit_is_413_everywhere_and_nothing_is_stored(
    ada_client: Client, post: Post, earlier: Response
) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    typed = form_data(post, body="x" * limit)
    body = urlencode(typed)
    assert len(body) > limit
    for name, url in _endpoints(post, earlier).items():
        status, page, took = _send(ada_client, url, body, typed["ticket"])
        assert status == 413, (name, status)
        assert f"more than {limit // 1024} KiB" in page, name
        assert "still in your browser" in page, name
        assert took < 1, (name, took)
    _unchanged(earlier)
    assert not Inbound.objects.exists()


def test_too_many_fields_is_a_clear_400_everywhere(
    ada_client: Client, post: Post, earlier: Response
) -> None:
    typed = form_data(post)
    fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    body = urlencode(typed) + "".join(f"&f{n}=1" for n in range(fields + 1000))
    for name, url in _endpoints(post, earlier).items():
        status, page, _took = _send(ada_client, url, body, typed["ticket"])
        assert status == 400, (name, status)
        assert f"more than {fields} fields" in page, name
    _unchanged(earlier)


def test_a_malformed_request_still_gets_the_plain_bad_request_page(
    client: Client,
) -> None:
    answer = client.get("/", HTTP_HOST="bad host name")
    assert answer.status_code == 400
    assert "could not understand this request" in answer.content.decode()


def test_the_longest_allowed_comment_fits_in_the_byte_limit(
    client: Client, post: Post
) -> None:
    """20,000 four-byte characters, each sent as 12 bytes of %XX: under 512 KiB."""
    longest = "\U0001f9f5" * settings.FIRSTHAND_RESPONSE_MAX_CHARS
    typed = form_data(post, body=longest, author_name="\U0001f9f5" * 100)
    assert len(urlencode(typed)) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    answer = client.post(respond_url(post), typed)
    assert answer.status_code == 302
    assert Response.objects.get().body == longest


def test_one_character_over_comes_back_whole_with_the_limit(
    client: Client, post: Post
) -> None:
    over = "\U0001f9f5" * (settings.FIRSTHAND_RESPONSE_MAX_CHARS + 1)
    answer = client.post(respond_url(post), form_data(post, body=over))
    assert answer.status_code == 400
    soup = BeautifulSoup(answer.content, "html5lib")
    area = soup.find("textarea", {"name": "body"})
    assert area is not None
    assert area.text.strip("\n") == over
    assert "20,000" in soup.text
    assert not Response.objects.exists()
