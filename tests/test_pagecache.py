"""The whole-page cache, driven through the real WSGI application: what it keeps,
when it lets go, and that no reader ever gets another's page or an old thread."""

from __future__ import annotations

import datetime
import gzip
import io
import os
import subprocess
import sys
import threading
import time
import wsgiref.util
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from firsthand import pagecache
from firsthand.blog import publishing
from firsthand.blog.models import Author, Post
from firsthand.conversation import moderation, tickets
from firsthand.conversation.models import Response
from tests.conftest import ReaderClient

pytestmark = pytest.mark.django_db


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def hit(self) -> bool:
        return self.header("X-Firsthand-Cache") == "hit"

    @property
    def text(self) -> str:
        return self.body.decode()


Get = Callable[..., Answer]


@pytest.fixture
def app() -> pagecache.PageCache:
    return pagecache.PageCache(
        WSGIHandler(), budget=8 * 1024 * 1024, stamps=pagecache.stamps()
    )


@pytest.fixture
def get(app: pagecache.PageCache) -> Get:
    def request(
        path: str,
        *,
        query: str = "",
        cookies: str = "",
        method: str = "GET",
        **headers: str,
    ) -> Answer:
        environ: dict[str, Any] = {}
        wsgiref.util.setup_testing_defaults(environ)
        environ.update(
            REQUEST_METHOD=method,
            PATH_INFO=path,
            QUERY_STRING=query,
            HTTP_HOST="testserver",
            SERVER_NAME="testserver",
            HTTP_COOKIE=cookies,
        )
        environ["wsgi.input"] = io.BytesIO(b"")
        environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
            seen["status"], seen["headers"] = status, headers
            return lambda data: None

        # As Django's test client does: the test's connection must stay open (a
        # real server closes it at the end of each request).
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result: Iterable[bytes] = app(environ, start_response)
            body = b"".join(result)
            close = getattr(result, "close", None)
            if close is not None:
                close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return Answer(seen["status"], seen["headers"], body)

    return request


def committed(capture: DjangoCaptureOnCommitCallbacks) -> Any:
    """Run the block's after-commit work, as a real commit would."""
    return capture(execute=True)


# --- Kept, and answered without the database ------------------------------------


def test_a_second_anonymous_read_is_answered_from_memory(get: Get, post: Post) -> None:
    url = post.get_absolute_url()
    first = get(url)
    assert first.status.startswith("200")
    assert not first.hit
    with CaptureQueriesContext(connection) as queries:
        second = get(url)
    assert second.hit
    assert len(queries) == 0  # no Django view, no database
    assert second.body == first.body
    assert second.header("ETag")
    assert second.header("Link")  # the Webmention endpoint is still advertised
    # The security headers are kept with the page (tests/test_headers.py).
    assert "script-src 'self'" in second.header("Content-Security-Policy")
    assert second.header("X-Content-Type-Options") == "nosniff"


def test_a_bad_host_is_refused_even_when_the_page_is_kept(get: Get, post: Post) -> None:
    # Plan section 0 item 11: Django checks Host only when asked; the cache must
    # not answer for a host the site does not serve (nor keep a page built for it).
    url = post.get_absolute_url()
    assert get(url).status.startswith("200")
    assert get(url).hit
    for host in ("evil.example", "testserver.evil.example", "testserver:80@evil"):
        refused = get(url, host=host)
        assert refused.status.startswith("400"), host
        assert not refused.hit
        assert b"Ada" not in refused.body
    assert get(url).hit  # the real page is still kept


def test_every_reader_gets_the_same_page_and_a_ticket_of_their_own(
    get: Get, post: Post
) -> None:
    get(post.get_absolute_url())
    one, two = get(post.get_absolute_url()), get(post.get_absolute_url())
    assert one.hit
    assert two.hit
    assert one.body == two.body
    assert b"csrfmiddlewaretoken" not in one.body
    cookies = [one.header("Set-Cookie"), two.header("Set-Cookie")]
    assert all(c.startswith(f"{tickets.COOKIE}=") for c in cookies)
    assert all("SameSite=Strict" in c and "HttpOnly" in c for c in cookies)
    assert cookies[0] != cookies[1]


def test_conditional_get_gzip_and_head(get: Get, post: Post) -> None:
    url = post.get_absolute_url()
    plain = get(url)
    etag = get(url).header("ETag")
    assert get(url, if_none_match=etag).status.startswith("304")
    zipped = get(url, accept_encoding="gzip, br")
    assert zipped.header("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    assert "Accept-Encoding" in zipped.header("Vary")
    head = get(url, method="HEAD")
    assert head.hit
    assert head.body == b""
    assert head.header("Content-Length") == str(len(plain.body))


def test_a_feeds_own_etag_stays_its_tag_when_kept(get: Get, post: Post) -> None:
    """A feed reader that got the feed's ETag from Django revalidates against
    the kept copy with it (the same tag, 304), and the gzip twin carries the
    weak form of that tag."""
    feed = f"{post.get_absolute_url()}comments.rss"
    first = get(feed)
    assert not first.hit
    tag = first.header("ETag")
    assert tag
    again = get(feed, if_none_match=tag)
    assert again.hit
    assert again.status.startswith("304")
    assert again.header("ETag") == tag
    zipped = get(feed, accept_encoding="gzip")
    assert zipped.header("ETag") == f"W/{tag}"
    assert get(feed, if_none_match=zipped.header("ETag")).status.startswith("304")


def test_list_pages_and_feeds_are_kept_too(get: Get, post: Post) -> None:
    feed = f"{post.get_absolute_url()}comments.rss"
    for path in ("/", "/archive/", feed, "/feeds/posts.atom"):
        get(path)
        assert get(path).hit, path


# --- Let go at once when what they show changes ------------------------------------


def test_a_new_comment_is_on_the_very_next_read(
    get: Get,
    post: Post,
    comment_on: Callable[..., Response],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    url = post.get_absolute_url()
    feed = f"{url}comments.rss"
    for path in (url, feed, "/"):
        get(path)
    with committed(django_capture_on_commit_callbacks):
        comment_on(post, body="Fresh words about frames.")
    for path in (url, feed):
        answer = get(path)
        assert not answer.hit
        assert "Fresh words about frames." in answer.text
    home = get("/")
    assert not home.hit  # it shows the comment count
    assert get(url).hit


def test_moderation_is_on_the_very_next_read(
    get: Get,
    post: Post,
    comment_on: Callable[..., Response],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with committed(django_capture_on_commit_callbacks):
        shown = comment_on(post, body="Soon to be trashed.")
    url = post.get_absolute_url()
    assert "Soon to be trashed." in get(url).text
    assert get(url).hit
    with committed(django_capture_on_commit_callbacks):
        moderation.remove(shown)
    assert "Soon to be trashed." not in get(url).text
    with committed(django_capture_on_commit_callbacks):
        moderation.approve(Response.objects.get(pk=shown.pk))
    assert "Soon to be trashed." in get(url).text


def test_other_posts_stay_kept_when_one_changes(
    get: Get,
    make_post: Callable[..., Post],
    comment_on: Callable[..., Response],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    one, other = make_post("One"), make_post("Other")
    get(other.get_absolute_url())
    with committed(django_capture_on_commit_callbacks):
        comment_on(one)
    assert get(other.get_absolute_url()).hit


def test_editing_a_post_is_on_the_very_next_read(
    get: Get,
    post: Post,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    get(post.get_absolute_url())
    with committed(django_capture_on_commit_callbacks):
        post.body = "A new *last* paragraph."
        publishing.save_post(post)
    assert "A new <em>last</em> paragraph." in get(post.get_absolute_url()).text


def test_a_page_rendered_while_something_changed_is_not_kept(
    app: pagecache.PageCache, get: Get, post: Post
) -> None:
    inner = app.app

    def changing(environ: dict[str, Any], start_response: Any) -> Any:
        result = inner(environ, start_response)
        pagecache.stamps().bump(["responses"])  # a commit lands meanwhile
        return result

    app.app = changing
    get(post.get_absolute_url())
    app.app = inner
    assert not get(post.get_absolute_url()).hit


def test_a_scheduled_post_appears_at_its_time(
    get: Get,
    ada: Author,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    soon = timezone.now() + datetime.timedelta(minutes=5)
    with committed(django_capture_on_commit_callbacks):
        publishing.publish_post(
            Post(title="Opening hours for winter", author=ada, body="Shorter."),
            at=soon,
        )
    assert "Opening hours for winter" not in get("/").text
    assert get("/").hit
    with time_machine.travel(soon + datetime.timedelta(seconds=1)):
        later = get("/")
    assert not later.hit
    assert "Opening hours for winter" in later.text


# --- Never one person's page for another ---------------------------------------------


def test_a_moderators_page_is_never_kept_or_served(
    get: Get, ada: Author, post: Post
) -> None:
    staff = Client()
    staff.force_login(ada.user)
    session = f"sessionid={staff.cookies['sessionid'].value}"
    mine = get(post.get_absolute_url(), cookies=session)
    assert not mine.hit
    assert "/moderate/" in mine.text  # the moderator's link
    assert not get(post.get_absolute_url(), cookies=session).hit
    anonymous = get(post.get_absolute_url())
    assert not anonymous.hit  # the moderator's page was not kept
    assert "/moderate/" not in anonymous.text


def test_a_commenters_held_comment_is_never_shown_to_others(
    get: Get, post: Post
) -> None:
    get(post.get_absolute_url())
    writer = ReaderClient()
    body = "See https://one.example.org and https://two.example.org for frames."
    data = {
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        "body": body,
        "leave_blank": "",
        "ticket": tickets.issue(now=timezone.now().timestamp() - 30),
    }
    assert writer.post(f"/respond/{post.pk}/", data).status_code == 302
    assert Response.objects.get().status == Response.Status.PENDING
    cookie = f"firsthand_mine={writer.cookies['firsthand_mine'].value}"
    theirs = get(post.get_absolute_url(), cookies=cookie)
    assert not theirs.hit
    assert "awaiting moderation" in theirs.text
    others = get(post.get_absolute_url())
    assert "awaiting moderation" not in others.text
    assert "one.example.org" not in others.text


def test_the_view_marks_no_personal_page(ada: Author, post: Post) -> None:
    staff = Client()
    staff.force_login(ada.user)
    page = staff.get(post.get_absolute_url())
    assert getattr(page, pagecache.MARK, None) is None
    anonymous = Client().get(post.get_absolute_url())
    assert getattr(anonymous, pagecache.MARK, None) is not None


@pytest.mark.parametrize(
    ("path", "query"),
    [("/", "p=12"), ("/", "utm_source=x"), ("/moderate/", ""), ("/privacy/", "")],
)
def test_other_addresses_are_never_kept(get: Get, path: str, query: str) -> None:
    get(path, query=query)
    assert not get(path, query=query).hit


def test_the_budget_lets_the_least_recent_go() -> None:
    store = pagecache.Store(budget=10_000)
    page = pagecache.Entry(
        status="200 OK",
        headers=(),
        body=b"x" * 1_500,
        gzipped=None,
        etag='"e"',
        deps=("site",),
        stamps=(1,),
        ticket=False,
        expires=0.0,
    )
    for n in range(8):
        store.put(f"k{n}", page)
        store.get("k0")  # k0 stays in use
    assert store.used <= store.budget
    assert store.get("k0") is not None
    assert store.get("k1") is None


def test_stamps_count_every_change(tmp_path: Any) -> None:
    stamps = pagecache.Stamps(tmp_path)
    assert stamps.read(["post:3", "site"]) == (0, 0)
    stamps.bump(["post:3"])
    stamps.bump(["post:3", "site"])
    assert stamps.read(["post:3", "site", "epoch"]) == (2, 1, 2)
    with pytest.raises(ValueError, match="stamp"):
        stamps.read(["../etc"])


_BUMP_MANY = """
import pathlib, sys
from firsthand.pagecache import Stamps
stamps = Stamps(pathlib.Path(sys.argv[1]))
for _ in range(int(sys.argv[3])):
    stamps.bump([sys.argv[2]])
"""


def test_stamps_lose_no_change_between_processes(tmp_path: Any) -> None:
    """Four processes bump the same counter at once: every bump counts, and a
    reader that mapped the file before sees them without a system call."""
    reader = pagecache.Stamps(tmp_path)
    assert reader.read(["post:7"]) == (0,)
    command = [sys.executable, "-c", _BUMP_MANY, str(tmp_path), "post:7", "250"]
    workers = [subprocess.Popen(command) for _ in range(4)]
    assert [worker.wait(60) for worker in workers] == [0, 0, 0, 0]
    assert reader.read(["post:7", "epoch"]) == (1_000, 1_000)


def test_posts_far_apart_may_share_a_stamp_but_never_miss_one(tmp_path: Any) -> None:
    stamps = pagecache.Stamps(tmp_path)
    far = 7 + pagecache.Stamps.SLOTS - 3
    assert stamps.slot("post:7") == stamps.slot(f"post:{far}")
    assert stamps.slot("post:7") != stamps.slot("post:8")
    assert len({stamps.slot(name) for name in ("epoch", "site", "responses")}) == 3
    stamps.bump([f"post:{far}"])
    assert stamps.read(["post:7", "post:8"]) == (1, 0)  # one more refresh, no less


def test_a_replaced_stamp_file_is_followed(tmp_path: Any) -> None:
    reader = pagecache.Stamps(tmp_path)
    reader.bump(["site"])
    assert reader.read(["site"]) == (1,)
    os.remove(reader.path)  # e.g. a data folder restored from a backup
    pagecache.Stamps(tmp_path).bump(["site"])
    reader._checked -= pagecache.Stamps.RECHECK  # a second later
    assert reader.read(["site"]) == (1,)
    pagecache.Stamps(tmp_path).bump(["site"])
    assert reader.read(["site"]) == (2,)


def test_the_wsgi_application_is_behind_the_cache() -> None:
    from firsthand import wsgi

    assert isinstance(wsgi.application, pagecache.PageCache)


def test_a_bad_request_page_keeps_the_sites_links(get: Get) -> None:
    page = get("/", HOST="bad host name")  # not a valid Host header: 400
    assert page.status.startswith("400")
    assert 'href=""' not in page.text
    assert 'href="/archive/"' in page.text


class _KeptPage:
    """What Django's answer looks like to the cache: a marked, complete body."""

    streaming = False

    def __init__(self, body: bytes) -> None:
        self.content = body
        setattr(self, pagecache.MARK, pagecache.Mark(("site",), ticket=False))

    def __iter__(self) -> Iterator[bytes]:
        return iter([self.content])


def test_readers_missing_the_same_page_at_once_wait_for_one_rendering(
    tmp_path: Any,
) -> None:
    calls: list[int] = []
    rendering, finish = threading.Event(), threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        calls.append(1)
        rendering.set()
        finish.wait(10)
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return _KeptPage(b"<p>the whole thread</p>")

    cache = pagecache.PageCache(app, budget=1 << 20, stamps=pagecache.Stamps(tmp_path))
    bodies: list[bytes] = []

    def read() -> None:
        environ: dict[str, Any] = {}
        wsgiref.util.setup_testing_defaults(environ)
        try:
            bodies.append(b"".join(cache(environ, lambda *args: None)))
        finally:
            connections.close_all()

    first = threading.Thread(target=read)
    first.start()
    assert rendering.wait(10)
    others = [threading.Thread(target=read) for _ in range(5)]
    for reader in others:
        reader.start()
    time.sleep(0.2)  # they all asked while the first was rendering
    finish.set()
    for reader in [first, *others]:
        reader.join(10)
    assert len(calls) == 1
    assert bodies == [b"<p>the whole thread</p>"] * 6
    assert cache.rendering == {}


def test_the_counters_file_has_real_blocks_not_holes(tmp_path: Path) -> None:
    # A write through the map into a hole of a sparse file on a full disk kills
    # the server with SIGBUS (found by the disk-full tests); a file an older
    # version left sparse gets its blocks too.
    folder = tmp_path / "stamps"
    folder.mkdir()
    path = folder / pagecache.Stamps.FILE
    with open(path, "wb") as sparse:
        sparse.truncate(pagecache.Stamps.SLOTS * 8)
    assert os.stat(path).st_blocks == 0
    counters = pagecache.Stamps(folder)
    os.close(counters._open())
    assert os.stat(path).st_blocks * 512 >= pagecache.Stamps.SLOTS * 8
