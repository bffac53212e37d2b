"""Old WordPress addresses answer 301 with the Firsthand address of the same thing."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from firsthand.blog import publishing
from firsthand.blog.models import Author, Page, Post
from firsthand.conversation.models import Response

pytestmark = pytest.mark.django_db


def moved_to(client: Client, url: str) -> str:
    """Where ``url`` permanently redirects (and that the target answers)."""
    reply = client.get(url)
    assert reply.status_code == 301, f"{url}: {reply.status_code}"
    target = reply["Location"]
    assert client.get(target).status_code == 200, target
    return target


def with_legacy_id(post: Post, number: int) -> Post:
    # The importer keeps the WordPress id (wp:post_id); here it is set directly.
    Post.everything.filter(pk=post.pk).update(legacy_id=number)
    post.refresh_from_db()
    return post


@pytest.fixture
def about(ada: Author) -> Post:
    return publishing.publish_page(
        Page(title="About", slug="about", body="Frames by hand.", author=ada)
    )


def post_date(post: Post) -> datetime.date:
    return timezone.localtime(post.permalink_time).date()


def other_day(post: Post, days: int = 1) -> str:
    """The post's permalink with another date, as an old time zone wrote it."""
    day = post_date(post) + datetime.timedelta(days=days)
    return f"/{day:%Y/%m/%d}/{post.slug}/"


# --- /?p=123 and /?page_id=123 ------------------------------------------------------


def test_wordpress_ids_lead_to_the_post_or_page(
    client: Client, post: Post, about: Post
) -> None:
    with_legacy_id(post, 123)
    with_legacy_id(about, 2)
    assert moved_to(client, "/?p=123") == post.get_absolute_url()
    assert moved_to(client, "/?p=123&replytocom=4") == post.get_absolute_url()
    assert moved_to(client, "/?page_id=2") == "/about/"
    assert moved_to(client, "/?p=2") == "/about/"  # one sequence for both


def test_unknown_or_unpublished_wordpress_ids_are_404(
    client: Client, post: Post, make_post: Callable[..., Post]
) -> None:
    with_legacy_id(make_post("Unfinished", draft=True), 7)
    with_legacy_id(make_post("Next week", days_ago=-7), 8)
    for query in ("p=7", "p=8", "p=999", "p=abc", "p=", "page_id=-1"):
        assert client.get(f"/?{query}").status_code == 404, query
    assert client.get("/").status_code == 200
    assert client.get("/?page=1").status_code == 200  # the home's own paging


# --- Dated permalinks ---------------------------------------------------------------


def test_a_permalink_with_another_date_redirects_to_the_real_one(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    comment_on(post)
    real = post.get_absolute_url()
    for days in (-1, 1, 400):
        assert moved_to(client, other_day(post, days)) == real
    wrong = other_day(post)
    assert moved_to(client, f"{wrong}?page=1") == f"{real}?page=1"
    assert moved_to(client, f"{wrong}reply/1/") == f"{real}reply/1/"
    permalink = client.get(f"{wrong}comments/1/")
    assert (permalink.status_code, permalink["Location"]) == (301, f"{real}comments/1/")
    feed = f"{wrong}comments.rss"
    assert moved_to(client, feed) == f"{real}comments.rss"
    # The right date with an unknown slug is still nothing.
    assert client.get(real.replace(post.slug, "no-such-post")).status_code == 404


def test_a_draft_with_another_date_is_staff_only(
    client: Client, ada_client: Client, make_post: Callable[..., Post]
) -> None:
    draft = make_post("Unfinished", draft=True)
    assert client.get(other_day(draft)).status_code == 404
    assert moved_to(ada_client, other_day(draft)) == draft.get_absolute_url()


def test_month_and_name_permalinks(client: Client, post: Post) -> None:
    day = post_date(post)
    assert moved_to(client, f"/{day:%Y/%m}/{post.slug}/") == post.get_absolute_url()
    assert client.get(f"/{day:%Y/%m}/no-such-post/").status_code == 404
    # Two digits after a month is a day's archive, as before.
    assert client.get(f"/{day:%Y/%m/%d}/").status_code == 200


# --- Feeds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "name"),
    [
        ("/feed/", "syndication:posts-rss"),
        ("/feed/rss2/", "syndication:posts-rss"),
        ("/feed/rss/", "syndication:posts-rss"),
        ("/rss/", "syndication:posts-rss"),
        ("/feed/atom/", "syndication:posts-atom"),
        ("/comments/feed/", "syndication:responses-rss"),
    ],
)
def test_site_feeds(client: Client, post: Post, old: str, name: str) -> None:
    assert moved_to(client, old) == reverse(name)


def test_a_posts_comment_feed_by_date_or_by_name(client: Client, post: Post) -> None:
    day = post_date(post)
    expected = f"{post.get_absolute_url()}comments.rss"
    assert (
        reverse(
            "syndication:post-responses-rss",
            kwargs={
                "year": day.year,
                "month": day.month,
                "day": day.day,
                "slug": post.slug,
            },
        )
        == expected
    )
    assert moved_to(client, f"{post.get_absolute_url()}feed/") == expected
    assert moved_to(client, f"{other_day(post)}feed/") == expected
    assert moved_to(client, f"/{post.slug}/feed/") == expected
    assert client.get("/no-such-post/feed/").status_code == 404


def test_a_pages_old_feed_is_404(client: Client, about: Post) -> None:
    # Firsthand has no feed of a page's comments.
    assert client.get("/about/feed/").status_code == 404


# --- Categories, tags and authors ---------------------------------------------------


def test_categories_and_tags_lead_to_the_tag(client: Client, post: Post) -> None:
    post.tags.add(publishing.tag_named("Local news"))
    page = reverse("blog:tag", kwargs={"slug": "local-news"})
    feed = reverse("syndication:tag-rss", kwargs={"slug": "local-news"})
    assert moved_to(client, "/category/local-news/") == page
    assert moved_to(client, "/category/news/local-news/") == page  # nested
    assert moved_to(client, "/tag/local-news/") == page
    assert moved_to(client, "/category/local-news/feed/") == feed
    assert moved_to(client, "/tag/local-news/feed/") == feed
    for unknown in ("/category/nothing/", "/tag/nothing/", "/tag/nothing/feed/"):
        assert client.get(unknown).status_code == 404, unknown


def test_authors_by_slug_or_imported_login(
    client: Client, ada: Author, post: Post
) -> None:
    assert moved_to(client, "/author/ada-quill/") == ada.get_absolute_url()
    Author.objects.filter(pk=ada.pk).update(legacy_login="adaq")  # from WordPress
    assert moved_to(client, "/author/adaq/") == ada.get_absolute_url()
    assert client.get("/author/mallory/").status_code == 404


def test_an_account_name_cannot_be_probed_through_author_addresses(
    client: Client, ada: Author, post: Post
) -> None:
    """ada's account is "ada" (not imported): her address answers exactly like
    one for nobody, so it tells no one which account names exist."""
    assert ada.user.username == "ada"
    mine, nobody = client.get("/author/ada/"), client.get("/author/nobody-here/")
    assert mine.status_code == nobody.status_code == 404
    assert mine.content.replace(b"ada", b"nobody-here") == nobody.content


def test_redirects_are_for_reading_only(client: Client, post: Post) -> None:
    assert client.post("/feed/").status_code == 405
