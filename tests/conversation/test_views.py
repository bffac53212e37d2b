"""The article page, its thread and the comment form, through HTTP."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from firsthand.blog.models import Author, Post
from firsthand.blog.publishing import tag_named
from firsthand.conversation import moderation, tickets
from firsthand.conversation.models import Response
from firsthand.rendering import clean_text
from tests.conftest import THREE_OPINIONS
from tests.oracle import active_content
from tests.testdata import shared_file

pytestmark = pytest.mark.django_db


def form_data(post: Post | None = None, **fields: str) -> dict[str, str]:
    """What a browser sends, with a form ticket issued half a minute ago."""
    data = {
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        "author_url": "",
        "author_title": "",
        "body": "Framing is *hard*.",
        "leave_blank": "",
    }
    if post is not None:
        data["ticket"] = tickets.issue(now=time.time() - 30)
    data.update(fields)
    return data


def respond_url(post: Post) -> str:
    return reverse("conversation:respond", kwargs={"post_id": post.pk})


def soup_of(client: Client, url: str) -> BeautifulSoup:
    page = client.get(url)
    assert page.status_code == 200
    return BeautifulSoup(page.content, "html5lib")


# --- The article page -----------------------------------------------------------


def test_article_shows_post_byline_tags_and_exact_count(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    post.tags.set([tag_named("pricing"), tag_named("customers")])
    for text in THREE_OPINIONS:
        comment_on(post, body=text)
    moderation.remove(comment_on(post, body="removed one"))
    soup = soup_of(client, post.get_absolute_url())
    article = soup.find("article", class_="post")
    assert article is not None
    assert article.find("h1").text == post.title  # type: ignore[union-attr]
    author_link = article.find("a", class_="p-author")
    assert author_link is not None
    assert author_link["href"] == post.author.get_absolute_url()
    time = article.find("time")
    assert time is not None
    assert time["datetime"].startswith(str(post.published_at.date()))  # type: ignore[union-attr]
    assert {a.text for a in article.select("a[rel=tag]")} == {"pricing", "customers"}
    count_link = article.find("a", href="#responses")
    assert count_link is not None
    assert count_link.text.strip() == "3 comments"
    assert soup.find("h2", id="responses-heading").text.strip() == "3 comments"  # type: ignore[union-attr]


def test_thread_items_are_numbered_anchored_dated_and_never_show_email(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    comment_on(
        post,
        author_name="Ingrid Solberg",
        author_email="ingrid@example.com",
        author_url="https://ingrid.example.com",
        author_title="Quality Manager",
    )
    comment_on(post, author_name="Owen", author_email="owen@example.net")
    html = client.get(post.get_absolute_url()).content.decode()
    assert "ingrid@example.com" not in html
    assert "owen@example.net" not in html
    soup = BeautifulSoup(html, "html5lib")
    items = soup.select("ol.thread > li.response")
    assert [li["id"] for li in items] == ["comment-1", "comment-2"]
    assert [li.select_one("a.number").text for li in items] == ["#1", "#2"]  # type: ignore[union-attr]
    first = items[0]
    link = first.select_one(".p-author a")
    assert link is not None
    assert link["href"] == "https://ingrid.example.com"
    assert set(link["rel"]) == {"nofollow", "ugc"}
    assert "Quality Manager" in first.select_one(".affiliation").text  # type: ignore[union-attr]
    assert first.find("time")["datetime"]  # type: ignore[index]
    assert items[1].select_one(".p-author a") is None  # no website, no link


def test_pingbacks_are_set_apart_as_excerpts_with_their_source(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    comment_on(post)
    comment_on(
        post,
        kind="pingback",
        author_name="Workbench Notes",
        author_email="",
        body="[…] prices <b>online</b> […]",
        source_url="https://notes.example.net/prices",
        source_title="Workbench Notes — Prices",
    )
    soup = soup_of(client, post.get_absolute_url())
    links = soup.select("ol.links > li")
    assert len(links) == 1
    assert links[0]["id"] == "comment-2"
    source = links[0].select_one("a.u-url")
    assert source is not None
    assert source["href"] == "https://notes.example.net/prices"
    assert source.text == "Workbench Notes — Prices"
    assert "prices <b>online</b>" in links[0].select_one("blockquote").text  # type: ignore[union-attr]
    assert links[0].find("b") is None
    assert len(soup.select("ol.thread:not(.links) > li")) == 1


def test_hidden_responses_are_not_shown(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    moderation.mark_spam(comment_on(post, body="Buy cheap frames at spam.example"))
    moderation.remove(comment_on(post, body="Removed text"))
    held = comment_on(post, body="Held text")
    moderation.hold(held)
    html = client.get(post.get_absolute_url()).content.decode()
    for text in ("spam.example", "Removed text", "Held text"):
        assert text not in html
    assert "No comments yet" in html


def test_article_with_unknown_slug_is_404_and_wrong_date_redirects(
    client: Client, post: Post
) -> None:
    url = post.get_absolute_url()
    assert (
        client.get(url.replace(f"/{post.slug}/", "/no-such-post/")).status_code == 404
    )
    year = url.split("/")[1]
    wrong = url.replace(f"/{year}/", f"/{int(year) - 1}/", 1)
    # Old WordPress links carry the old site's date (tests/blog/test_legacy_urls.py).
    moved = client.get(wrong)
    assert (moved.status_code, moved["Location"]) == (301, url)


def test_drafts_are_404_for_readers_and_visible_to_staff(
    client: Client, ada_client: Client, make_post: Callable[..., Post]
) -> None:
    draft = make_post("Secret draft", draft=True)
    assert client.get(draft.get_absolute_url()).status_code == 404
    page = ada_client.get(draft.get_absolute_url())
    assert page.status_code == 200
    assert b"only staff can see this page" in page.content
    assert b"Comments are closed" in page.content  # no form on a draft


def test_page_makes_no_third_party_requests_and_sends_a_strict_policy(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    comment_on(post, author_url="https://bob.example.org")
    page = client.get(post.get_absolute_url())
    soup = BeautifulSoup(page.content, "html5lib")
    for tag in soup.find_all(["link", "script", "img", "iframe", "style"]):
        for attr in ("href", "src"):
            value = tag.get(attr)
            if value:
                assert str(value).startswith(("/", "http://testserver/")), tag
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy


# --- The comment form -----------------------------------------------------------


def test_posting_a_comment_redirects_to_its_permalink(
    client: Client, post: Post
) -> None:
    reply = client.post(respond_url(post), form_data(post))
    assert reply.status_code == 302
    assert reply["Location"] == f"{post.get_absolute_url()}#comment-1"
    post.refresh_from_db()
    assert post.response_count == 1
    page = client.get(post.get_absolute_url())
    assert b"Framing is <em>hard</em>." in page.content


def test_get_on_the_form_endpoint_goes_back_to_the_article(
    client: Client, post: Post
) -> None:
    reply = client.get(respond_url(post))
    assert reply.status_code == 302
    assert reply["Location"] == f"{post.get_absolute_url()}#respond"


def test_an_empty_email_comes_back_with_every_field_as_typed(
    client: Client, post: Post
) -> None:
    typed = form_data(
        post,
        author_email="",
        author_url="https://bob.example.org",
        author_title="Head of <Support> & Co",
        body='Line one\r\n\r\n"Quoted" <b>bold</b> & naïve — 😀\r\n',
    )
    reply = client.post(respond_url(post), typed)
    assert reply.status_code == 400
    soup = BeautifulSoup(reply.content, "html5lib")
    assert "email address" in soup.select_one(".invalid .error").text  # type: ignore[union-attr]
    email = soup.find("input", attrs={"name": "author_email"})
    assert email is not None
    assert email.has_attr("autofocus")  # the cursor lands where the fix is
    # Hint and error are tied to the field for screen readers.
    for ref in str(email["aria-describedby"]).split():
        assert soup.find(id=ref) is not None, ref
    assert "Never shown" in soup.find(id=email["aria-describedby"].split()[0]).text  # type: ignore[union-attr]
    assert soup.select_one("[role=alert]") is not None
    form = soup.find("form", id="respond")
    assert form is not None
    for name in ("author_name", "author_url", "author_title"):
        assert form.find("input", attrs={"name": name})["value"] == typed[name]  # type: ignore[index]
    textarea = form.find("textarea", attrs={"name": "body"})
    assert textarea is not None
    # Browsers normalise CRLF; the text is otherwise exactly what was typed.
    assert textarea.text.strip("\n") == typed["body"].replace("\r\n", "\n").strip("\n")
    assert not Response.objects.exists()


def test_an_overlong_comment_is_refused_with_its_length_and_kept(
    client: Client, post: Post, settings: object
) -> None:
    text = "word " * 4_001  # 20,005 characters
    reply = client.post(respond_url(post), form_data(post, body=text))
    assert reply.status_code == 400
    soup = BeautifulSoup(reply.content, "html5lib")
    error = soup.select_one(".invalid .error")
    assert error is not None
    assert "20,004" in error.text or "20,005" in error.text
    assert "20,000" in error.text
    textarea = soup.find("textarea", attrs={"name": "body"})
    assert textarea is not None
    assert textarea.text.strip() == text.strip()
    assert not textarea.has_attr("maxlength")  # a browser would cut a paste short
    assert "Up to 20,000 characters" in soup.select_one("#respond").text  # type: ignore[union-attr]


def test_every_error_at_once_keeps_every_field(client: Client, post: Post) -> None:
    typed = form_data(
        post, author_name="", author_email="bad", author_url="javascript:x", body=""
    )
    reply = client.post(respond_url(post), typed)
    assert reply.status_code == 400
    soup = BeautifulSoup(reply.content, "html5lib")
    invalid = {p.find(["input", "textarea"])["name"] for p in soup.select(".invalid")}  # type: ignore[index]
    assert invalid == {"author_name", "author_email", "author_url", "body"}
    assert soup.find("input", attrs={"name": "author_email"})["value"] == "bad"  # type: ignore[index]


def test_csrf_is_enforced_and_the_text_is_handed_back(post: Post) -> None:
    strict = Client(enforce_csrf_checks=True)
    reply = strict.post(respond_url(post), form_data(post, body="My <precious> words"))
    assert reply.status_code == 403
    soup = BeautifulSoup(reply.content, "html5lib")
    textarea = soup.find("textarea")
    assert textarea is not None
    assert textarea.text == "My <precious> words"
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("referer", "back"),
    [
        ("http://testserver/2026/07/02/post/", "http://testserver/2026/07/02/post/"),
        ("https://evil.example/?testserver", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_the_csrf_page_links_back_only_to_this_site(
    post: Post, referer: str, back: str
) -> None:
    strict = Client(enforce_csrf_checks=True)
    reply = strict.post(respond_url(post), form_data(post), HTTP_REFERER=referer)
    soup = BeautifulSoup(reply.content, "html5lib")
    link = soup.find("a", string="Go back")
    assert link is not None
    assert link["href"] == back


def test_the_ticket_cookie_from_the_page_lets_the_comment_through(
    post: Post,
) -> None:
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(post.get_absolute_url())
    cookie = page.cookies[tickets.COOKIE]
    assert cookie["samesite"] == "Strict"
    assert cookie["httponly"]
    # The page carries no per-reader token: it is the same for every reader.
    assert b"csrfmiddlewaretoken" not in page.content
    data = {k: v for k, v in form_data(post).items() if k != "ticket"}
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=40)):
        reply = browser.post(respond_url(post), data)
    assert reply.status_code == 302
    assert Response.objects.get().status == Response.Status.VISIBLE


@pytest.mark.parametrize("origin", ["https://evil.example", "http://testserver.evil"])
def test_a_post_from_another_site_is_refused_even_with_the_cookie(
    client: Client, post: Post, origin: str
) -> None:
    reply = client.post(respond_url(post), form_data(post), HTTP_ORIGIN=origin)
    assert reply.status_code == 403
    assert not Response.objects.exists()
    same = client.post(
        respond_url(post), form_data(post), HTTP_ORIGIN="http://testserver"
    )
    assert same.status_code == 302


def test_no_comments_on_a_draft_even_by_direct_post(
    client: Client, make_post: Callable[..., Post]
) -> None:
    draft = make_post("Draft", draft=True)
    assert client.post(respond_url(draft), form_data(draft)).status_code == 404
    assert not Response.objects.exists()


def test_hostile_names_websites_and_bodies_are_escaped(
    client: Client, post: Post
) -> None:
    attacks = [
        '<script>alert("name")</script>',
        '"><img src=x onerror=alert(1)>',
        "javascript:alert(1)",
        "<a href=\"javascript:alert('x')\">click</a>",
        "[click](javascript:alert(1)) <svg onload=alert(1)>",
        "<iframe src=//evil.example></iframe>",
    ]
    for attack in attacks:
        client.post(
            respond_url(post),
            form_data(
                post,
                author_name=attack[:100],
                author_title=attack[:100],
                author_url="https://ok.example.org/?q=" + attack,
                body=attack,
            ),
        )
    page = client.get(post.get_absolute_url()).content.decode()
    assert active_content(page) == []


def test_naughty_strings_through_the_form_break_nothing(
    client: Client, post: Post, settings: Settings
) -> None:
    settings.FIRSTHAND_THREAD_PAGE_SIZE = 1000  # every response on one page
    naughty = [
        line
        for line in shared_file("blns/blns.txt").read_text(encoding="utf-8").split("\n")
        if line and not line.startswith("#")
    ]
    assert len(naughty) > 500
    accepted = 0
    for n, text in enumerate(naughty):
        typed = form_data(
            post,
            author_name=text[:100],
            author_title=text[:100],
            body=text,
            author_email=f"reader{n}@example.org",
        )
        # Each string from its own reader, so the duplicate rules stay out of it.
        reply = client.post(respond_url(post), typed, REMOTE_ADDR=f"192.0.2.{n % 250}")
        assert reply.status_code in {302, 400}, (text, reply.status_code)
        if reply.status_code == 302:
            accepted += 1
            stored = Response.objects.latest("pk")
            assert reply["Location"].endswith(f"#{stored.anchor}")
            assert stored.body == clean_text(text).strip("\n")
        else:
            # Refused (a name or body that is only spaces): every field comes back.
            soup = BeautifulSoup(reply.content, "html5lib")
            area = soup.find("textarea", attrs={"name": "body"})
            assert area is not None
            assert area.text.strip("\n") == clean_text(text).strip("\n")
            assert active_content(reply.content.decode()) == []
    assert accepted > 450
    page = client.get(post.get_absolute_url())
    html = page.content.decode()
    assert active_content(html) == []
    soup = BeautifulSoup(html, "html5lib")
    visible = Response.objects.visible().filter(post=post).count()
    held = soup.select("li.response-pending")  # this browser's own held ones
    assert len(soup.select("li.response")) == visible + len(held)
    assert visible > 400


def test_author_page_lists_their_posts(client: Client, ada: Author, post: Post) -> None:
    soup = soup_of(client, ada.get_absolute_url())
    assert soup.find("h1").text == "Ada Quill"  # type: ignore[union-attr]
    assert post.title in soup.text
