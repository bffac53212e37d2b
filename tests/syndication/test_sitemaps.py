"""sitemap.xml: parsed, and compared entry by entry."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from xml.etree import ElementTree

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from firsthand.blog import publishing
from firsthand.blog.models import Post, Tag
from firsthand.syndication.structured_data import iso_time, modified_at

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def read_sitemap(client: Client, **extra: object) -> dict[str, str | None]:
    """Every ``<loc>`` of /sitemap.xml with its ``<lastmod>`` text (None if absent)."""
    reply = client.get("/sitemap.xml", **extra)  # type: ignore[arg-type]
    assert reply.status_code == 200
    assert reply["Content-Type"] == "application/xml"
    # Our own output, parsed only to check it: no untrusted XML here.
    root = ElementTree.fromstring(reply.content)  # noqa: S314
    assert root.tag == f"{{{NS['sm']}}}urlset"
    entries: dict[str, str | None] = {}
    for url in root.findall("sm:url", NS):
        loc = url.findtext("sm:loc", namespaces=NS)
        assert loc is not None
        assert loc not in entries, f"{loc} listed twice"
        entries[loc] = url.findtext("sm:lastmod", namespaces=NS)
    return entries


def at(path: str) -> str:
    return f"http://testserver{path}"


def tagged(post: Post, *names: str) -> Post:
    post.tags.add(*(publishing.tag_named(name) for name in names))
    return post


def test_lists_every_published_post_and_no_draft_or_scheduled_one(
    client: Client, make_post: Callable[..., Post]
) -> None:
    published = [make_post(days_ago=n) for n in (1, 3, 40)]
    draft = make_post("Unfinished", draft=True)
    scheduled = make_post("Next week", days_ago=-7)
    entries = read_sitemap(client)
    for post in published:
        assert entries[at(post.get_absolute_url())] == iso_time(post.updated_at)
    for post in (draft, scheduled):
        assert at(post.get_absolute_url()) not in entries
    assert not [loc for loc in entries if "unfinished" in loc or "next-week" in loc]


def test_a_post_lastmod_follows_its_edits(client: Client, post: Post) -> None:
    edited_at = timezone.now() + datetime.timedelta(hours=5)
    with time_machine.travel(edited_at, tick=False):
        post.body = "Now with prices."
        publishing.save_post(post)
        entries = read_sitemap(client)
    assert entries[at(post.get_absolute_url())] == iso_time(edited_at)


def test_a_scheduled_post_is_modified_when_it_appears(
    client: Client, make_post: Callable[..., Post]
) -> None:
    # Saved now, public in two hours: its page changed when it appeared.
    post = make_post("Later today", days_ago=-2 / 24)
    assert post.published_at is not None
    assert post.updated_at < post.published_at
    with time_machine.travel(post.published_at + datetime.timedelta(hours=1)):
        entries = read_sitemap(client)
    assert entries[at(post.get_absolute_url())] == iso_time(post.published_at)
    assert modified_at(post) == post.published_at


def test_tags_with_published_posts_and_their_latest_change(
    client: Client, make_post: Callable[..., Post]
) -> None:
    older = tagged(make_post(days_ago=10), "frames", "prices")
    newer = tagged(make_post(days_ago=2), "prices")
    tagged(make_post(draft=True), "frames", "drafts-only")
    tagged(make_post(days_ago=-3), "prices", "scheduled-only")
    Tag.objects.create(name="Unused", slug="unused")
    # Pin the update times so each tag's latest change is told apart.
    Post.objects.filter(pk=older.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=9)
    )
    Post.objects.filter(pk=newer.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=1)
    )
    older.refresh_from_db()
    newer.refresh_from_db()
    entries = read_sitemap(client)
    tags = {loc: lastmod for loc, lastmod in entries.items() if "/tags/" in loc}
    assert tags == {
        at("/tags/"): iso_time(newer.updated_at),
        at("/tags/frames/"): iso_time(older.updated_at),
        at("/tags/prices/"): iso_time(newer.updated_at),
    }


def test_archives_list_each_month_and_year_with_their_latest_post(
    client: Client, make_post: Callable[..., Post]
) -> None:
    posts = [make_post(days_ago=n) for n in (1, 2, 45, 400, 800)]
    make_post("Only a draft", draft=True, days_ago=1200)
    months: dict[tuple[int, int], datetime.datetime] = {}
    years: dict[int, datetime.datetime] = {}
    for post in posts:
        assert post.published_at is not None
        day = timezone.localtime(post.published_at)
        changed = modified_at(post)
        months[day.year, day.month] = max(
            changed, months.get((day.year, day.month), changed)
        )
        years[day.year] = max(changed, years.get(day.year, changed))
    expected = {
        at(reverse("blog:month", kwargs={"year": y, "month": m})): iso_time(changed)
        for (y, m), changed in months.items()
    } | {
        at(reverse("blog:year", kwargs={"year": y})): iso_time(changed)
        for y, changed in years.items()
    }
    entries = read_sitemap(client)
    archives = {
        loc: lastmod
        for loc, lastmod in entries.items()
        if loc.removeprefix("http://testserver/")[:4].isdigit()
        and loc.count("/") <= 5  # /yyyy/ and /yyyy/mm/, not posts
    }
    assert archives == expected


def test_home_archive_and_tag_index_change_with_the_latest_post(
    client: Client, make_post: Callable[..., Post]
) -> None:
    make_post(days_ago=5)
    latest = make_post(days_ago=1)
    make_post("Coming", days_ago=-1)
    entries = read_sitemap(client)
    for name in ("blog:home", "blog:archive", "blog:tags"):
        assert entries[at(reverse(name))] == iso_time(modified_at(latest))


def test_an_empty_site_lists_its_home_page(client: Client, db: None) -> None:
    assert read_sitemap(client) == {
        at("/"): None,
        at("/archive/"): None,
        at("/tags/"): None,
    }


def test_urls_are_on_the_request_host_without_a_configured_site_url(
    client: Client, post: Post
) -> None:
    with override_settings(FIRSTHAND_SITE_URL=""):
        plain = read_sitemap(client)
        secure = read_sitemap(client, secure=True)
    assert at(post.get_absolute_url()) in plain
    assert all(loc.startswith("http://testserver/") for loc in plain)
    assert all(loc.startswith("https://testserver/") for loc in secure)


@override_settings(FIRSTHAND_SITE_URL="https://blog.example.com")
def test_urls_use_the_configured_site_url_whatever_the_request(
    client: Client, post: Post
) -> None:
    tagged(post, "frames")
    entries = read_sitemap(client, HTTP_HOST="localhost")
    assert f"https://blog.example.com{post.get_absolute_url()}" in entries
    assert "https://blog.example.com/tags/frames/" in entries
    assert all(loc.startswith("https://blog.example.com/") for loc in entries)


@pytest.mark.parametrize("count", [1, 12])
def test_queries_do_not_grow_with_posts_and_tags(
    client: Client,
    make_post: Callable[..., Post],
    count: int,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(count):
        tagged(make_post(days_ago=n * 31 + 1), f"tag {n}", "common")
    # One each: list pages, posts, tags, archives.
    with django_assert_num_queries(4):
        entries = read_sitemap(client)
    assert len(entries) > 2 * count
