"""What made the uncached article page quicker (issue #8) must change nothing a
reader sees: the comment form kept once rendered, the neighbours' SQL, the
excerpt's tag stripping and the cheaper time filters are each held to what they
replaced."""

from __future__ import annotations

import datetime
import itertools
import time
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.db.models import Q
from django.template import engines
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.text import Truncator
from pytest_django import DjangoAssertNumQueries

from firsthand.blog import publishing
from firsthand.blog.models import Author, Page, Post
from firsthand.blog.views import article_context
from firsthand.conversation import tickets, views
from firsthand.conversation.forms import ResponseForm
from firsthand.conversation.models import Response
from firsthand.conversation.templatetags import response_form
from firsthand.rendering import plain_excerpt, render_post, sanitize_post_html
from tests.conftest import THREE_OPINIONS
from tests.conversation.threads import grow

HOSTILE = "\"><script>alert('typed')</script> & Zoë"


def typed_form(post: Post, **fields: str) -> dict[str, str]:
    """A rejected comment (no email), with a ticket issued half a minute ago."""
    data = {
        "author_name": f"Mallory {HOSTILE}",
        "author_email": "",
        "author_url": "https://mallory.example/typed",
        "author_title": f"Typed title {HOSTILE}",
        "body": f"Typed body {HOSTILE}",
        "notify_post": "on",
        "leave_blank": "",
        "ticket": tickets.issue(now=time.time() - 30),
    }
    data.update(fields)
    return data


def form_of(html: bytes | str) -> str:
    form = BeautifulSoup(html, "html5lib").find("form", id="respond")
    assert form is not None
    return str(form)


# --- The blank comment form, rendered once per process ----------------------------


@pytest.fixture
def no_kept_forms() -> None:
    response_form._blank.clear()


@pytest.mark.django_db
@pytest.mark.usefixtures("no_kept_forms")
def test_a_kept_blank_form_is_what_rendering_it_writes(post: Post) -> None:
    context = {"post": post, "form": ResponseForm(), "respond_url": "/respond/1/"}
    first = render_to_string("conversation/_form.html", context)
    assert len(response_form._blank) == 1
    again = render_to_string(
        "conversation/_form.html", {**context, "form": ResponseForm()}
    )
    assert again == first
    fresh = render_to_string(response_form.FIELDS_TEMPLATE, {"form": ResponseForm()})
    assert fresh in first


@pytest.mark.django_db
@pytest.mark.usefixtures("no_kept_forms")
def test_what_one_reader_typed_never_reaches_the_next(
    client: Client, post: Post
) -> None:
    url = post.get_absolute_url()
    before = form_of(client.get(url).content)
    rejected = client.post(
        reverse("conversation:respond", kwargs={"post_id": post.pk}),
        typed_form(post),
    )
    assert rejected.status_code == 400
    soup = BeautifulSoup(rejected.content, "html5lib")
    # The one who typed gets it all back, with the error and the focus.
    name = soup.find("input", attrs={"name": "author_name"})
    assert name is not None
    assert name["value"] == f"Mallory {HOSTILE}"
    assert soup.find("input", attrs={"name": "author_email"}).has_attr("autofocus")  # type: ignore[union-attr]
    assert soup.find("textarea", attrs={"name": "body"}).text.strip() == (  # type: ignore[union-attr]
        f"Typed body {HOSTILE}"
    )
    assert soup.find("input", attrs={"name": "notify_post"}).has_attr("checked")  # type: ignore[union-attr]
    # Everyone after sees the blank form, exactly as before.
    after = form_of(Client().get(url).content)
    assert after == before
    for kept in response_form._blank.values():
        assert "Mallory" not in kept
        assert "Typed" not in kept
        assert "autofocus" not in kept
        assert "aria-invalid" not in kept


@pytest.mark.django_db
@pytest.mark.usefixtures("no_kept_forms")
def test_a_rejected_form_is_rendered_afresh_and_never_kept(
    client: Client, post: Post
) -> None:
    client.get(post.get_absolute_url())
    kept = dict(response_form._blank)
    rejected = client.post(
        reverse("conversation:respond", kwargs={"post_id": post.pk}),
        typed_form(post),
    )
    assert rejected.status_code == 400
    assert "Mallory" in form_of(rejected.content)
    assert response_form._blank == kept


def test_only_a_form_with_nothing_of_a_person_s_is_blank() -> None:
    assert ResponseForm().is_blank()
    assert not ResponseForm(initial={"in_reply_to": 3}).is_blank()
    assert not ResponseForm({}).is_blank()
    assert not ResponseForm({"author_name": "Bob"}).is_blank()


@pytest.mark.django_db
@pytest.mark.usefixtures("no_kept_forms")
def test_the_kept_form_follows_the_length_setting(client: Client, post: Post) -> None:
    url = post.get_absolute_url()
    assert "Up to 20,000 characters" in form_of(client.get(url).content)
    with override_settings(FIRSTHAND_RESPONSE_MAX_CHARS=500):
        shown = form_of(client.get(url).content)
    assert "Up to 500 characters" in shown
    assert 'data-max-chars="500"' in shown
    assert "Up to 20,000 characters" in form_of(client.get(url).content)


@pytest.mark.django_db
@pytest.mark.usefixtures("no_kept_forms")
def test_the_reply_page_renders_its_form_every_time(
    client: Client, post: Post, comment_on: Callable[..., object]
) -> None:
    comment_on(post, body=THREE_OPINIONS[0])
    page = client.get(f"{post.get_absolute_url()}reply/1/")
    assert page.status_code == 200
    assert response_form._blank == {}  # it has an initial value: not blank
    field = BeautifulSoup(page.content, "html5lib").find(
        "input", attrs={"name": "in_reply_to"}
    )
    assert field is not None
    assert field["value"] == "1"


@pytest.mark.django_db
@pytest.mark.usefixtures("no_kept_forms")
def test_every_reader_gets_the_same_blank_form_and_no_one_changes_it(
    client: Client, post: Post
) -> None:
    views._blank_forms.clear()
    url = post.get_absolute_url()
    before = form_of(client.get(url).content)
    blank = views.blank_form()
    assert views.blank_form() is blank
    assert blank.is_blank()
    fields = {name: dict(field.widget.attrs) for name, field in blank.fields.items()}
    rejected = client.post(
        reverse("conversation:respond", kwargs={"post_id": post.pk}),
        typed_form(post),
    )
    assert rejected.status_code == 400
    assert "autofocus" in form_of(rejected.content)
    # The rejected form was its own: the blank one is as it was, and so is the page.
    assert views.blank_form() is blank
    assert blank.is_blank()
    assert not blank.errors
    assert {n: dict(f.widget.attrs) for n, f in blank.fields.items()} == fields
    assert form_of(Client().get(url).content) == before


@pytest.mark.django_db
def test_the_blank_form_follows_the_length_setting() -> None:
    views._blank_forms.clear()
    assert views.blank_form().max_chars == 20_000
    with override_settings(FIRSTHAND_RESPONSE_MAX_CHARS=500):
        assert views.blank_form().max_chars == 500
        assert "Up to 500 characters" in str(
            views.blank_form().fields["body"].help_text
        )
    assert views.blank_form().max_chars == 20_000


# --- The article's neighbours in time ---------------------------------------------


def shown(post: Post | None) -> tuple[object, ...] | None:
    if post is None:
        return None
    return (post.pk, post.title, post.slug, post.published_at, post.kind)


@pytest.mark.django_db
def test_neighbours_in_time_through_ties_drafts_schedules_and_pages(
    ada: Author, make_post: Callable[..., Post]
) -> None:
    moment = timezone.now() - datetime.timedelta(days=3, microseconds=1234)
    tied = [
        publishing.publish_post(
            Post(title=f"Tied {n}", body="Same second.", author=ada), at=moment
        )
        for n in range(3)
    ]
    posts = [
        make_post("Oldest", days_ago=30),
        *tied,
        make_post("Yesterday", days_ago=1),
        make_post("An hour ago", days_ago=1 / 24),
    ]
    make_post("Draft", draft=True)
    scheduled = make_post("Tomorrow", days_ago=-1)
    publishing.publish_page(Page(title="About", body="A page.", author=ada))
    # In time, ties by id: drafts, pages and what is not out yet are skipped.
    for older, newer in itertools.pairwise(posts):
        assert shown(article_context(older)["newer"]) == shown(newer)
        assert shown(article_context(newer)["older"]) == shown(older)
    assert article_context(posts[0])["older"] is None
    assert article_context(posts[-1])["newer"] is None  # not the scheduled one
    assert article_context(scheduled)["older"] is None  # not public yet: no links
    assert [shown(article_context(p)["newer"]) for p in tied] == [
        shown(tied[1]),
        shown(tied[2]),
        shown(posts[4]),
    ]


@pytest.mark.django_db
def test_the_article_links_its_neighbours_in_five_queries(
    client: Client,
    make_post: Callable[..., Post],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    older = make_post("Older & wiser", days_ago=3)
    post = make_post("Middle", days_ago=2)
    post.tags.set([publishing.tag_named("frames"), publishing.tag_named("prices")])
    newer = make_post("Newer <one>", days_ago=1)
    with django_assert_num_queries(5):
        page = client.get(post.get_absolute_url())
    soup = BeautifulSoup(page.content, "html5lib")
    prev, following = soup.select_one("a[rel=prev]"), soup.select_one("a[rel=next]")
    assert prev is not None
    assert following is not None
    assert prev["href"] == older.get_absolute_url()
    assert prev.text == "← Older & wiser"
    assert following["href"] == newer.get_absolute_url()
    assert following.text == "Newer <one> →"
    author = soup.select_one("a.p-author")
    assert author is not None
    assert author["href"] == post.author.get_absolute_url()
    meta = soup.find("meta", attrs={"property": "article:author"})
    assert meta is not None
    assert meta["content"] == f"http://testserver{post.author.get_absolute_url()}"


# --- The thread's rows (the OR split for the index) and the post's tags ------------


def orm_thread_rows(post: Post, page: int, size: int) -> list[Response]:
    """The page's rows as conversation.views read them before issue #8 (the post
    and status outside the OR, which read the whole thread)."""
    first, last = (page - 1) * size + 1, page * size
    on_page = Q(root_ordinal__gte=first, root_ordinal__lte=last)
    if page == 1:
        on_page |= Q(root_ordinal__isnull=True)
    return list(
        Response.objects.visible()
        .filter(on_page, post=post)
        .order_by("path", "number")
        .only(*views._SHOWN)
    )


def as_read(row: Response) -> tuple[object, ...]:
    values = tuple(getattr(row, name) for name in ("pk", *views._SHOWN))
    return (*values, frozenset(row.get_deferred_fields()))


@pytest.mark.django_db
def test_thread_rows_are_the_orm_s_on_every_page(
    make_post: Callable[..., Post],
) -> None:
    post, other = make_post("Threaded"), make_post("Another post")
    # 1 2(<-1) 3 4(<-3) 5 6 7(<-1) 8 9 10(<-9) 11 12; two conversations a page
    rows = grow(post, [None, 1, None, 3, None, None, 1, None, None, 9, None, None])
    grow(other, [None, 1, None])  # another post's thread stays out
    by_number = {r.number: r for r in rows}
    for number, status in ((5, "pending"), (6, "spam"), (11, "removed")):
        Response.objects.filter(pk=by_number[number].pk).update(status=status)
    Response.objects.filter(pk=by_number[2].pk).update(
        edited_at=timezone.now(), author_url="https://two.example", body="<b>&</b>"
    )
    for number, kind in ((8, Response.Kind.PINGBACK), (12, Response.Kind.LIKE)):
        Response.objects.filter(pk=by_number[number].pk).update(
            kind=kind, path="", root_ordinal=None, source_url="https://e.example/"
        )
    for page in (1, 2, 3, 4):
        got = views._thread_rows(post, page, 2)
        expected = orm_thread_rows(post, page, 2)
        assert [as_read(r) for r in got] == [as_read(r) for r in expected], page
        assert all(r.post is post for r in got)
    numbers = [[r.number for r in views._thread_rows(post, n, 2)] for n in (1, 2, 3, 4)]
    # Links and reactions first (no path), on page 1 only; held, spam and removed
    # responses nowhere.
    assert numbers == [[8, 12, 1, 2, 7, 3, 4], [], [9, 10], []]


@pytest.mark.django_db
def test_tags_are_the_orm_s_in_the_same_order(make_post: Callable[..., Post]) -> None:
    post, other = make_post("Tagged"), make_post("Also tagged")
    post.tags.set([publishing.tag_named(n) for n in ("Zebra", "apple", "Mango", "b")])
    other.tags.set([publishing.tag_named("Zebra"), publishing.tag_named("other")])
    for shown_post in (post, other, make_post("Untagged")):
        tags = article_context(shown_post)["tags"]
        expected = list(shown_post.tags.all())
        assert [(t.pk, t.name, t.slug) for t in tags] == [
            (t.pk, t.name, t.slug) for t in expected
        ]


# --- The excerpt's tags, dropped without an HTML parser ---------------------------

POSTS = [
    "Fish & chips <3, and 3 > 2.",
    '*A* [link](https://example.com/?a=1&b=2 "title > with <angles>") here.',
    '<abbr title="a > b">AB</abbr> and <span class="p-name">x</span>',
    "Line one  \nline two\n\n> quoted `code <b>` &amp; &copy; &#8212; &nbsp;",
    '<img src="https://example.com/a.png" alt="x > y"> <!-- a comment --> after',
    "<script>alert(1)</script><style>p{}</style>Text after **bold**.",
    "| a | b |\n|---|---|\n| <1> | &lt;2&gt; |",
    "word " * 60,
    "",
    # The cut falls on a word that already ends with the ellipsis: none is added.
    "One two three four five… six seven, and " + "more " * 40,
    "exactly five words here now",
]


def strip_tags_excerpt(html: str, words: int = 40) -> str:
    """``plain_excerpt`` as it was, with Django's HTML parser."""
    text = " ".join(unescape(strip_tags(html)).split())
    return Truncator(text).words(words, truncate="…")


@pytest.mark.parametrize("markdown", POSTS)
@pytest.mark.parametrize("words", [0, 5, 40])
def test_the_excerpt_is_what_strip_tags_gave(markdown: str, words: int) -> None:
    for html in (render_post(markdown), sanitize_post_html(markdown)):
        assert plain_excerpt(html, words=words) == strip_tags_excerpt(html, words)


# --- Times, as the date filter wrote them -----------------------------------------

MOMENTS = [
    datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 7, 2, 8, 5, 9, 123456, tzinfo=datetime.UTC),
    datetime.datetime(2009, 3, 1, 0, 0, tzinfo=datetime.UTC),
]


def test_time_filters_write_what_the_date_filter_wrote() -> None:
    engine = engines["django"]
    old = engine.from_string(
        '{{ m|date:\'c\' }}|{{ m|date:"j F Y, H:i" }}|{{ m|date:"j F Y" }}|'
        "{{ none|date:'c' }}"
    )
    new = engine.from_string(
        "{% load times %}{{ m|machine_time }}|{{ m|shown_time }}|{{ m|shown_date }}|"
        "{{ none|machine_time }}"
    )
    for moment in MOMENTS:
        for zone in ("UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Kolkata"):
            for language in ("en", "de", "fr"):
                with timezone.override(zone), translation.override(language):
                    context = {"m": moment, "none": None}
                    assert new.render(context) == old.render(context)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
@pytest.mark.parametrize("page", [1, 2])
def test_a_thread_page_is_read_through_the_index_not_the_whole_thread(
    make_post: Callable[..., Post], page: int
) -> None:
    post = make_post()
    sql, params = views._thread_query(post, page, 100).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "(post_id=? AND status=? AND root_ordinal" in plan, plan
    assert "SCAN firsthand_conversation_response" not in plan, plan


def test_the_site_address_and_endpoints_are_worked_out_once_per_request(
    rf: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from firsthand import site
    from firsthand.crosstalk import advertise

    settings.FIRSTHAND_SITE_URL = ""
    request = rf.get("/", HTTP_HOST="127.0.0.1")
    asked: list[str] = []
    real_get_host = request.get_host

    def get_host() -> str:
        asked.append("host")
        return str(real_get_host())

    monkeypatch.setattr(request, "get_host", get_host)
    first = advertise.endpoints(request)
    assert advertise.endpoints(request) is first
    assert site.absolute("/feed/", request) == "http://127.0.0.1/feed/"
    assert first.webmention == "http://127.0.0.1/webmention/"
    assert asked == ["host"]
    other = rf.get("/", HTTP_HOST="localhost")  # another request, its own answer
    assert site.site_url(other) == "http://localhost"
