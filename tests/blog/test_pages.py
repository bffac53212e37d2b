"""Pages ("About", "About / Team"): their addresses, conversation, admin and sitemap."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from firsthand.blog import publishing
from firsthand.blog.models import Author, Page, Post
from firsthand.conversation import tickets
from firsthand.conversation.models import Response
from tests.conftest import THREE_OPINIONS
from tests.syndication.test_sitemaps import at, read_sitemap

pytestmark = pytest.mark.django_db

MakePage = Callable[..., Post]


@pytest.fixture
def make_page(ada: Author) -> MakePage:
    """Publish a page through ``publishing``; ``draft=True`` leaves it a draft."""

    def make(
        title: str,
        *,
        slug: str = "",
        parent: Post | None = None,
        body: str = "We make *frames* by hand.",
        comments_open: bool = False,
        draft: bool = False,
    ) -> Post:
        page = Page(
            title=title,
            slug=slug,
            parent=parent,
            body=body,
            author=ada,
            comments_open=comments_open,
        )
        if draft:
            return publishing.save_page(page)
        return publishing.publish_page(page)

    return make


@pytest.fixture
def about(make_page: MakePage) -> Post:
    return make_page("About the workshop", slug="about", comments_open=True)


def soup_of(client: Client, url: str) -> BeautifulSoup:
    reply = client.get(url)
    assert reply.status_code == 200, url
    return BeautifulSoup(reply.content, "html5lib")


def aged_ticket() -> str:
    """A form ticket as if the page had been read half a minute ago."""
    return tickets.issue(now=time.time() - 30)


def send_form(client: Client, url: str, **fields: str) -> tuple[str, int]:
    """Fill in the comment form as shown at ``url`` and send it; the redirect
    target and the number of hidden and visible fields the page offered."""
    form = soup_of(client, url).find("form", id="respond")
    assert form is not None, "no comment form"
    data = {
        str(field["name"]): str(field.get("value", ""))
        for field in form.find_all(["input", "textarea"])
        if field.get("name") and field.get("type") != "checkbox"
    }
    # The page handed out a form ticket; the person writes for half a minute.
    assert tickets.COOKIE in client.cookies
    data["ticket"] = aged_ticket()
    data.update({"author_name": "Bob Reader", "author_email": "bob@example.org"})
    data.update(fields)
    reply = client.post(str(form["action"]).split("#")[0], data)
    errors = BeautifulSoup(reply.content, "html5lib").select_one(".errors")
    assert reply.status_code == 302, errors.get_text() if errors else reply.status_code
    return reply["Location"], len(data)


# --- Addresses -------------------------------------------------------------------


def test_a_page_and_its_child_are_at_their_paths(
    client: Client, about: Post, make_page: MakePage
) -> None:
    team = make_page("Who works here", slug="team", parent=about)
    assert about.get_absolute_url() == "/about/"
    assert team.get_absolute_url() == "/about/team/"
    assert reverse("blog:page", kwargs={"path": "about/team"}) == "/about/team/"
    soup = soup_of(client, "/about/team/")
    page = soup.find("article", class_="page")
    assert page is not None
    assert page.find("h1").text == "Who works here"  # type: ignore[union-attr]
    assert page.find("em").text == "frames"  # type: ignore[union-attr]
    # A page is not a post: no byline, date, tags or previous/next.
    assert soup.select(".byline, time.dt-published, a[rel=tag], nav.post-nav") == []
    assert soup_of(client, "/about/").find("h1").text == "About the workshop"  # type: ignore[union-attr]


def test_a_child_is_only_at_its_full_path(
    client: Client, about: Post, make_page: MakePage
) -> None:
    make_page("Team", slug="team", parent=about)
    make_page("Contact", slug="contact")
    for wrong in ("/team/", "/contact/team/", "/team/about/", "/about/team/x/"):
        assert client.get(wrong).status_code == 404, wrong


def test_unknown_addresses_are_404_and_a_missing_slash_is_added(
    client: Client, about: Post
) -> None:
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/no/such/page/").status_code == 404
    # Not a page's shape: answered 404 at once, not redirected to "/favicon.ico/".
    assert client.get("/favicon.ico").status_code == 404
    added = client.get("/about")
    assert (added.status_code, added["Location"]) == (301, "/about/")
    assert client.get("/archive").status_code == 301  # other routes keep theirs


def test_drafts_are_404_for_readers_and_shown_to_staff(
    client: Client, ada_client: Client, about: Post, make_page: MakePage
) -> None:
    draft = make_page("Prices", slug="prices", draft=True)
    hidden_parent = make_page("Jobs", slug="jobs", draft=True)
    under_draft = make_page("Apprentices", slug="apprentices", parent=hidden_parent)
    for page in (draft, under_draft):
        assert client.get(page.get_absolute_url()).status_code == 404
        shown = ada_client.get(page.get_absolute_url())
        assert shown.status_code == 200
    assert b"only staff can see this page" in ada_client.get("/prices/").content


def test_a_post_slug_at_the_root_redirects_to_the_post(
    client: Client, post: Post
) -> None:
    # WordPress sites with "/%postname%/" permalinks had their posts at /slug/.
    moved = client.get(f"/{post.slug}/")
    assert (moved.status_code, moved["Location"]) == (301, post.get_absolute_url())


# --- The conversation on a page ----------------------------------------------------


def test_a_comment_through_the_pages_form_is_shown_numbered(
    client: Client, about: Post
) -> None:
    location, _ = send_form(
        client,
        "/about/",
        ticket=aged_ticket(),
        body="Do you take *apprentices*?",
    )
    assert location == "/about/#comment-1"
    soup = soup_of(client, "/about/")
    item = soup.select_one("li#comment-1")
    assert item is not None
    assert item.select_one("a.number").text == "#1"  # type: ignore[union-attr]
    assert "apprentices" in item.select_one(".e-content").text  # type: ignore[union-attr]
    assert soup.find("h2", id="responses-heading").text.strip() == "1 comment"  # type: ignore[union-attr]
    assert Response.objects.get().post_id == about.pk


def test_replying_on_a_page_through_its_reply_page(
    client: Client, about: Post, make_page: MakePage
) -> None:
    make_page("Team", slug="team", parent=about, comments_open=True)
    send_form(client, "/about/team/", ticket=aged_ticket(), body=THREE_OPINIONS[0])
    reply_link = soup_of(client, "/about/team/").select_one("a.reply-link")
    assert reply_link is not None
    assert reply_link["href"] == "/about/team/reply/1/#respond"
    location, _ = send_form(
        client,
        "/about/team/reply/1/",
        ticket=aged_ticket(),
        author_name="Cleo Visitor",
        author_email="cleo@example.net",
        body=THREE_OPINIONS[1],
    )
    assert location == "/about/team/#comment-2"
    second = Response.objects.get(number=2)
    assert second.parent is not None
    assert second.parent.number == 1
    nested = soup_of(client, "/about/team/").select_one("li#comment-1 ol.replies")
    assert nested is not None
    assert nested.select_one("li#comment-2") is not None


def test_a_page_comment_permalink_finds_it(
    client: Client,
    about: Post,
    comment_on: Callable[..., Response],
    settings: Settings,
) -> None:
    settings.FIRSTHAND_THREAD_PAGE_SIZE = 2
    for text in THREE_OPINIONS:
        comment_on(about, body=text)
    first = client.get("/about/comments/1/")
    assert (first.status_code, first["Location"]) == (302, "/about/#comment-1")
    third = client.get("/about/comments/3/")
    assert (third.status_code, third["Location"]) == (302, "/about/?page=2#comment-3")
    assert soup_of(client, "/about/?page=2").select_one("li#comment-3") is not None
    assert client.get("/about/comments/9/").status_code == 404
    assert client.get("/about/reply/9/").status_code == 404


def test_closed_pages_show_no_form_and_only_a_thread_they_have(
    client: Client, make_page: MakePage, comment_on: Callable[..., Response]
) -> None:
    quiet = make_page("Imprint", slug="imprint")
    soup = soup_of(client, "/imprint/")
    assert soup.find(id="responses") is None
    assert soup.find("form", id="respond") is None
    closed = make_page("Old guestbook", slug="guestbook", comments_open=True)
    comment_on(closed, body=THREE_OPINIONS[2])
    closed.refresh_from_db()
    closed.comments_open = False
    publishing.save_page(closed)
    soup = soup_of(client, "/guestbook/")
    assert soup.select_one("li#comment-1") is not None
    assert soup.find("form", id="respond") is None
    assert "Comments are closed on this page." in soup.get_text()
    assert client.get(quiet.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("count", [0, 20])
def test_page_queries_do_not_grow_with_responses(
    client: Client,
    about: Post,
    comment_on: Callable[..., Response],
    count: int,
    django_assert_num_queries: DjangoAssertNumQueries,
    make_page: MakePage,
) -> None:
    team = make_page("Team", slug="team", parent=about, comments_open=True)
    for _ in range(count):
        comment_on(team)
    # The page with its parents, then the thread.
    with django_assert_num_queries(2):
        reply = client.get("/about/team/")
    assert reply.status_code == 200
    items = BeautifulSoup(reply.content, "html5lib").select("li.response")
    assert len(items) == count


# --- Slugs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Archive", "archive-2"),
        ("Tags", "tags-2"),
        ("Admin", "admin-2"),
        ("Feeds", "feeds-2"),
        ("Moderate", "moderate-2"),
        ("Privacy", "privacy-2"),
        ("Feed", "feed-2"),  # WordPress's old feed address
        ("2024", "2024-2"),  # a year's archive
        ("Static", "static-2"),
        ("Workshop", "workshop"),
    ],
)
def test_a_page_never_takes_one_of_the_sites_addresses(
    client: Client, make_page: MakePage, title: str, expected: str
) -> None:
    page = make_page(title)
    assert page.slug == expected
    shown = client.get(page.get_absolute_url())
    assert shown.status_code == 200
    assert b'class="page h-entry"' in shown.content


def test_a_child_page_never_takes_an_address_below_its_parent(
    about: Post, make_page: MakePage
) -> None:
    assert make_page("Feed", parent=about).slug == "feed-2"  # /about/feed/ is taken
    assert make_page("Reply", parent=about).slug == "reply"  # /about/reply/ is free


def test_page_slugs_are_unique_across_posts_and_pages(
    post: Post, about: Post, make_page: MakePage
) -> None:
    assert make_page("Same", slug=post.slug).slug == f"{post.slug}-2"
    assert make_page("About again", slug="about").slug == "about-2"


def test_the_address_problem_says_what_is_wrong(db: None) -> None:
    problem = publishing.page_address_problem("archive")
    assert problem is not None
    assert "/archive/" in problem
    assert "choose another slug" in problem
    assert publishing.page_address_problem("2019") is not None
    assert publishing.page_address_problem("about") is None
    assert publishing.page_address_problem("about/team") is None


def test_a_page_cannot_sit_under_itself_or_a_post(
    about: Post, post: Post, make_page: MakePage
) -> None:
    team = make_page("Team", parent=about)
    about.parent = team
    with pytest.raises(ValueError, match="cannot sit under itself"):
        publishing.save_page(about)
    with pytest.raises(ValueError, match="is a post"):
        make_page("Under a post", parent=post)


# --- Admin ------------------------------------------------------------------------


def page_form(ada: Author, **fields: str) -> dict[str, str]:
    data = {
        "title": "About the workshop",
        "slug": "",
        "parent": "",
        "author": str(ada.pk),
        "body": "We make **frames**.",
        "body_format": "markdown",
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
        "comments_open": "on",
        "menu_order": "0",
    }
    data.update(fields)
    return data


def test_a_page_written_in_the_admin_is_published_and_previewed(
    client: Client, ada: Author, ada_client: Client, about: Post
) -> None:
    reply = ada_client.post(
        reverse("admin:firsthand_blog_page_add"),
        page_form(ada, title="Our team", parent=str(about.pk)),
    )
    assert reply.status_code == 302, reply.content[:3000]
    team = Page.objects.get(slug="our-team")
    assert team.kind == Post.Kind.PAGE
    assert team.parent_id == about.pk
    assert "<strong>frames</strong>" in team.body_html
    assert client.get("/about/our-team/").status_code == 200
    change = ada_client.get(reverse("admin:firsthand_blog_page_change", args=[team.pk]))
    assert b"<strong>frames</strong>" in change.content
    assert b"/about/our-team/" in change.content


def test_the_admin_refuses_a_reserved_or_taken_slug_and_a_loop(
    ada: Author, ada_client: Client, about: Post, post: Post
) -> None:
    add = reverse("admin:firsthand_blog_page_add")
    for slug, words in (
        ("tags", "/tags/ is where the site keeps its own pages"),
        (post.slug, "already has this slug"),
    ):
        refused = ada_client.post(add, page_form(ada, slug=slug))
        assert refused.status_code == 200
        assert words in refused.content.decode()
    team = publishing.publish_page(
        Page(title="Team", parent=about, body="People.", author=ada)
    )
    loop = ada_client.post(
        reverse("admin:firsthand_blog_page_change", args=[about.pk]),
        page_form(ada, slug="about", parent=str(team.pk)),
    )
    assert loop.status_code == 200
    assert "cannot sit under itself" in loop.content.decode()
    assert Page.objects.count() == 2


def test_the_admin_says_where_a_page_named_like_a_route_went(
    client: Client, ada: Author, ada_client: Client
) -> None:
    reply = ada_client.post(
        reverse("admin:firsthand_blog_page_add"),
        page_form(ada, title="Archive"),
        follow=True,
    )
    assert reply.status_code == 200
    page = Page.objects.get()
    assert page.slug == "archive-2"
    assert "the page is at /archive-2/" in reply.content.decode()
    assert client.get("/archive-2/").status_code == 200
    assert b'class="page h-entry"' not in client.get("/archive/").content


def test_the_admin_lists_pages_and_posts_apart(
    ada_client: Client, about: Post, post: Post
) -> None:
    pages = ada_client.get(reverse("admin:firsthand_blog_page_changelist"))
    posts = ada_client.get(reverse("admin:firsthand_blog_post_changelist"))
    assert pages.status_code == posts.status_code == 200
    assert about.title in pages.content.decode()
    assert post.title not in pages.content.decode()
    assert post.title in posts.content.decode()
    assert about.title not in posts.content.decode()


# --- Sitemap ----------------------------------------------------------------------


def test_the_sitemap_lists_reachable_published_pages(
    client: Client,
    about: Post,
    post: Post,
    make_page: MakePage,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    team = make_page("Team", slug="team", parent=about)
    draft = make_page("Prices", slug="prices", draft=True)
    under_draft = make_page("Rates", slug="rates", parent=draft)
    # One each: list pages, posts and pages, tags, archives.
    with django_assert_num_queries(4):
        entries = read_sitemap(client)
    for shown in (about, team, post):
        assert at(shown.get_absolute_url()) in entries
    for hidden in (draft, under_draft):
        assert at(hidden.get_absolute_url()) not in entries
