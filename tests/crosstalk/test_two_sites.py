"""Two real Firsthand sites on loopback talk to each other (issue 5, point 8).

Each site is its own ``firsthand serve`` and ``firsthand worker``, with its own data
folder and port; the only setting that differs from a public install is
FIRSTHAND_FETCH_ALLOW naming the other site's loopback address.
"""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.durability.conftest import on_postgresql
from tests.sites import Site, eventually

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        on_postgresql(),
        reason="runs once per CI, in the SQLite pass: its sites run on SQLite "
        "whatever the suite's database is (tests/sites.py)",
    ),
]

SETUP = """
from django.contrib.auth.models import User
from firsthand.blog import publishing
from firsthand.blog.models import Author, Post
user = User.objects.create_user({username!r})
author = Author.objects.create(user=user, slug={username!r}, display_name={name!r})
"""

PUBLISH = """
import datetime
from django.utils import timezone
from firsthand.blog import publishing
from firsthand.blog.models import Author, Post
post = publishing.publish_post(
    Post(title={title!r}, body={body!r}, author=Author.objects.get(slug={author!r})),
    at=timezone.now() - datetime.timedelta(minutes=5),
)
print(post.get_absolute_url())
"""


@pytest.fixture(scope="module")
def sites(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Site, Site, Site]]:
    """A and B with their workers; C has none, so it sends nothing by itself and a
    test can ping B by pingback or trackback in its name."""
    root = tmp_path_factory.mktemp("two-sites")
    a = Site(Path(root / "a"))
    b = Site(Path(root / "b"))
    c = Site(Path(root / "c"), worker=False)
    a.allow, b.allow = [b.host_port], [a.host_port, c.host_port]
    with a, b, c:
        a.python(SETUP.format(username="ada", name="Ada of Site A"))
        b.python(SETUP.format(username="bo", name="Bo of Site B"))
        c.python(SETUP.format(username="cy", name="Cy of Site C"))
        yield a, b, c


def publish(site: Site, author: str, title: str, body: str) -> str:
    return site.python(PUBLISH.format(title=title, body=body, author=author)).strip()


def page(site: Site, path: str) -> BeautifulSoup:
    reply = httpx.get(site.url + path, timeout=10)
    assert reply.status_code == 200, (path, reply.status_code)
    return BeautifulSoup(reply.text, "html5lib")


def links_on(site: Site, path: str) -> list[str]:
    return [
        str(a["href"])
        for a in page(site, path).select("ol.links a.u-url, .reaction-row a.face")
    ]


def test_a_mention_a_reblog_and_an_edit_travel_between_two_sites(
    sites: tuple[Site, Site, Site],
) -> None:
    a, b, _ = sites
    b_path = publish(b, "bo", "Prices on the wall", "We print our prices. Should you?")
    a_path = publish(
        a,
        "ada",
        "Answering Bo about prices",
        f"Bo [asks whether to print prices]({b.url}{b_path}); I think yes, mostly.",
    )

    # A published a post linking to B's post: B shows it, verified by B's worker.
    eventually(
        lambda: f"{a.url}{a_path}" in links_on(b, b_path),
        what=f"B to show A's mention\nA:\n{a.logs()}\nB:\n{b.logs()}",
    )
    item = page(b, b_path).select_one("ol.links > li")
    assert item is not None
    assert "Answering Bo about prices" in item.text
    assert "127.0.0.1" in item.select_one(".site").text  # type: ignore[union-attr]

    # B reblogs A's post: A shows "Reblogged by" Bo.
    b.python(
        "from firsthand.blog.models import Author\n"
        "from firsthand.crosstalk.reblog import publish_reblog, read_citation\n"
        f"citation = read_citation({a.url + a_path!r})\n"
        "publish_reblog(Author.objects.get(slug='bo'), citation,"
        " title='Ada on prices', own_words='Worth reading.')\n"
    )
    eventually(
        lambda: any(
            row.select_one(".reaction-label").text == "Reblogged by"  # type: ignore[union-attr]
            and "Bo of Site B" in row.text
            for row in page(a, a_path).select(".reaction-row")
        ),
        what=f"A to show B's reblog\nA:\n{a.logs()}\nB:\n{b.logs()}",
    )

    # A edits the link away: B's worker re-checks the source and takes it down.
    # (B checks one source and target at most once a minute, so this takes a while.)
    a.python(
        "from firsthand.blog import publishing\n"
        "from firsthand.blog.models import Post\n"
        "post = Post.objects.get(title='Answering Bo about prices')\n"
        "post.body = 'On reflection, I will not link to anyone today.'\n"
        "publishing.save_post(post)\n"
    )
    eventually(
        lambda: f"{a.url}{a_path}" not in links_on(b, b_path),
        seconds=150,
        what=f"B to drop A's mention\nA:\n{a.logs()}\nB:\n{b.logs()}",
    )


def test_pingback_and_trackback_between_two_sites(
    sites: tuple[Site, Site, Site],
) -> None:
    _, b, a = sites  # site C, which sends nothing by itself, plays the linking site
    b_path = publish(b, "bo", "Frames and glass", "Which glass do you use?")
    pinger = publish(
        a, "cy", "Glass, a reply by pingback", f"About [Bo's glass]({b.url}{b_path})."
    )
    tracker = publish(
        a, "cy", "Glass, a reply by trackback", f"More on [glass]({b.url}{b_path})."
    )
    # B's discovery, as a pingback client reads it: the X-Pingback header.
    xmlrpc_url = httpx.get(b.url + b_path, timeout=10).headers["X-Pingback"]
    server = xmlrpc.client.ServerProxy(xmlrpc_url)
    answer = server.pingback.ping(a.url + pinger, b.url + b_path)
    assert "received" in str(answer).lower()
    # TrackBack: the URL B's page names, form-encoded, with the XML answer.
    trackback_url = page(b, b_path).find(
        string=lambda text: text is not None and "trackback:ping" in text
    )
    assert trackback_url is not None
    ping = str(trackback_url).split('trackback:ping="')[1].split('"')[0]
    reply = httpx.post(
        ping,
        data={
            "url": a.url + tracker,
            "title": "Glass, a reply by trackback",
            "excerpt": "More on glass",
            "blog_name": "Site A",
        },
        timeout=10,
    )
    assert "<error>0</error>" in reply.text
    eventually(
        lambda: {a.url + pinger, a.url + tracker} <= set(links_on(b, b_path)),
        what=f"B to show the pingback and the trackback\nB:\n{b.logs()}",
    )
    kinds = [
        li.find(class_="kind").text  # type: ignore[union-attr]
        for li in page(b, b_path).select("ol.links > li")
    ]
    assert any("Pingback" in k for k in kinds)
    assert any("Trackback" in k for k in kinds)
