"""Every feed, parsed by a real feed reader's parser and checked field by field."""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser  # type: ignore[import-untyped]
import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from jsonschema import Draft202012Validator, FormatChecker
from pytest_django import DjangoAssertNumQueries

from firsthand.blog import publishing
from firsthand.blog.models import Author, Post, Tag
from firsthand.conversation import intake, moderation
from firsthand.conversation.models import Response
from firsthand.syndication import topics
from tests.oracle import active_content
from tests.sites import free_port
from tests.testdata import shared_file

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(__file__).parent / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8")
)
formats = FormatChecker()


@formats.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in {"http", "https", "urn"} and bool(parts.netloc or parts.path)


@formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a date-time needs its offset")
    return True


VALIDATOR = Draft202012Validator(SCHEMA, format_checker=formats)


def post_feed(post: Post, fmt: str) -> str:
    return reverse(
        f"syndication:post-responses-{fmt}", kwargs=topics.post_date_kwargs(post)
    )


def parsed(client: Client, url: str) -> Any:
    reply = client.get(url)
    assert reply.status_code == 200, url
    ElementTree.fromstring(reply.content)  # well-formed XML, or this raises
    feed = feedparser.parse(reply.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def json_feed(client: Client, url: str) -> dict[str, Any]:
    reply = client.get(url)
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("application/feed+json")
    data: dict[str, Any] = json.loads(reply.content)
    VALIDATOR.validate(data)
    return data


@pytest.fixture
def thread(post: Post, comment_on: Callable[..., Response]) -> list[Response]:
    """Three visible responses and one of each hidden kind."""
    shown = [
        comment_on(post, author_name="Ingrid", body="Prices *online* would help me."),
        comment_on(post, author_name="Owen", author_url="https://owen.example.org"),
        comment_on(
            post,
            kind="pingback",
            author_name="Workbench Notes",
            author_email="",
            body="[…] a <b>price list</b> […]",
            source_url="https://notes.example.net/prices",
            source_title="Workbench Notes — Prices",
        ),
    ]
    moderation.mark_spam(comment_on(post, body="Spam text here"))
    moderation.remove(comment_on(post, body="Removed text here"))
    moderation.hold(comment_on(post, body="Held text here"))
    return shown


# --- Posts feeds --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_posts_feed_fields(
    client: Client, make_post: Callable[..., Post], fmt: str
) -> None:
    older = make_post("Older <post> & co", body="First *words*.", days_ago=3)
    newer = make_post(
        "Newer post", body="Second words with a [link](https://x.example)."
    )
    newer.tags.set([publishing.tag_named("pricing")])
    make_post("A draft", draft=True)
    make_post("Scheduled", days_ago=-2)
    feed = parsed(client, reverse(f"syndication:posts-{fmt}"))
    assert feed.feed.title == "Firsthand"
    assert feed.feed.link == "http://testserver/"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"http://testserver{reverse(f'syndication:posts-{fmt}')}"
    assert links["hub"] == "http://testserver/websub/"
    assert [e.title for e in feed.entries] == ["Newer post", "Older <post> & co"]
    entry = feed.entries[0]
    assert entry.link == f"http://testserver{newer.get_absolute_url()}"
    assert entry.id == f"urn:uuid:{newer.uid}"
    assert entry.author == "Ada Quill"
    assert [t.term for t in entry.tags] == ["pricing"]
    # Full content, as HTML, escaped exactly once.
    assert entry.content[0].value.strip() == newer.body_html
    assert 'href="https://x.example"' in entry.content[0].value
    assert entry.summary == newer.summary
    assert entry.published_parsed[:6] == newer.published_at.utctimetuple()[:6]  # type: ignore[union-attr]
    assert feed.entries[1].title == older.title


def test_ids_never_change_when_a_post_is_edited(
    client: Client, make_post: Callable[..., Post]
) -> None:
    post = make_post("First title")
    before = parsed(client, reverse("syndication:posts-atom")).entries[0]
    post.title, post.slug, post.body = "Better title", "better-title", "New text."
    publishing.save_post(post)
    after = parsed(client, reverse("syndication:posts-atom")).entries[0]
    assert after.id == before.id
    assert after.title == "Better title"
    assert after.updated_parsed >= before.updated_parsed
    assert after.link.endswith("/better-title/")


def test_posts_json_feed_validates_and_carries_everything(
    client: Client, make_post: Callable[..., Post]
) -> None:
    post = make_post("Json post", body="Some **bold** text.")
    post.tags.set([publishing.tag_named("json")])
    data = json_feed(client, reverse("syndication:posts-json"))
    assert data["feed_url"] == "http://testserver/feeds/posts.json"
    assert data["hubs"] == [{"type": "WebSub", "url": "http://testserver/websub/"}]
    (item,) = data["items"]
    assert item["id"] == f"urn:uuid:{post.uid}"
    assert item["url"] == f"http://testserver{post.get_absolute_url()}"
    assert item["content_html"] == post.body_html
    assert item["tags"] == ["json"]
    assert item["authors"] == [
        {"name": "Ada Quill", "url": "http://testserver/authors/ada-quill/"}
    ]


def test_tag_and_author_feeds(
    client: Client, ada: Author, make_post: Callable[..., Post]
) -> None:
    tagged = make_post("Tagged")
    make_post("Untagged")
    tag = publishing.tag_named("Frames")
    tagged.tags.add(tag)
    for fmt in ("rss", "atom"):
        feed = parsed(
            client, reverse(f"syndication:tag-{fmt}", kwargs={"slug": tag.slug})
        )
        assert [e.title for e in feed.entries] == ["Tagged"]
        assert "Frames" in feed.feed.title
        feed = parsed(
            client, reverse(f"syndication:author-{fmt}", kwargs={"slug": ada.slug})
        )
        assert {e.title for e in feed.entries} == {"Tagged", "Untagged"}
    assert client.get("/tags/nope/feed.rss").status_code == 404
    assert client.get("/authors/nobody/feed.atom").status_code == 404


@override_settings(FIRSTHAND_SITE_URL="https://blog.example.com")
def test_absolute_urls_come_from_the_configured_site_url(
    client: Client, post: Post
) -> None:
    feed = parsed(client, reverse("syndication:posts-rss"))
    assert feed.entries[0].link == f"https://blog.example.com{post.get_absolute_url()}"
    assert {link.rel: link.href for link in feed.feed.links}["hub"] == (
        "https://blog.example.com/websub/"
    )


# --- Response feeds -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_post_responses_feed_shows_only_visible_responses(
    client: Client, post: Post, thread: list[Response], fmt: str
) -> None:
    feed = parsed(client, post_feed(post, fmt))
    assert len(feed.entries) == 3
    text = json.dumps(feed, default=str)
    for hidden in ("Spam text", "Removed text", "Held text"):
        assert hidden not in text
    by_id = {e.id: e for e in feed.entries}
    ingrid = by_id[f"urn:uuid:{thread[0].uid}"]
    assert ingrid.title == f"#1 Ingrid on “{post.title}”"
    assert ingrid.link == f"http://testserver{post.get_absolute_url()}#comment-1"
    assert ingrid.author == "Ingrid"
    assert "<em>online</em>" in ingrid.summary  # HTML, escaped once in the XML
    ping = by_id[f"urn:uuid:{thread[2].uid}"]
    assert ping.title.startswith("#3 Pingback from Workbench Notes — Prices")
    # The excerpt is text: its markup arrives as text, never as tags.
    assert "<b>" not in ping.summary
    assert "&lt;b&gt;price list&lt;/b&gt;" in ping.summary
    assert "@example.org" not in text  # no commenter's email in any feed


def test_post_responses_json_feed(
    client: Client, post: Post, thread: list[Response]
) -> None:
    data = json_feed(client, post_feed(post, "json"))
    assert len(data["items"]) == 3
    ping = next(i for i in data["items"] if i["id"] == f"urn:uuid:{thread[2].uid}")
    assert ping["external_url"] == "https://notes.example.net/prices"
    assert "<b>" not in ping["content_html"]


def test_site_responses_feed_covers_every_post_but_no_drafts(
    client: Client, make_post: Callable[..., Post], comment_on: Callable[..., Response]
) -> None:
    first, second = make_post("One"), make_post("Two")
    comment_on(first, author_name="A")
    comment_on(second, author_name="B")
    feed = parsed(client, reverse("syndication:responses-atom"))
    assert {e.author for e in feed.entries} == {"A", "B"}
    publishing.unpublish_post(second)
    feed = parsed(client, reverse("syndication:responses-atom"))
    assert {e.author for e in feed.entries} == {"A"}


def test_a_draft_has_no_comment_feed(
    client: Client, make_post: Callable[..., Post]
) -> None:
    draft = make_post("Draft", draft=True)
    assert client.get(post_feed(draft, "rss")).status_code == 404


# --- HTTP: conditional GET, caching and invalidation ----------------------------


def test_conditional_get_answers_304_until_something_changes(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    url = post_feed(post, "rss")
    first = client.get(url)
    assert first["Content-Type"] == "application/rss+xml; charset=utf-8"
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert 'rel="hub"' in first["Link"]
    response = comment_on(post, body="A new voice in the thread.")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert b"A new voice" in changed.content
    # Moderation changes the feed at once: never a stale thread.
    moderation.remove(response)
    again = client.get(url, HTTP_IF_NONE_MATCH=changed["ETag"])
    assert again.status_code == 200
    assert b"A new voice" not in again.content


def test_editing_a_post_changes_the_posts_feed(
    client: Client, make_post: Callable[..., Post]
) -> None:
    post = make_post("Before")
    url = reverse("syndication:posts-json")
    etag = client.get(url)["ETag"]
    post.title = "After"
    publishing.save_post(post)
    reply = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert reply.status_code == 200
    assert json.loads(reply.content)["items"][0]["title"] == "After"


@pytest.mark.parametrize("count", [1, 30])
def test_feeds_run_a_constant_number_of_queries(
    client: Client,
    make_post: Callable[..., Post],
    comment_on: Callable[..., Response],
    django_assert_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    posts = [make_post(f"Post {n}") for n in range(count)]
    for n, post in enumerate(posts):
        post.tags.set([publishing.tag_named(f"t{n}")])
        comment_on(post, author_name=f"Reader {n}")
    target = posts[0]
    # state (1) + posts (1) + tags (1)
    with django_assert_num_queries(3):
        client.get(reverse("syndication:posts-rss"))
    # state (2) + responses with their posts (1)
    with django_assert_num_queries(3):
        client.get(reverse("syndication:responses-rss"))
    # find the post (1) + state (2) + find it again for the feed (1) + responses (1)
    with django_assert_num_queries(5):
        client.get(post_feed(target, "json"))


@contextlib.contextmanager
def default_cache_down() -> Iterator[None]:
    """The default cache is a Redis that does not answer (a closed loopback port,
    as tests/abuse's ``guard_down`` does for the guard cache)."""
    down = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
    }
    with override_settings(CACHES={**settings.CACHES, "default": down}):
        yield


def test_feeds_are_served_uncached_while_the_cache_is_down(
    client: Client,
    post: Post,
    comment_on: Callable[..., Response],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis down answered every feed with a 500; now each feed is built for its
    request, the same as a cached one, and the outage is logged once."""
    comment_on(post)
    urls = [reverse(f"syndication:posts-{fmt}") for fmt in ("rss", "atom", "json")]
    urls += [post_feed(post, fmt) for fmt in ("rss", "atom", "json")]
    urls += [reverse("syndication:responses-atom")]
    cached = {url: client.get(url) for url in urls}
    with default_cache_down():
        for url in urls * 2:
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert answer.content == cached[url].content, url
            again = client.get(url, HTTP_IF_NONE_MATCH=answer["ETag"])
            assert again.status_code == 304, url
    away = [r for r in caplog.records if "feed cache unavailable" in r.message]
    assert len(away) == 1
    assert away[0].levelname == "WARNING"
    # The cache back: said once, and the next outage is logged again.
    assert client.get(urls[0]).status_code == 200
    assert "feed cache reachable again" in caplog.text


# --- Hostile input ----------------------------------------------------------------


def test_naughty_strings_give_well_formed_feeds(
    client: Client, ada: Author, comment_on: Callable[..., Response]
) -> None:
    lines = [
        line
        for line in shared_file("blns/blns.txt").read_text(encoding="utf-8").split("\n")
        if line and not line.startswith("#")
    ]
    post = publishing.publish_post(
        Post(
            title="]]> <script>alert(1)</script> \x0b" + lines[0],
            author=ada,
            body="\n\n".join(lines[:80]),
        ),
        at=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(hours=1),
    )
    stored = 0
    for n, line in enumerate(lines):
        with contextlib.suppress(intake.Rejected):  # blank names and bodies
            comment_on(
                post,
                author_name=line[:100],
                author_title=line[:100],
                author_email=f"n{n}@example.org",
                body=line,
                ip_address=f"192.0.2.{n % 250}",
            )
            stored += 1
    assert stored > 450
    for fmt in ("rss", "atom"):
        parsed(client, reverse(f"syndication:posts-{fmt}"))
        parsed(client, post_feed(post, fmt))
        parsed(client, reverse(f"syndication:responses-{fmt}"))
    json_feed(client, reverse("syndication:posts-json"))
    json_feed(client, post_feed(post, "json"))


def test_a_control_character_in_a_tag_or_author_name_breaks_no_feed(
    client: Client, ada: Author, ada_client: Client, post: Post
) -> None:
    """The admin stores what it is given (Django's forms refuse only NUL): a tag or
    an author name with a pasted control character reached the feed's own title
    and the categories uncleaned, a 500 in RSS and unreadable XML in Atom (found
    by the feed fuzz target, tests/fuzz/regressions/feed/)."""
    added = ada_client.post(
        reverse("admin:firsthand_blog_tag_add"),
        {"name": "Fra\x0bmes", "slug": "frames"},
    )
    assert added.status_code == 302
    tag = Tag.objects.get(slug="frames")
    assert tag.name == "Fra\x0bmes"
    post.tags.add(tag)
    ada.display_name = "Ada\x1b[31m Quill"
    ada.save()
    for fmt in ("rss", "atom"):
        for url in (
            reverse(f"syndication:posts-{fmt}"),
            reverse(f"syndication:tag-{fmt}", kwargs={"slug": tag.slug}),
            reverse(f"syndication:author-{fmt}", kwargs={"slug": ada.slug}),
        ):
            feed = parsed(client, url)
            assert [t.term for t in feed.entries[0].tags] == ["Frames"], url
            assert feed.entries[0].author == "Ada[31m Quill", url
    assert "Frames" in parsed(client, f"/tags/{tag.slug}/feed.rss").feed.title
    data = json_feed(client, reverse("syndication:posts-json"))
    assert data["items"][0]["tags"] == ["Frames"]


def test_a_posts_summary_stays_text_in_every_reader(
    client: Client, make_post: Callable[..., Post]
) -> None:
    """The summary is plain text (the post's own "&lt;script&gt;" decoded); RSS and
    Atom readers take descriptions as HTML, so it goes there escaped, and as it is
    into JSON Feed's plain-text summary."""
    post = make_post(
        "Markup, shown", body="Type &lt;script&gt;alert(1)&lt;/script&gt; & <b>see</b>."
    )
    assert post.summary == "Type <script>alert(1)</script> & see."
    for fmt in ("rss", "atom"):
        xml = client.get(reverse(f"syndication:posts-{fmt}")).content
        root = ElementTree.fromstring(xml)
        (summary,) = [
            node.text or ""
            for node in root.iter()
            if node.tag in {"description", "{http://www.w3.org/2005/Atom}summary"}
            and node.text
            and "Type" in node.text
        ]
        assert active_content(summary) == []
        assert BeautifulSoup(summary, "html5lib").text == post.summary
    data = json_feed(client, reverse("syndication:posts-json"))
    assert data["items"][0]["summary"] == post.summary
    assert data["items"][0]["content_html"] == post.body_html


# --- Autodiscovery -------------------------------------------------------------------


def test_every_page_advertises_its_feeds_and_each_one_answers(
    client: Client, post: Post, ada: Author, comment_on: Callable[..., Response]
) -> None:
    tag = publishing.tag_named("pricing")
    post.tags.add(tag)
    comment_on(post)
    pages = {
        "/": {"/feeds/posts.rss", "/feeds/posts.atom", "/feeds/posts.json"},
        post.get_absolute_url(): {post_feed(post, f) for f in ("rss", "atom", "json")},
        tag.get_absolute_url(): {f"/tags/{tag.slug}/feed.rss"},
        ada.get_absolute_url(): {f"/authors/{ada.slug}/feed.atom"},
        "/archive/": {"/feeds/comments.rss"},
    }
    for page, expected in pages.items():
        soup = BeautifulSoup(client.get(page).content, "html5lib")
        advertised = {
            link["href"]: link["type"]
            for link in soup.find_all("link", rel="alternate")
        }
        assert expected <= set(advertised), (page, advertised)
        for href, mime in advertised.items():
            reply = client.get(str(href))
            assert reply.status_code == 200, href
            assert reply["Content-Type"].startswith(str(mime)), href
    article = BeautifulSoup(client.get(post.get_absolute_url()).content, "html5lib")
    track = article.select_one("#responses .track")
    assert track is not None
    assert "Track comments via" in track.text
    assert {a["href"] for a in track.find_all("a")} == pages[post.get_absolute_url()]
