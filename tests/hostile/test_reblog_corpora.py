"""Every hostile string as what a reblogged page says of itself, and out through
every place a reblog's derived fields are shown (issue #9 point 3, the corpus test
of tests/hostile/test_corpora.py for reblogs).

In: a source page on a loopback server (tests/crosstalk/receiving.py's ``remote``:
FIRSTHAND_FETCH_ALLOW names only it, a socket guard refuses anything else) that
puts the string in its ``<title>``, its h-entry's name, its author's name and web
address, its own address (``u-url``) and its content (as text, then as the page's
own markup). ada reblogs it the way the product does: the compose page
(``GET /reblog/?url=…``) fetches the page and derives the citation, and the form
it shows is sent back as a browser would send it (a field the form refuses is
cleared and the form sent again, as the author would).

Every other page is served at a stranger's address, the others at the address of
one of the site's own posts (FIRSTHAND_SITE_URL is the loopback server): reblogging
those is a same-site reblog, which lands on that post's thread as a "Reblogged by"
response through intake, titled with the derived title.

Out: the compose page (its preview and form) and a refused form, each reblog's
article page, the home page listing them all, the posts feeds and ada's author
feeds (RSS, Atom, JSON Feed: XML parsed, every entry's HTML checked), and for the
reblogged post its article page, every moderation tab and its response feeds. Every
HTML output goes through the parser-based oracle (tests/oracle.py).
"""

from __future__ import annotations

from html import escape

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from firsthand.syndication import feeds
from tests.crosstalk.receiving import Source, guard, remote
from tests.hostile.corpora import MARKDOWN_VECTORS, naughty_strings, sanitizer_vectors
from tests.hostile.test_corpora import (
    ONCE_PER_CI,
    check_clean,
    check_feeds,
    check_queue,
    check_response_feeds,
)

__all__ = ["guard", "remote"]  # fixtures

pytestmark = pytest.mark.django_db

# What the author puts back when the form refuses a derived field (the form says
# which): the page's own address for the original's, nothing for its author's.
SAFE = {"author_url": "", "title": "A reblog", "source_title": "A page"}


def source_page(text: str) -> str:
    """A page saying ``text`` of itself wherever a reblog reads."""
    shown, address = escape(text), escape(text[:200])
    return f"""<!doctype html>
<html><head><title>{shown}</title></head><body>
<article class="h-entry">
<h1 class="p-name">{shown}</h1>
<p>By <a class="p-author h-card" href="https://carol.example.net/?q={address}">{
        escape(text[:100])
    }</a></p>
<a class="u-url" href="?q={address}">Permalink</a>
<div class="e-content"><p>{shown}</p>
{text}</div>
</article></body></html>"""


def _form_fields(page: str) -> dict[str, str]:
    """The compose form's fields as a browser sends them."""
    soup = BeautifulSoup(page, "html.parser")  # the oracle has had html5lib's look
    form = soup.select_one("form.reblog-compose")
    assert form is not None
    fields = {str(i["name"]): str(i.get("value", "")) for i in form.select("input")}
    fields.update({str(t["name"]): t.text for t in form.select("textarea")})
    return fields


def _reblog(
    ada_client: Client, address: str, label: str, labels: dict[str, str]
) -> Post:
    """Read the page at ``address`` on the compose page, publish what it shows."""
    compose = ada_client.get(reverse("reblog:compose"), {"url": address})
    assert compose.status_code == 200, label
    html = compose.content.decode()
    check_clean(html, f"the compose page of {label}", labels)
    assert compose.context["error"] == "", (label, compose.context["error"])
    fields = _form_fields(html)
    answer = ada_client.post(reverse("reblog:compose"), fields)
    if answer.status_code == 400:
        check_clean(answer.content.decode(), f"the refused form of {label}", labels)
        refused = answer.context["form"].errors
        safe = {**SAFE, "url": address}
        assert set(refused) <= set(safe), (label, refused)
        fields.update({name: safe[name] for name in refused})
        answer = ada_client.post(reverse("reblog:compose"), fields)
    assert answer.status_code == 302, (label, answer.status_code)
    published = Post.objects.latest("pk")
    assert answer["Location"] == published.get_absolute_url(), label
    return published


def _markdown_vectors() -> list[tuple[str, str]]:
    vectors = [v for v in sanitizer_vectors() if v[0].startswith("markdown")]
    assert len(vectors) == len(MARKDOWN_VECTORS)
    return vectors


# Each corpus, and how many strings it has at the least. The Markdown vectors run in
# the fast tier, the rest in the slow one (as in tests/hostile/test_corpora.py).
CORPORA = {
    "markdown": (_markdown_vectors, 50),
    "sanitizers": (sanitizer_vectors, 350),
    "naughty strings": (naughty_strings, 450),
}


@pytest.mark.parametrize(
    "corpus",
    [
        "markdown",
        pytest.param("sanitizers", marks=[pytest.mark.slow, ONCE_PER_CI]),
        pytest.param("naughty strings", marks=pytest.mark.slow),
    ],
)
def test_hostile_pages_reblogged_and_shown_everywhere(
    corpus: str,
    client: Client,
    ada_client: Client,
    post: Post,
    remote: Source,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    strings, least = CORPORA[corpus]
    vectors = strings()
    assert len(vectors) > least
    settings.FIRSTHAND_SITE_URL = remote.url("").rstrip("/")
    # One loopback host serves every page; its per-host budget (30 a minute) would
    # make the compose page refuse the 31st.
    settings.FIRSTHAND_OUTBOUND_PER_HOST_PER_MINUTE = 100_000
    settings.FIRSTHAND_POSTS_PER_PAGE = 5000
    monkeypatch.setattr(feeds, "POSTS_PER_FEED", 5000)
    labels = dict(vectors)
    own = post.get_absolute_url()
    reblogs = []
    for n, (label, text) in enumerate(vectors):
        # Every other page at the address of our own post: a same-site reblog.
        path = own if n % 2 else f"/notes/{n}"
        address = remote.page(path, source_page(text))
        reblogs.append(_reblog(ada_client, address, label, labels))
    reposts = Response.objects.filter(post=post, kind=Response.Kind.REPOST)
    assert reposts.count() == len(vectors) // 2

    for reblog in reblogs:
        shown = client.get(reblog.get_absolute_url())
        assert shown.status_code == 200
        check_clean(shown.content.decode(), f"the reblog {reblog.title!r}", labels)
    home = client.get(reverse("blog:home"))
    check_clean(home.content.decode(), "the home page", labels)
    for name, kwargs in (("posts", {}), ("author", {"slug": post.author.slug})):
        urls = [
            reverse(f"syndication:{name}-{fmt}", kwargs=kwargs or None)
            for fmt in ("rss", "atom")
        ]
        # Only the site's posts have a JSON Feed; the author's are the same posts.
        items = check_feeds(client, urls, reverse("syndication:posts-json"), labels)
        assert items == len(reblogs) + 1

    # The reblogged post: its "Reblogged by" row, the queue, its response feeds.
    original = client.get(post.get_absolute_url())
    check_clean(original.content.decode(), "the reblogged post", labels)
    check_queue(ada_client, labels, monkeypatch)
    check_response_feeds(client, post, labels, monkeypatch)
