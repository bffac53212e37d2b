"""Export the site, empty the database, import the file: the same site again
(issue #7). Compared through the models, field by field; ids may differ.

WXR dates have whole seconds, so times are compared to the second.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from firsthand.blog.models import Author, Post, Tag
from firsthand.conversation import intake
from firsthand.conversation.models import Response
from firsthand.portability.exporter import export_wxr
from firsthand.portability.importer import import_wxr
from tests.portability import HOSTILE, SERIALIZED, SITE_URL, Site, build_site
from tests.testdata import shared_file


@pytest.fixture
def site(ada: Author, make_post: Callable[..., Post]) -> Site:
    return build_site(ada, make_post)


def to_second(moment: datetime.datetime | None) -> datetime.datetime | None:
    return moment.replace(microsecond=0) if moment is not None else None


def snapshot() -> dict[str, Any]:
    """The whole site as plain values, keyed by what survives a move (slugs,
    numbers), never by database ids."""
    posts: dict[str, dict[str, Any]] = {}
    for post in Post.everything.select_related("author", "parent").prefetch_related(
        "tags"
    ):
        posts[post.slug] = {
            "uid": post.uid,
            "title": post.title,
            "kind": post.kind,
            "status": post.status,
            "published_at": to_second(post.published_at),
            "body": post.body,
            "body_format": post.body_format,
            "excerpt": post.excerpt,
            "tags": sorted((tag.slug, tag.name) for tag in post.tags.all()),
            "author": post.author.display_name,
            "comments_open": post.comments_open,
            "pings_open": post.pings_open,
            "parent": post.parent.slug if post.parent else None,
            "menu_order": post.menu_order,
            "response_count": post.response_count,
            "responses": [],
        }
    for response in Response.objects.select_related("post", "parent"):
        posts[response.post.slug]["responses"].append(
            {
                "uid": response.uid,
                "number": response.number,
                "kind": response.kind,
                "status": response.status,
                "parent": response.parent.number if response.parent else None,
                "author_name": response.author_name,
                "author_email": response.author_email,
                "author_url": response.author_url,
                "author_title": response.author_title,
                "author_photo": response.author_photo,
                "body": response.body,
                "body_format": response.body_format,
                "created_at": to_second(response.created_at),
                "edited_at": response.edited_at,
                "source_url": response.source_url,
                "source_title": response.source_title,
                "ip_address": response.ip_address,
            }
        )
    for values in posts.values():
        # Arrival order, told by what survives the move (times to the second).
        values["responses"].sort(
            key=lambda r: (
                r["created_at"],
                r["number"] is None,
                r["number"] or 0,
                r["author_email"],
                r["body"],
            )
        )
    return {
        "posts": posts,
        "tags": sorted(Tag.objects.values_list("slug", "name")),
        "authors": sorted(
            Author.objects.values_list("display_name", "user__username", "user__email")
        ),
    }


def empty_the_site() -> None:
    """Delete every response, post, tag and author (and their users)."""
    Response.objects.all().delete()
    Post.everything.update(parent=None)
    Post.everything.all().delete()
    Tag.objects.all().delete()
    users = list(Author.objects.values_list("user_id", flat=True))
    Author.objects.all().delete()
    User.objects.filter(pk__in=users).delete()
    assert not Post.everything.exists()
    assert not Response.objects.exists()


def round_trip(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    before = snapshot()
    path = tmp_path / "site.xml"
    with path.open("wb") as file:
        export_wxr(file, site_url=SITE_URL)
    empty_the_site()
    import_wxr(path)
    return before, snapshot()


def assert_same(before: dict[str, Any], after: dict[str, Any]) -> None:
    """``after == before``, failing on the first field that differs (readably)."""
    assert set(after["posts"]) == set(before["posts"])
    for slug, post in before["posts"].items():
        now = after["posts"][slug]
        for field, value in post.items():
            if field != "responses":
                assert (slug, field, now[field]) == (slug, field, value)
        assert len(now["responses"]) == len(post["responses"]), slug
        for was, is_now in zip(post["responses"], now["responses"], strict=True):
            for field, value in was.items():
                assert (slug, was["body"][:40], field, is_now[field]) == (
                    slug,
                    was["body"][:40],
                    field,
                    value,
                )
    assert after == before


def test_importing_the_export_into_an_empty_site_gives_the_same_site(
    site: Site, tmp_path: Path
) -> None:
    before, after = round_trip(tmp_path)
    assert_same(before, after)
    # The site is worth comparing: every kind of thing is in it.
    responses = before["posts"][site.post.slug]["responses"]
    assert {r["status"] for r in responses} == {"visible", "pending", "spam", "removed"}
    assert {r["kind"] for r in responses} == {"comment", "pingback", "like", "mention"}
    assert any(r["parent"] for r in responses)
    assert any(r["number"] is None for r in responses)
    assert any(r["edited_at"] for r in responses)
    assert {r["body"] for r in responses} >= {HOSTILE, SERIALIZED}
    assert before["posts"][site.team.slug]["parent"] == site.about.slug
    assert before["posts"][site.draft.slug]["published_at"] is None


def test_naughty_strings_come_back_exactly(
    site: Site, comment_on: Callable[..., Response], tmp_path: Path
) -> None:
    naughty = [
        line
        for line in shared_file("blns/blns.txt").read_text(encoding="utf-8").split("\n")
        if line and not line.startswith("#")
    ]
    for n, line in enumerate(naughty):
        with contextlib.suppress(intake.Rejected):  # blank names and bodies
            comment_on(
                site.post,
                author_name=line[:100],
                author_title=line[:100],
                author_email=f"n{n}@example.org",
                body=line,
                ip_address=f"192.0.2.{n % 250}",
            )
    before, after = round_trip(tmp_path)
    assert len(before["posts"][site.post.slug]["responses"]) > 450
    assert_same(before, after)
