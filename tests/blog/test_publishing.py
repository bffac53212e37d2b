from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone

from firsthand.blog import publishing
from firsthand.blog.models import Author, Post
from firsthand.blog.rules import slug_for, unique_slug

pytestmark = pytest.mark.django_db


def test_saving_renders_markdown_once_and_derives_a_summary(ada: Author) -> None:
    post = publishing.save_post(
        Post(title="Offcuts", author=ada, body="We keep *every* offcut.\n\nSecond.")
    )
    post.refresh_from_db()
    assert post.body_html.startswith("<p>We keep <em>every</em> offcut.</p>")
    assert post.summary == "We keep every offcut. Second."
    assert post.status == Post.Status.DRAFT
    assert post.published_at is None


def test_an_explicit_excerpt_wins(ada: Author) -> None:
    post = publishing.save_post(
        Post(title="T", author=ada, body="Body text.", excerpt="Hand-written.")
    )
    assert post.summary == "Hand-written."


def test_slugs_are_made_from_titles_and_kept_unique(ada: Author) -> None:
    first = publishing.save_post(
        Post(title="Why we close on Mondays", author=ada, body=".")
    )
    second = publishing.save_post(
        Post(title="Why we close on Mondays", author=ada, body=".")
    )
    assert first.slug == "why-we-close-on-mondays"
    assert second.slug == "why-we-close-on-mondays-2"
    first.body = "Edited."
    assert publishing.save_post(first).slug == "why-we-close-on-mondays"


def test_publishing_sets_the_time_and_a_future_time_schedules(ada: Author) -> None:
    now_post = publishing.publish_post(Post(title="Now", author=ada, body="."))
    assert now_post.is_public
    later = timezone.now() + datetime.timedelta(days=3)
    scheduled = publishing.publish_post(
        Post(title="Later", author=ada, body="."), at=later
    )
    assert scheduled.status == Post.Status.PUBLISHED
    assert not scheduled.is_public
    assert list(Post.objects.published()) == [now_post]


def test_unpublishing_keeps_the_date(make_post: Callable[..., Post]) -> None:
    post = make_post("Going back")
    when = post.published_at
    publishing.unpublish_post(post)
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert post.published_at == when
    assert not Post.objects.published().exists()


def test_titles_and_bodies_lose_xml_forbidden_characters(ada: Author) -> None:
    post = publishing.save_post(
        Post(title="Bad\x0b title\x00", author=ada, body="a\x1bb")
    )
    assert post.title == "Bad title"
    assert post.body == "ab"


def test_tags_are_found_case_insensitively(db: None) -> None:
    first = publishing.tag_named("Pricing")
    assert publishing.tag_named("pricing") == first
    assert publishing.tag_named("Café & Co").slug == "café-co"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("!!!", "post"),
        ("😀", "post"),
        ("Ça va", "ça-va"),
    ],
)
def test_slug_for(title: str, slug: str) -> None:
    assert slug_for(title) == slug


def test_unique_slug_respects_the_maximum_length() -> None:
    taken = {"a" * 10}
    assert unique_slug("a" * 10, taken.__contains__, max_length=10) == "a" * 8 + "-2"
