"""Reblogs: the way out to a reader's site, the prefilled draft, publishing it.

The original post is served by a real HTTP server on loopback (allowed by
FIRSTHAND_FETCH_ALLOW, watched by a socket guard); ada is the reblogging author.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import mf2py  # type: ignore[import-untyped]
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission, User
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from firsthand.blog.models import Author, Post
from firsthand.conversation.models import Response
from firsthand.crosstalk import reblog
from firsthand.crosstalk.models import Outbound
from tests.loopback import LoopbackServer, Reply, Seen, SocketGuard

SITE = "https://ada.example"
WORDS = " ".join(f"word{n}" for n in range(1, 81))

ORIGINAL = f"""<!doctype html>
<html><head><title>Carol's workshop: prices</title></head><body>
<header class="h-card"><a class="u-url p-name" href="/">Carol's workshop</a></header>
<article class="h-entry">
  <h1 class="p-name">Why I publish my prices &amp; more</h1>
  <p>By <a class="p-author h-card" href="/about">Carol Mendes</a></p>
  <div class="e-content"><p>{WORDS}</p><p>A <script>last</script> paragraph.</p></div>
  <a class="u-url" href="/2026/06/prices">Permalink</a>
</article></body></html>"""


def page(html: str, **headers: str) -> Reply:
    return Reply(
        200, html.encode(), {"Content-Type": "text/html; charset=utf-8", **headers}
    )


@dataclasses.dataclass
class Carol:
    """Carol's site: the post to reblog, and a Webmention endpoint that records."""

    pages: dict[str, Reply]
    server: LoopbackServer = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.server = LoopbackServer(self)

    def __call__(self, seen: Seen) -> Reply:
        if seen.method == "POST":
            return Reply(202) if seen.path == "/webmention" else Reply(404)
        return self.pages.get(seen.path, Reply(404, b"no such page"))

    def url(self, path: str) -> str:
        return self.server.url(path)

    def webmentions(self) -> list[dict[str, str]]:
        return [
            dict(parse_qsl(s.body.decode()))
            for s in self.server.seen
            if s.method == "POST" and s.path == "/webmention"
        ]


@pytest.fixture
def carol(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Iterator[Carol]:
    guard = SocketGuard()
    guard.install(monkeypatch.setattr)
    advertised = page(ORIGINAL, Link='</webmention>; rel="webmention"')
    carol = Carol(pages={"/2026/06/prices": advertised, "/plain": page("<p>x</p>")})
    with carol.server:
        guard.allow(carol.server)
        settings.FIRSTHAND_FETCH_ALLOW = [carol.server.host_port]
        settings.FIRSTHAND_SITE_URL = SITE
        yield carol
    assert guard.blocked == []


@pytest.fixture
def on_commit(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> Callable[[], Any]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- The way out: reblog_address and the "out" view -----------------------------------

POST_URL = "https://ada.example/2026/07/02/prices/"
QUERY = urlencode({"url": POST_URL})


@pytest.mark.parametrize(
    ("typed", "address"),
    [
        ("my-site.example", f"https://my-site.example/reblog/?{QUERY}"),
        ("  https://My-Site.example/  ", f"https://my-site.example/reblog/?{QUERY}"),
        (
            "http://my-site.example:8080/some/path?next=https://evil.example#top",
            f"http://my-site.example:8080/reblog/?{QUERY}",
        ),
        (
            "HTTPS://blog.example/reblog/?url=https://elsewhere.example",
            f"https://blog.example/reblog/?{QUERY}",
        ),
        ("https://exämple.example", f"https://xn--exmple-cua.example/reblog/?{QUERY}"),
        ("http://[::1]:8000/", f"http://[::1]:8000/reblog/?{QUERY}"),
        ("127.0.0.1:8001", f"https://127.0.0.1:8001/reblog/?{QUERY}"),
    ],
)
def test_the_way_out_keeps_only_scheme_host_and_port(typed: str, address: str) -> None:
    assert reblog.reblog_address(typed, POST_URL) == address


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type your site's address"),
        ("   ", "Type your site's address"),
        ("javascript:alert(1)", "not a web address"),
        ("ftp://files.example", "should start with https://"),
        ("https://ada:secret@my-site.example", "user name or password"),
        ("https://evil.example\\@good.example", "user name or password"),
        ("//evil.example", "not a web address"),
        ("https://exa mple.example", "not a web address"),
        ("https://my-site.example:99999", "not a web address"),
        ("https://-bad-.example", "not a web address"),
    ],
)
def test_the_way_out_refuses_what_is_not_a_site(typed: str, message: str) -> None:
    with pytest.raises(reblog.ReblogError, match=message):
        reblog.reblog_address(typed, POST_URL)


@pytest.mark.django_db
def test_the_form_on_our_page_redirects_to_the_readers_reblog_page(
    client: Client, post: Post
) -> None:
    out = reverse("reblog:out", kwargs={"post_id": post.pk})
    answer = client.get(
        out,
        {"site": "https://bob.example/anything?x=1"},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert answer.status_code == 302
    post_url = "http://testserver" + post.get_absolute_url()
    assert answer["Location"] == (
        "https://bob.example/reblog/?" + urlencode({"url": post_url})
    )
    # Browsers without Fetch Metadata: our own page as the Referer counts too.
    referred = client.get(
        out, {"site": "bob.example"}, HTTP_REFERER="http://testserver/2026/"
    )
    assert referred.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "none"},  # typed or pasted into the address bar
        {"HTTP_REFERER": "https://evil.example/phish"},
        {},
    ],
)
def test_a_link_made_elsewhere_asks_before_leaving(
    client: Client, post: Post, headers: dict[str, str]
) -> None:
    """No open redirect: a link to ``out`` on someone else's page gets a page that
    names the destination instead of sending the reader there."""
    out = reverse("reblog:out", kwargs={"post_id": post.pk})
    answer = client.get(out, {"site": "evil.example"}, **headers)  # type: ignore[arg-type]
    assert answer.status_code == 200
    soup = BeautifulSoup(answer.content, "html.parser")
    go = soup.find("a", string="Continue to evil.example")
    assert go is not None
    assert str(go["href"]).startswith("https://evil.example/reblog/?url=")


@pytest.mark.django_db
def test_a_bad_address_comes_back_with_what_was_typed(
    client: Client, post: Post
) -> None:
    out = reverse("reblog:out", kwargs={"post_id": post.pk})
    answer = client.get(
        out, {"site": "ftp://<b>files</b>"}, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert answer.status_code == 400
    soup = BeautifulSoup(answer.content, "html.parser")
    assert "should start with https://" in soup.select_one(".errors").text  # type: ignore[union-attr]
    field = soup.find("input", attrs={"name": "site"})
    assert field is not None
    assert field["value"] == "ftp://<b>files</b>"
    assert "<b>files" not in answer.content.decode()


@pytest.mark.django_db
def test_drafts_cannot_be_reblogged(
    client: Client, make_post: Callable[..., Post]
) -> None:
    draft = make_post(draft=True)
    out = reverse("reblog:out", kwargs={"post_id": draft.pk})
    assert client.get(out, {"site": "bob.example"}).status_code == 404


# --- The block under the article ------------------------------------------------------


@pytest.mark.django_db
def test_the_copy_and_paste_quote_is_escaped_and_attributes_the_post(
    make_post: Callable[..., Post], settings: Settings
) -> None:
    settings.FIRSTHAND_SITE_URL = SITE
    post = make_post(
        "Prices </textarea><script>alert(1)</script>",
        body="Publish them. <b>Really</b> & always.",
    )
    request = RequestFactory().get(post.get_absolute_url())
    html = render_to_string(
        "crosstalk/_reblog.html", {"post": post, "request": request}
    )
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None
    assert soup.select_one("form")["action"] == reverse(  # type: ignore[index]
        "reblog:out", kwargs={"post_id": post.pk}
    )
    textarea = soup.find("textarea")
    assert textarea is not None
    assert textarea.has_attr("readonly")
    assert "&lt;div class=&quot;h-cite u-repost-of&quot;&gt;" in html
    quote = textarea.text  # the HTML a reader copies
    parsed = mf2py.parse(doc=quote, url="https://reader.example/")
    cite = parsed["items"][0]
    assert cite["type"] == ["h-cite"]
    assert cite["properties"]["url"] == [SITE + post.get_absolute_url()]
    assert cite["properties"]["name"] == [post.title]
    author = cite["properties"]["author"][0]["properties"]
    assert author == {
        "name": ["Ada Quill"],
        "url": [SITE + post.author.get_absolute_url()],
    }
    assert cite["properties"]["content"] == ["Publish them. Really & always."]


@pytest.mark.django_db
def test_the_block_is_only_under_public_posts(make_post: Callable[..., Post]) -> None:
    draft = make_post(draft=True)
    html = render_to_string("crosstalk/_reblog.html", {"post": draft})
    assert html.strip() == ""


# --- Who may compose ------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_people_are_sent_to_log_in(client: Client) -> None:
    answer = client.get(reverse("reblog:compose"), {"url": "https://x.example/"})
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("admin:login") + "?next=/reblog/")


@pytest.mark.django_db
@pytest.mark.parametrize("staff", [False, True])
def test_people_who_may_not_add_posts_are_refused(client: Client, staff: bool) -> None:
    """bob, a reader with an account, and a staff member without "add post"."""
    user = User.objects.create_user("bob", "bob@example.org", "pw", is_staff=staff)
    client.force_login(user)
    assert client.get(reverse("reblog:compose")).status_code == 403
    assert client.post(reverse("reblog:compose"), {"title": "x"}).status_code == 403


@pytest.mark.django_db
def test_staff_with_the_permission_may(client: Client) -> None:
    user = User.objects.create_user("eve", "eve@example.org", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_post"))
    client.force_login(user)
    answer = client.get(reverse("reblog:compose"))
    assert answer.status_code == 200
    # No author profile yet: the page says how to get one.
    assert reverse("admin:firsthand_blog_author_add") in answer.content.decode()


# --- The draft ------------------------------------------------------------------------


def test_the_citation_comes_from_the_h_entry() -> None:
    citation = reblog.citation_from_page(
        "https://carol.example/2026/06/prices", ORIGINAL
    )
    assert citation == reblog.Citation(
        url="https://carol.example/2026/06/prices",
        title="Why I publish my prices & more",
        author_name="Carol Mendes",
        author_url="https://carol.example/about",
        excerpt=" ".join(WORDS.split()[:60]) + " …",
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # No h-entry: the page's title, the host as the author.
        (
            "<title> Notes  from a bench </title><p>Hello.</p>",
            reblog.Citation(
                url="https://www.bench.example/n/1",
                title="Notes from a bench",
                author_name="bench.example",
            ),
        ),
        # An implied name (the whole text) is no title; the author as plain text.
        (
            '<title>Note</title><div class="h-entry"><span class="p-author">Dee</span>'
            '<p class="p-content">Short note.</p></div>',
            reblog.Citation(
                url="https://www.bench.example/n/1",
                title="Note",
                author_name="Dee",
                excerpt="Short note.",
            ),
        ),
        # A u-url on another site is not trusted: the page's own address is used.
        (
            '<div class="h-entry"><h1 class="p-name">Hi</h1>'
            '<a class="u-url" href="https://elsewhere.example/x">x</a>'
            '<a class="u-author h-card" href="https://dee.example/">Dee</a></div>',
            reblog.Citation(
                url="https://www.bench.example/n/1",
                title="Hi",
                author_name="Dee",
                author_url="https://dee.example/",
            ),
        ),
    ],
)
def test_the_citation_of_pages_with_less_markup(
    html: str, expected: reblog.Citation
) -> None:
    assert reblog.citation_from_page("https://www.bench.example/n/1", html) == expected


@pytest.mark.django_db
def test_the_compose_page_is_prefilled_from_the_original(
    carol: Carol, ada_client: Client
) -> None:
    original = carol.url("/2026/06/prices")
    answer = ada_client.get(reverse("reblog:compose"), {"url": original})
    assert answer.status_code == 200
    form = answer.context["form"]
    assert form.initial == {
        "url": original,
        "title": "Reblog: Why I publish my prices & more",
        "excerpt": " ".join(WORDS.split()[:60]) + " …",
        "source_title": "Why I publish my prices & more",
        "author_name": "Carol Mendes",
        "author_url": carol.url("/about"),
    }
    soup = BeautifulSoup(answer.content, "html.parser")
    preview = soup.select_one(".reblog-preview .h-cite.u-repost-of")
    assert preview is not None
    assert preview.select_one("a.u-url.p-name")["href"] == original  # type: ignore[index]
    assert preview.select_one(".p-author.h-card").text == "Carol Mendes"  # type: ignore[union-attr]
    assert soup.find("script") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "message"),
    [("/missing", "it answered 404")],
)
def test_a_page_that_cannot_be_read_is_explained(
    carol: Carol, ada_client: Client, path: str, message: str
) -> None:
    url = carol.url(path)
    answer = ada_client.get(reverse("reblog:compose"), {"url": url})
    assert answer.status_code == 200
    soup = BeautifulSoup(answer.content, "html.parser")
    assert message in soup.select_one(".errors").text  # type: ignore[union-attr]
    assert soup.find("input", attrs={"name": "url"})["value"] == url  # type: ignore[index]
    assert "form" not in answer.context or answer.context["form"] is None


@pytest.mark.django_db
def test_an_internal_address_is_never_fetched(
    carol: Carol, ada_client: Client, settings: Settings
) -> None:
    settings.FIRSTHAND_FETCH_ALLOW = []
    answer = ada_client.get(
        reverse("reblog:compose"), {"url": carol.url("/2026/06/prices")}
    )
    assert "loopback" in answer.content.decode()
    assert carol.server.hits == 0


# --- Publishing -----------------------------------------------------------------------


def compose_fields(carol: Carol, **changes: str) -> dict[str, str]:
    fields = {
        "url": carol.url("/2026/06/prices"),
        "title": "Carol on prices",
        "own_words": "She is *right*.",
        "excerpt": "Publish your prices.",
        "source_title": "Why I publish my prices",
        "author_name": "Carol Mendes",
        "author_url": carol.url("/about"),
    }
    return {**fields, **changes}


@pytest.mark.django_db
def test_publishing_a_reblog_makes_a_public_post_and_tells_the_original(
    carol: Carol, ada_client: Client, on_commit: Callable[[], Any]
) -> None:
    with on_commit():
        answer = ada_client.post(reverse("reblog:compose"), compose_fields(carol))
    post = Post.objects.get(title="Carol on prices")
    assert answer.status_code == 302
    assert answer["Location"] == post.get_absolute_url()
    assert post.is_public
    soup = BeautifulSoup(post.body_html, "html.parser")
    link = soup.find("a", href=carol.url("/2026/06/prices"))
    assert link is not None
    assert link.text == "Why I publish my prices"
    assert soup.find("blockquote").text == "Publish your prices."  # type: ignore[union-attr]
    assert soup.find("em").text == "right"  # type: ignore[union-attr]
    # The original's site hears of it by Webmention (and so does its author's page).
    assert carol.webmentions() == [
        {
            "source": SITE + post.get_absolute_url(),
            "target": carol.url("/2026/06/prices"),
        }
    ]
    assert Outbound.objects.filter(post=post, status="sent").count() == 1


@pytest.mark.django_db
def test_the_published_reblog_keeps_its_microformats(
    carol: Carol, ada_client: Client, client: Client
) -> None:
    ada_client.post(reverse("reblog:compose"), compose_fields(carol))
    post = Post.objects.get(title="Carol on prices")
    assert 'class="h-cite u-repost-of"' in post.body_html
    article = client.get(post.get_absolute_url())
    parsed = mf2py.parse(
        doc=article.content.decode(), url=SITE + post.get_absolute_url()
    )
    entry = next(i for i in parsed["items"] if "h-entry" in i["type"])
    repost = entry["properties"]["repost-of"][0]
    assert repost["value"] == carol.url("/2026/06/prices")
    assert repost["properties"]["author"][0]["properties"]["name"] == ["Carol Mendes"]


@pytest.mark.django_db
def test_a_rejected_reblog_keeps_everything_typed(
    carol: Carol, ada_client: Client
) -> None:
    fields = compose_fields(carol, title="", author_url="javascript:alert(1)")
    answer = ada_client.post(reverse("reblog:compose"), fields)
    assert answer.status_code == 400
    assert not Post.objects.exists()
    form = answer.context["form"]
    assert set(form.errors) == {"title", "author_url"}
    soup = BeautifulSoup(answer.content, "html.parser")
    assert soup.find("textarea", attrs={"name": "own_words"}).text.strip() == (  # type: ignore[union-attr]
        "She is *right*."
    )
    # The preview shows what the form says, without the unsafe address.
    assert 'href="javascript' not in answer.content.decode()


@pytest.mark.django_db
def test_reblogging_a_post_of_this_site_goes_straight_to_its_thread(
    post: Post, settings: Settings, on_commit: Callable[[], Any]
) -> None:
    settings.FIRSTHAND_SITE_URL = SITE
    user = User.objects.create_user("dee", "dee@example.com", "pw", is_staff=True)
    dee = Author.objects.create(user=user, slug="dee", display_name="Dee Writer")
    citation = reblog.Citation(
        url=SITE + post.get_absolute_url(), title=post.title, author_name="Ada Quill"
    )
    with on_commit():
        mine = reblog.publish_reblog(dee, citation, title="Ada is right", own_words="")
    response = Response.objects.get(post=post)
    assert (response.kind, response.source) == ("repost", "reblog")
    assert response.author_name == "Dee Writer"
    assert response.source_url == SITE + mine.get_absolute_url()
    assert not Outbound.objects.exists()  # nothing sent over HTTP to ourselves
