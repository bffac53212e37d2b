"""Addresses reversed once per process (``blog.addresses``, issue #8): always what
``reverse()`` gives for the same arguments, whatever changed since."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.utils import timezone

from firsthand.blog import addresses, publishing
from firsthand.blog.models import Author, Page, Post


@pytest.fixture
def reversed_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names ``blog.addresses`` asks Django's ``reverse()`` for, none kept."""
    calls: list[str] = []

    def counting(name: str, *args: object, **kwargs: object) -> str:
        calls.append(name)
        return reverse(name, *args, **kwargs)  # type: ignore[arg-type]

    addresses._reversed.cache_clear()
    monkeypatch.setattr(addresses, "reverse", counting)
    yield calls
    addresses._reversed.cache_clear()


def test_an_address_is_what_reverse_gives() -> None:
    assert addresses.address("blog:tag", slug="frames") == reverse(
        "blog:tag", kwargs={"slug": "frames"}
    )
    dated: dict[str, str | int] = {"year": 2026, "month": 7, "day": 2, "slug": "prices"}
    assert addresses.address("blog:post", **dated) == reverse("blog:post", kwargs=dated)


def test_an_address_is_reversed_once(reversed_calls: list[str]) -> None:
    for _ in range(3):
        addresses.address("blog:author", slug="ada")
    addresses.address("blog:author", slug="bob")
    assert reversed_calls == ["blog:author", "blog:author"]


@pytest.mark.django_db
def test_a_post_s_address_follows_its_slug_and_date(
    make_post: Callable[..., Post],
) -> None:
    post = make_post("Prices", days_ago=3)
    before = post.get_absolute_url()
    assert before == reverse("blog:post", kwargs=_dated(post))
    # The same object, changed within one request (an editor's preview, a save):
    # its address is asked for again, never the one kept for the old values.
    post.slug = "prices-online"
    assert post.get_absolute_url() == reverse("blog:post", kwargs=_dated(post))
    assert post.get_absolute_url() != before
    assert post.published_at is not None
    post.published_at -= datetime.timedelta(days=2)
    assert post.get_absolute_url() == reverse("blog:post", kwargs=_dated(post))
    assert "prices-online" in post.get_absolute_url()


@pytest.mark.django_db
def test_a_page_s_address_follows_its_parent(ada: Author) -> None:
    about = publishing.publish_page(Page(title="About", body="A page.", author=ada))
    team = publishing.publish_page(
        Page(title="Team", body="Who.", author=ada, parent=about)
    )
    assert team.get_absolute_url() == reverse(
        "blog:page", kwargs={"path": "about/team"}
    )
    about.slug = "us"
    assert team.parent is about
    assert team.get_absolute_url() == reverse("blog:page", kwargs={"path": "us/team"})


def test_the_script_prefix_is_part_of_an_address() -> None:
    """A site served below a path (``SCRIPT_NAME``) gets its own addresses."""
    at_root = addresses.address("blog:tag", slug="frames")
    prefix = get_script_prefix()
    try:
        set_script_prefix("/blog/")
        below = addresses.address("blog:tag", slug="frames")
        assert below == reverse("blog:tag", kwargs={"slug": "frames"})
    finally:
        set_script_prefix(prefix)
    assert below == f"/blog{at_root}"
    assert addresses.address("blog:tag", slug="frames") == at_root


@pytest.mark.django_db
def test_a_second_reader_of_an_article_reverses_nothing_again(
    client: Client, make_post: Callable[..., Post], reversed_calls: list[str]
) -> None:
    make_post("Older", days_ago=3)
    post = make_post("Middle", days_ago=2)
    post.tags.set([publishing.tag_named("frames"), publishing.tag_named("prices")])
    make_post("Newer", days_ago=1)
    url = post.get_absolute_url()
    assert client.get(url).status_code == 200
    first = len(reversed_calls)
    assert first > 0
    assert client.get(url).status_code == 200
    assert len(reversed_calls) == first


def _dated(post: Post) -> dict[str, int | str]:
    assert post.published_at is not None
    day = timezone.localtime(post.published_at).date()
    return {"year": day.year, "month": day.month, "day": day.day, "slug": post.slug}
