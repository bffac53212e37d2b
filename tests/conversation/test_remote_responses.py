"""How responses from other sites look on the article page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from tests.oracle import active_content

pytestmark = pytest.mark.django_db


def remote(
    comment_on: Callable[..., Response], post: Post, kind: str, **fields: object
) -> Response:
    values: dict[str, object] = {
        "kind": kind,
        "author_email": "",
        "source": "webmention",
        "body": "",
        "source_url": f"https://{kind}.example.net/notes/1",
    }
    values.update(fields)
    return comment_on(post, **values)


def test_likes_and_reblogs_are_a_row_of_names_with_initials(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    remote(
        comment_on,
        post,
        "like",
        author_name="Dana Whitlock",
        author_url="https://dana.example.org",
    )
    remote(
        comment_on,
        post,
        "repost",
        author_name="Workbench Notes",
        source_url="https://notes.example.net/reblog/7",
        author_photo="https://notes.example.net/me.jpg",
    )
    html = client.get(post.get_absolute_url()).content.decode()
    soup = BeautifulSoup(html, "html5lib")
    rows = {
        row.find(class_="reaction-label").text: [  # type: ignore[union-attr]
            a.find(class_="p-name").text  # type: ignore[union-attr]
            for a in row.select("a.face")
        ]
        for row in soup.select(".reaction-row")
    }
    assert rows == {"Liked by": ["Dana Whitlock"], "Reblogged by": ["Workbench Notes"]}
    face = soup.select_one(".reaction-row a.face")
    assert face is not None
    assert set(face["rel"]) == {"nofollow", "ugc"}
    assert [i.text for i in soup.select(".initials")] == ["WN", "DW"]
    # No photo of anyone else's is ever loaded by a reader's browser.
    assert soup.find("img") is None
    assert "me.jpg" not in html
    assert not soup.select("ol.thread > li.response")  # not in the comment thread
    assert soup.select_one("#responses-heading").text.strip() == "2 comments"  # type: ignore[union-attr]


def test_a_webmention_reply_sits_in_the_thread_with_its_source(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    remote(
        comment_on,
        post,
        "reply",
        author_name="Priya <b>Rao</b>",
        body="I *agree*, and <script>alert(1)</script> here is why.",
        source_url="https://www.priya.example.org/replies/9",
    )
    html = client.get(post.get_absolute_url()).content.decode()
    assert active_content(html) == []
    soup = BeautifulSoup(html, "html5lib")
    item = soup.select_one("ol.thread > li.response")
    assert item is not None
    assert item.select_one(".p-name").text == "Priya <b>Rao</b>"  # type: ignore[union-attr]
    via = item.select_one("a.via")
    assert via is not None
    assert via.text == "replied on priya.example.org"
    assert via["href"] == "https://www.priya.example.org/replies/9"
    assert item.find("em") is not None


def test_a_mention_is_an_excerpt_with_its_site(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    remote(
        comment_on,
        post,
        "mention",
        author_name="Tomasz",
        body="[…] as Ada says, prices <i>belong</i> online […]",
        source_title="Tomasz writes — On prices",
        source_url="https://tomasz.example.com/2026/prices",
    )
    soup = BeautifulSoup(client.get(post.get_absolute_url()).content, "html5lib")
    item = soup.select_one("ol.links > li")
    assert item is not None
    assert "Mention from" in item.text
    assert item.select_one(".site").text == "(tomasz.example.com)"  # type: ignore[union-attr]
    assert item.find("i") is None  # the excerpt is text
    assert "<i>belong</i>" in item.select_one("blockquote").text  # type: ignore[union-attr]


def test_reactions_keep_the_page_at_a_constant_number_of_queries(
    client: Client,
    post: Post,
    comment_on: Callable[..., Response],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(12):
        remote(
            comment_on,
            post,
            "like" if n % 2 else "repost",
            author_name=f"Reader {n}",
            source_url=f"https://r{n}.example.net/x",
            ip_address=f"198.51.100.{n}",
        )
    with django_assert_num_queries(5):
        client.get(post.get_absolute_url())
