"""Receiving TrackBack pings (TrackBack Technical Specification 1.2).

The answer is XML, read here with defusedxml as a sender would, and compared field
by field: ``<error>0</error>``, or ``<error>1</error>`` with a ``<message>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from defusedxml.ElementTree import fromstring
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from firsthand.crosstalk.models import Inbound
from tests.crosstalk import receiving
from tests.crosstalk.receiving import SENDER_IP, Source, entry, target_of

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_minute")]

guard = receiving.guard
remote = receiving.remote

Ping = Callable[..., "Page"]


@pytest.fixture
def ping(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> Ping:
    def send(post_id: int, ip: str = SENDER_IP, **fields: str) -> Page:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("crosstalk:trackback", args=[post_id]), fields, REMOTE_ADDR=ip
            )

    return send


def read(answer: Any) -> tuple[str, str | None]:
    assert answer["Content-Type"] == "text/xml; charset=utf-8"
    root = fromstring(answer.content)
    assert root.tag == "response"
    message = root.find("message")
    return root.findtext("error", ""), (message.text if message is not None else None)


def test_a_trackback_is_accepted_verified_and_shown(
    remote: Source, post: Post, ping: Ping
) -> None:
    source = remote.page("/notes/1", entry(target_of(post)))
    answer = ping(
        post.pk,
        url=source,
        title="On <em>prices</em>",
        excerpt="Ada is right &amp; I said so.",
        blog_name="Bob's Notes",
    )
    assert answer.status_code == 200
    assert read(answer) == ("0", None)
    inbound = Inbound.objects.get()
    assert (inbound.protocol, inbound.status) == ("trackback", "accepted")
    assert inbound.target == target_of(post)
    assert inbound.raw == {
        "title": "On prices",
        "excerpt": "Ada is right & I said so.",
        "blog_name": "Bob's Notes",
    }
    response = Response.objects.get()
    assert response.status == Response.Status.VISIBLE
    assert (response.kind, response.source) == ("trackback", "trackback")
    assert response.author_name == "Bob's Notes"
    assert response.source_title == "On prices"
    assert response.body == "Ada is right & I said so."
    assert response.source_url == source


def test_without_an_excerpt_the_source_gives_one(
    remote: Source, post: Post, ping: Ping
) -> None:
    source = remote.page("/notes/1", entry(target_of(post)))
    ping(post.pk, url=source)
    response = Response.objects.get()
    assert response.body.startswith("[…] Some context first.")
    assert response.author_name == "Bob's Notes"  # og:site_name


def test_a_url_is_required(ping: Ping, post: Post) -> None:
    code, message = read(ping(post.pk, title="No url"))
    assert code == "1"
    assert message is not None
    assert "No url" in message
    assert not Inbound.objects.exists()


def test_a_page_that_does_not_link_is_not_shown(
    remote: Source, post: Post, ping: Ping
) -> None:
    source = remote.page("/notes/1", "<p>Unrelated.</p>")
    assert read(ping(post.pk, url=source, excerpt="Buy things")) == ("0", None)
    assert Inbound.objects.get().status == Inbound.Status.REJECTED
    assert not Response.objects.exists()


def test_the_same_trackback_twice_is_an_error(
    remote: Source, post: Post, ping: Ping
) -> None:
    source = remote.page("/notes/1", entry(target_of(post)))
    ping(post.pk, url=source)
    code, message = read(ping(post.pk, url=source))
    assert code == "1"
    assert message == "This trackback has already been registered."
    assert Response.objects.count() == 1


def test_closed_posts_and_switched_off_pings_are_errors(
    ping: Ping, make_post: Callable[..., Post], settings: Settings
) -> None:
    no_pings = make_post()
    no_pings.pings_open = False
    no_pings.save()
    draft = make_post(draft=True)
    open_post = make_post()
    url = "https://bob.example/1"
    assert read(ping(no_pings.pk, url=url)) == (
        "1",
        "This post does not take trackbacks.",
    )
    assert read(ping(draft.pk, url=url)) == (
        "1",
        "There is no post with this TrackBack ID.",
    )
    settings.FIRSTHAND_PINGS_ENABLED = False
    assert read(ping(open_post.pk, url=url)) == (
        "1",
        "Trackbacks are switched off on this site.",
    )
    assert not Inbound.objects.exists()


def test_a_source_on_a_private_address_is_never_fetched(
    guard: Any, post: Post, ping: Ping
) -> None:
    assert read(ping(post.pk, url="http://10.0.0.5/admin")) == ("0", None)
    inbound = Inbound.objects.get()
    assert inbound.status == Inbound.Status.REJECTED
    assert "private address" in inbound.reason
    assert guard.blocked == []


def test_get_is_refused_with_an_xml_error(client: Client, post: Post) -> None:
    answer = client.get(reverse("crosstalk:trackback", args=[post.pk]))
    assert answer.status_code == 405
    assert read(answer)[0] == "1"


def test_one_sender_is_rate_limited(ping: Ping, make_post: Callable[..., Post]) -> None:
    draft = make_post(draft=True)
    for _ in range(20):
        ping(draft.pk, url="https://bob.example/1")
    answer = ping(draft.pk, url="https://bob.example/1")
    assert answer.status_code == 429
    assert read(answer)[0] == "1"


def test_the_article_page_carries_the_trackback_discovery_block(
    client: Client, post: Post
) -> None:
    """TrackBack 1.2 auto-discovery: RDF inside an HTML comment."""
    page = client.get(post.get_absolute_url()).content.decode()
    comment = re.search(r"<!--\s*(<rdf:RDF.*?</rdf:RDF>)\s*-->", page, re.DOTALL)
    assert comment is not None
    rdf = fromstring(comment.group(1))
    (description,) = list(rdf)
    attributes = {key.split("}")[1]: value for key, value in description.items()}
    ping_url = "http://testserver" + reverse("crosstalk:trackback", args=[post.pk])
    assert attributes == {
        "about": target_of(post),
        "identifier": target_of(post),
        "title": post.title,
        "ping": ping_url,
    }
