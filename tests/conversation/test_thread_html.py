"""The thread's entries, written in Python (``conversation.thread_html``): the same
markup the per-entry template wrote, every person's text escaped."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.template import engines
from django.utils import timezone, translation

from firsthand.conversation import thread
from firsthand.conversation.models import Response
from firsthand.conversation.templatetags.thread import thread_entries, thread_links
from firsthand.conversation.thread import Entry
from firsthand.times import machine_time, shown_time
from tests.oracle import active_content

# conversation/_response.html as it was when thread_html replaced it (issue #8),
# kept beside this test: the reference the Python renderer must match.
REFERENCE = (
    (Path(__file__).parent / "response_reference.html")
    .read_text(encoding="utf-8")
    .removesuffix("\n")
)

HOSTILE = [
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)",
    "&lt;b&gt; & <b>",
    "Zoë «quotes» 💬",
]
REPLY_BASE = "/2026/07/02/prices/reply/"
CREATED = datetime.datetime(2026, 7, 2, 22, 45, 9, tzinfo=datetime.UTC)


def reference_html(entries: list[Entry], *, replies_open: bool, mine: set[int]) -> str:
    template = engines["django"].from_string(REFERENCE)
    return "".join(
        template.render(
            {
                "entry": entry,
                "replies_open": replies_open,
                "reply_base": REPLY_BASE,
                "mine": mine,
            }
        )
        for entry in entries
    )


def python_html(entries: list[Entry], *, replies_open: bool, mine: set[int]) -> str:
    """What ``{% thread_entries %}`` writes (own actions by their template)."""
    return thread_entries(entries, replies_open, REPLY_BASE, mine)


def row(
    number: int, path: str, parent: Response | None = None, **fields: object
) -> Response:
    values: dict[str, object] = {
        "pk": 1000 + number,
        "number": number,
        "path": path,
        "root_ordinal": 1,
        "status": Response.Status.VISIBLE,
        "author_name": f"Reader {number}",
        "body": f"Comment {number}",
        "body_html": f"<p>Comment {number}</p>",
        "created_at": CREATED + datetime.timedelta(minutes=number),
    }
    values.update(fields)
    response = Response(**values)
    response.parent_id = parent.pk if parent else None
    return response


def sample_thread(name: str = "Ada", url: str = "", title: str = "") -> list[Entry]:
    """Every shape an entry takes: nested replies closing several levels at once,
    a withdrawn response with a visible reply, a reply kept flat, a Webmention
    reply, an edited response, this browser's own response."""
    one = row(1, "0000001", author_name=name, author_url=url, author_title=title)
    two = row(2, "0000001.0000002", one, author_name=name)
    # Just posted from this browser (its own links are offered), then edited.
    three = row(
        3,
        "0000001.0000002.0000003",
        two,
        created_at=timezone.now() - datetime.timedelta(minutes=1),
        edited_at=CREATED,
    )
    # 4 was withdrawn; 5 answers it.
    five = row(5, "0000004.0000005", None, author_name=title or "Bea")
    five.parent_id = 1004
    six = row(
        6,
        "0000006",
        kind=Response.Kind.REPLY,
        source_url=url or "https://notes.example.net/reply",
        author_url=url,
    )
    # A reply to 1 kept at the top level (as a depth limit would keep it).
    seven = row(7, "0000007", one)
    return thread.entries([one, two, three, five, six, seven])


@pytest.fixture
def paris() -> Iterator[None]:
    with timezone.override("Europe/Paris"):
        yield


@pytest.mark.parametrize("replies_open", [True, False])
@pytest.mark.parametrize("mine", [set(), {1003}])
def test_entries_are_the_markup_the_template_wrote(
    paris: None, replies_open: bool, mine: set[int]
) -> None:
    entries = sample_thread(url="https://ada.example/", title="Editor, Gazette")
    assert [e.response is None for e in entries].count(True) == 1  # #4 is gone
    html = python_html(entries, replies_open=replies_open, mine=mine)
    assert ("own-edit" in html) == bool(mine)
    assert python_html(entries, replies_open=replies_open, mine=mine) == (
        reference_html(entries, replies_open=replies_open, mine=mine)
    )


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_sites_and_titles_are_escaped_exactly_as_before(
    hostile: str,
) -> None:
    entries = sample_thread(
        name=hostile, url=f"https://x.example/?q={hostile}", title=hostile
    )
    html = python_html(entries, replies_open=True, mine=set())
    assert html == reference_html(entries, replies_open=True, mine=set())
    page = f"<ol class='thread'>{html}</ol>"
    assert active_content(page) == []
    soup = BeautifulSoup(page, "html5lib")
    # The text reads back exactly as typed, in the name, the title and the reply link.
    assert soup.select_one("#comment-1 .p-name").get_text() == hostile  # type: ignore[union-attr]
    assert soup.select_one("#comment-1 .affiliation").get_text() == f", {hostile}"  # type: ignore[union-attr]
    reply = soup.select_one("#comment-2 .reply-link")
    assert reply is not None
    assert reply["data-reply-name"] == hostile


def test_nesting_follows_the_thread() -> None:
    html = python_html(sample_thread(), replies_open=False, mine=set())
    soup = BeautifulSoup(f"<ol class='thread'>{html}</ol>", "html5lib")

    def parent_of(number: int) -> str | None:
        above = soup.find("li", id=f"comment-{number}").find_parent("li")  # type: ignore[union-attr]
        return str(above["id"]) if above else None

    assert parent_of(1) is None
    assert parent_of(2) == "comment-1"
    assert parent_of(3) == "comment-2"
    assert parent_of(5) == "comment-4"
    assert "response-gone" in soup.find("li", id="comment-4")["class"]  # type: ignore[index]
    assert parent_of(6) is None
    assert parent_of(7) is None
    answers = soup.select_one("#comment-7 .answers")
    assert answers is not None
    assert answers["href"] == "#comment-1"


def test_times_are_in_the_current_time_zone_and_language() -> None:
    moment = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)
    template = engines["django"].from_string(
        "{{ m|date:'c' }}|{{ m|date:\"j F Y, H:i\" }}"
    )
    for zone in ("UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Kolkata"):
        for language in ("en", "de", "fr"):
            with timezone.override(zone), translation.override(language):
                expected = template.render({"m": moment})
                assert f"{machine_time(moment)}|{shown_time(moment)}" == expected
    with timezone.override("Europe/Paris"):
        assert shown_time(moment) == "1 January 2027, 00:30"


# conversation/_link.html as it was when thread_html replaced it (issue #8).
LINK_REFERENCE = (Path(__file__).parent / "link_reference.html").read_text(
    encoding="utf-8"
)


def link(number: int, kind: str = Response.Kind.PINGBACK, **fields: object) -> Response:
    values: dict[str, object] = {
        "pk": 2000 + number,
        "number": number,
        "kind": kind,
        "status": Response.Status.VISIBLE,
        "author_name": f"Site {number}",
        "source_url": f"https://www.site{number}.example/post/{number}",
        "body": f"An excerpt of page {number}.",
        "created_at": CREATED + datetime.timedelta(hours=number),
    }
    values.update(fields)
    return Response(**values)


def sample_links(hostile: str = "Zoë") -> list[Response]:
    return [
        link(1, source_title=f"A title, {hostile}"),
        link(2, Response.Kind.TRACKBACK, author_name=hostile, body=hostile),
        link(3, Response.Kind.MENTION, source_url=f"https://x.example/?q={hostile}"),
        link(4, source_url="not a URL", author_name=""),  # no site to name
    ]


def reference_links(links: list[Response]) -> str:
    template = engines["django"].from_string(LINK_REFERENCE)
    return "".join(template.render({"response": response}) for response in links)


def test_links_are_the_markup_the_template_wrote(paris: None) -> None:
    links = sample_links()
    assert thread_links(links) == reference_links(links)
    assert thread_links([]) == ""


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_link_titles_sites_and_excerpts_are_escaped_exactly_as_before(
    hostile: str,
) -> None:
    links = sample_links(hostile)
    html = thread_links(links)
    assert html == reference_links(links)
    page = f"<ol class='thread links'>{html}</ol>"
    assert active_content(page) == []
    soup = BeautifulSoup(page, "html5lib")
    assert soup.select_one("#comment-1 .p-name").get_text() == f"A title, {hostile}"  # type: ignore[union-attr]
    assert soup.select_one("#comment-2 .excerpt").get_text() == hostile  # type: ignore[union-attr]
