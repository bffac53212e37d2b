"""Page metadata: OpenGraph and Twitter-card tags, and the article's JSON-LD."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag as Element
from django.test import Client, override_settings
from django.utils.html import strip_tags
from pytest_django import DjangoAssertNumQueries

from firsthand.blog import publishing
from firsthand.blog.models import Post
from firsthand.conversation import moderation
from firsthand.conversation.models import Response
from firsthand.rendering import HTML, render_response, render_response_body
from firsthand.syndication.structured_data import (
    blog_posting,
    iso_time,
    modified_at,
    plain_text,
)
from firsthand.syndication.templatetags.syndication import ld_json
from tests.oracle import active_content, is_ours
from tests.testdata import shared_file

pytestmark = pytest.mark.django_db

SITE = "https://blog.example.com"
LD_OPEN = '<script type="application/ld+json">'


def meta(html: str) -> dict[str, list[str]]:
    """``property``/``name`` of every ``<meta>`` in the head, to its contents."""
    soup = BeautifulSoup(html, "html5lib")
    assert soup.head is not None
    found: dict[str, list[str]] = {}
    for tag in soup.head.find_all("meta"):
        key = tag.get("property") or tag.get("name")
        if key:
            found.setdefault(str(key), []).append(str(tag.get("content")))
    return found


def json_ld(html: str) -> dict[str, Any]:
    """The page's one JSON-LD block, checked to be exactly what a browser parses.

    The raw text between our opening tag and the first ``</script>`` after it must
    be the whole element as html5lib sees it: nothing in the data closed it early.
    """
    assert html.count(LD_OPEN) == 1
    start = html.index(LD_OPEN) + len(LD_OPEN)
    raw = html[start : html.index("</script>", start)]
    found = BeautifulSoup(html, "html5lib").find_all("script")
    scripts = [script for script in found if not is_ours(script)]
    assert len(scripts) == 1
    (script,) = scripts
    assert isinstance(script, Element)
    assert script.attrs == {"type": "application/ld+json"}
    assert script.string == raw
    data: dict[str, Any] = json.loads(raw)
    return data


def tagged(post: Post, *names: str) -> Post:
    post.tags.add(*(publishing.tag_named(name) for name in names))
    return post


@override_settings(FIRSTHAND_SITE_URL=SITE)
def test_article_page_has_opengraph_and_twitter_tags(
    client: Client, post: Post
) -> None:
    tagged(post, "Prices", "Frames")
    url = SITE + post.get_absolute_url()
    html = client.get(post.get_absolute_url(), HTTP_HOST="localhost").content.decode()
    assert post.published_at is not None
    assert meta(html) == {
        "viewport": ["width=device-width, initial-scale=1"],
        "description": [post.summary],
        "og:type": ["article"],
        "og:site_name": ["Firsthand"],
        "og:title": [post.title],
        "og:description": [post.summary],
        "og:url": [url],
        "article:published_time": [iso_time(post.published_at)],
        "article:modified_time": [iso_time(modified_at(post))],
        "article:author": [f"{SITE}/authors/ada-quill/"],
        "article:tag": ["Frames", "Prices"],
        "twitter:card": ["summary"],
        "twitter:title": [post.title],
        "twitter:description": [post.summary],
    }
    soup = BeautifulSoup(html, "html5lib")
    canonical = soup.find("link", rel="canonical")
    assert canonical is not None
    assert canonical.get("href") == url


def test_canonical_and_og_url_use_the_request_host_without_a_site_url(
    client: Client, post: Post
) -> None:
    with override_settings(FIRSTHAND_SITE_URL=""):
        html = client.get(post.get_absolute_url(), secure=True).content.decode()
    url = f"https://testserver{post.get_absolute_url()}"
    assert meta(html)["og:url"] == [url]
    canonical = BeautifulSoup(html, "html5lib").find("link", rel="canonical")
    assert canonical is not None
    assert canonical.get("href") == url


@override_settings(FIRSTHAND_SITE_URL=SITE)
def test_home_page_describes_the_site(client: Client, post: Post) -> None:
    tags = meta(client.get("/").content.decode())
    assert tags["og:type"] == ["website"]
    assert tags["og:title"] == ["Firsthand"]
    assert tags["og:url"] == [f"{SITE}/"]
    assert tags["og:description"] == ["Written firsthand, answered in the open."]
    assert tags["twitter:card"] == ["summary"]


def test_a_draft_preview_has_no_publication_time(
    ada_client: Client, make_post: Callable[..., Post]
) -> None:
    draft = make_post("Half written", draft=True)
    html = ada_client.get(draft.get_absolute_url()).content.decode()
    assert "article:published_time" not in meta(html)
    data = json_ld(html)
    assert "datePublished" not in data
    assert data["dateModified"] == iso_time(draft.updated_at)


@override_settings(FIRSTHAND_SITE_URL=SITE)
def test_json_ld_is_the_post_with_its_visible_comments(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    tagged(post, "Prices")
    first = comment_on(
        post,
        author_name="Bob Reader",
        author_url="https://bob.example.org/",
        body="Prices *online* & <b>in</b> the shop.",
    )
    comment_on(post, author_name="Carol", body="Second **thoughts**.")
    moderation.hold(comment_on(post, author_name="Held Back"))
    moderation.mark_spam(comment_on(post, author_name="Mallory Spam"))
    moderation.remove(comment_on(post, author_name="Removed Later"))
    link = moderation.approve(
        comment_on(
            post,
            kind=Response.Kind.PINGBACK,
            source="pingback",
            author_name="Elsewhere",
            source_url="https://elsewhere.example.net/post",
            body="A link to here.",
        )
    )
    assert link.status == Response.Status.VISIBLE
    post.refresh_from_db()
    assert post.response_count == 3

    html = client.get(post.get_absolute_url()).content.decode()
    data = json_ld(html)

    url = SITE + post.get_absolute_url()
    assert post.published_at is not None
    assert {k: v for k, v in data.items() if k != "comment"} == {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "url": url,
        "mainEntityOfPage": url,
        "description": post.summary,
        "author": {
            "@type": "Person",
            "name": "Ada Quill",
            "url": f"{SITE}/authors/ada-quill/",
            "sameAs": "https://ada.example.com",
        },
        "datePublished": iso_time(post.published_at),
        "dateModified": iso_time(modified_at(post)),
        "keywords": ["Prices"],
        "commentCount": 3,
    }
    assert data["comment"] == [
        {
            "@type": "Comment",
            "url": f"{url}#comment-1",
            "dateCreated": iso_time(first.created_at),
            "author": {
                "@type": "Person",
                "name": "Bob Reader",
                "url": "https://bob.example.org/",
            },
            "text": "Prices online & <b>in</b> the shop.",
        },
        {
            "@type": "Comment",
            "url": f"{url}#comment-2",
            "dateCreated": data["comment"][1]["dateCreated"],
            "author": {"@type": "Person", "name": "Carol"},
            "text": "Second thoughts.",
        },
    ]
    assert "Held Back" not in html
    assert "Mallory" not in html
    assert "Removed Later" not in html
    # And what the page embeds is what structured_data builds.
    thread = list(Response.objects.thread_of(post))
    assert data == blog_posting(post, list(post.tags.all()), thread)


def hostile_strings() -> list[str]:
    """A few dozen naughty strings that HTML and JSON both care about."""
    lines = shared_file("blns/blns.txt").read_text(encoding="utf-8").split("\n")
    naughty = [line for line in lines if line.strip() and not line.startswith("#")]
    picked = [line for line in naughty if any(c in line for c in "<>&\"'\\")][:40]
    return [
        *picked,
        *naughty[:10],
        "</script><script>alert(1)</script>",
        "</SCRIPT ><!--<script>",
        '"}]</script><img src=x onerror=alert(1)>',
        "\u2028\u2029 line separators",
    ]


@override_settings(FIRSTHAND_SITE_URL=SITE)
def test_hostile_titles_stay_text_in_meta_tags_and_json_ld(
    client: Client,
    make_post: Callable[..., Post],
    comment_on: Callable[..., Response],
) -> None:
    strings = hostile_strings()
    assert len(strings) > 30
    for text in strings:
        post = tagged(make_post(text, body=text), text[:100])
        comment_on(post, author_name=text[:100], body=text)
        post.refresh_from_db()
        html = client.get(post.get_absolute_url()).content.decode()
        tags = meta(html)
        assert tags["og:title"] == [post.title], text
        assert tags["twitter:title"] == [post.title], text
        assert tags["og:description"] == [post.summary], text
        data = json_ld(html)
        assert data["headline"] == post.title, text
        assert data == blog_posting(
            post, list(post.tags.all()), list(Response.objects.thread_of(post))
        ), text
        # The oracle lets a JSON data block through only if it parses whole.
        assert active_content(html) == [], text


def test_ld_json_escapes_what_could_end_the_script() -> None:
    data = {"a": "</script><!-- & -->", "b": ["<", ">"]}
    html = str(ld_json(data))
    body = html.removeprefix(LD_OPEN).removesuffix("</script>")
    assert not {"<", ">", "&"} & set(body)
    assert json.loads(body) == data


@pytest.mark.parametrize("responses", [1, 12])
def test_article_page_queries_do_not_grow_with_metadata(
    client: Client,
    post: Post,
    comment_on: Callable[..., Response],
    responses: int,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    tagged(post, "one", "two", "three")
    for n in range(responses):
        comment_on(post, author_name=f"Reader {n}", author_url=f"https://r{n}.example/")
    # post + tags + older + newer + thread, as before the metadata.
    with django_assert_num_queries(5):
        html = client.get(post.get_absolute_url()).content.decode()
    assert len(json_ld(html)["comment"]) == responses
    assert len(meta(html)["article:tag"]) == 3


def test_json_ld_text_is_what_strip_tags_reads_from_sanitised_html() -> None:
    """plain_text reads tags with a regular expression (issue #8): it must give what
    Django's HTML-parsing strip_tags gives, for anything the sanitiser lets through."""
    lines = shared_file("blns/blns.txt").read_text(encoding="utf-8").split("\n")
    samples = [line for line in lines if line and not line.startswith("#")]
    samples += [
        '[a link](https://x.example/?q=a>b&c="d") and <b>raw</b> & *em* `<code>`',
        "> quoted <i>text</i>\n\n    indented <code>\n\n~~gone~~ **bold**",
        "[>](https://x.example/>) <!-- a comment --> &amp; &lt;p&gt;",
        '<a href="https://x.example/?a>b" title="1 > 0">t</a> <p>x</p><br>y',
    ]
    for text in samples:
        for body_html in (
            render_response(text),
            render_response_body(text, HTML),
        ):
            expected = html.unescape(strip_tags(body_html)).strip()
            assert plain_text(body_html) == expected, text
