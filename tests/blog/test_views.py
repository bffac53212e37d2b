from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.views.defaults import server_error

from firsthand.blog import publishing
from firsthand.blog.models import Post

pytestmark = pytest.mark.django_db


def titles(client: Client, url: str) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200, url
    soup = BeautifulSoup(page.content, "html5lib")
    return [h2.text.strip() for h2 in soup.select(".post-summary h2")]


def test_home_lists_published_posts_newest_first(
    client: Client, make_post: Callable[..., Post]
) -> None:
    make_post("Old", days_ago=10)
    make_post("New", days_ago=1)
    make_post("Draft", draft=True)
    make_post("Future", days_ago=-1)
    assert titles(client, "/") == ["New", "Old"]


@override_settings(FIRSTHAND_POSTS_PER_PAGE=2)
def test_home_paginates(client: Client, make_post: Callable[..., Post]) -> None:
    for n in range(5):
        make_post(f"P{n}", days_ago=10 - n)
    assert titles(client, "/") == ["P4", "P3"]
    assert titles(client, "/?page=3") == ["P0"]
    assert client.get("/?page=4").status_code == 404
    assert client.get("/?page=x").status_code == 404


def test_home_shows_counts_and_links(client: Client, post: Post) -> None:
    page = client.get("/")
    soup = BeautifulSoup(page.content, "html5lib")
    link = soup.select_one(".post-summary h2 a")
    assert link is not None
    assert link["href"] == post.get_absolute_url()
    assert "0 comments" in soup.select_one(".post-summary .meta").text  # type: ignore[union-attr]


def test_home_runs_a_constant_number_of_queries(
    client: Client, make_post: Callable[..., Post], django_assert_num_queries: object
) -> None:
    for n in range(8):
        post = make_post(f"P{n}")
        post.tags.set([publishing.tag_named(f"tag{n}"), publishing.tag_named("all")])
    with django_assert_num_queries(3):  # type: ignore[operator]
        client.get("/")  # count + posts + tags


def test_year_month_and_day_archives(
    client: Client, make_post: Callable[..., Post]
) -> None:
    post = make_post("Archived", days_ago=40)
    make_post("Other month", days_ago=1)
    assert post.published_at is not None
    day = post.published_at.date()
    year = reverse("blog:year", kwargs={"year": day.year})
    month = reverse("blog:month", kwargs={"year": day.year, "month": day.month})
    day_url = reverse(
        "blog:day", kwargs={"year": day.year, "month": day.month, "day": day.day}
    )
    assert month == f"/{day.year}/{day.month:02d}/"
    assert "Archived" in titles(client, year)
    # 40 days apart: always different months.
    assert titles(client, month) == ["Archived"]
    assert titles(client, day_url) == ["Archived"]
    assert client.get("/1999/").status_code == 404
    assert client.get("/1999/01/").status_code == 404
    index = client.get(reverse("blog:archive"))
    assert month.encode() in index.content


def test_tag_pages(client: Client, make_post: Callable[..., Post]) -> None:
    tagged = make_post("Tagged")
    make_post("Untagged")
    draft = make_post("Draft tagged", draft=True)
    tag = publishing.tag_named("Pricing")
    tagged.tags.add(tag)
    draft.tags.add(tag)
    assert titles(client, tag.get_absolute_url()) == ["Tagged"]
    index = client.get(reverse("blog:tags"))
    assert b"Pricing</a> (1)" in index.content
    assert client.get("/tags/no-such-tag/").status_code == 404


def test_prev_and_next_links(client: Client, make_post: Callable[..., Post]) -> None:
    first = make_post("First", days_ago=3)
    second = make_post("Second", days_ago=2)
    third = make_post("Third", days_ago=1)
    make_post("Draft in between", draft=True)
    soup = BeautifulSoup(client.get(second.get_absolute_url()).content, "html5lib")
    assert soup.select_one("a[rel=prev]")["href"] == first.get_absolute_url()  # type: ignore[index]
    assert soup.select_one("a[rel=next]")["href"] == third.get_absolute_url()  # type: ignore[index]
    soup = BeautifulSoup(client.get(third.get_absolute_url()).content, "html5lib")
    assert soup.select_one("a[rel=next]") is None


def test_404_page_is_ours(client: Client, db: None) -> None:
    page = client.get("/nothing/here/")
    assert page.status_code == 404
    assert b"There is nothing at this address" in page.content


def test_500_page_renders_without_context(rf: RequestFactory) -> None:
    reply = server_error(rf.get("/"))
    assert reply.status_code == 500
    assert b"Something went wrong" in reply.content
    assert "your text should still be in the form" in render_to_string("500.html")


def test_no_dead_links_on_the_demo_pages(client: Client, db: None) -> None:
    """Every internal link on every page we can reach answers (no dead ends)."""
    call_command("demo", verbosity=0)
    seen: set[str] = set()
    queue = ["/"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        if not page["Content-Type"].startswith("text/html"):
            continue  # a feed, the sitemap: it answers, and has no <a> to follow
        soup = BeautifulSoup(page.content, "html5lib")
        for a in soup.find_all("a", href=True):
            href = str(a["href"]).split("#")[0]
            if href.startswith("/") and not href.startswith(("/admin/", "/static/")):
                queue.append(href)
    assert len(seen) > 15


def test_scheduled_post_becomes_visible_when_its_time_comes(
    client: Client, make_post: Callable[..., Post]
) -> None:
    post = make_post("Tomorrow", days_ago=-1)
    assert client.get(post.get_absolute_url()).status_code == 404
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=2)
    with time_machine.travel(later):
        assert client.get(post.get_absolute_url()).status_code == 200
