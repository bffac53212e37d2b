"""The moderation queue at /moderate/, through HTTP.

Personas: ada owns the site (superuser), carol moderates (staff with the "change
response" permission and nothing else), dave is a guest author (staff, but may not
moderate), bob reads, mallory spams.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from itertools import count
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from bs4 import BeautifulSoup, Tag
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings

from firsthand.blog.models import Author, Post
from firsthand.conversation import moderation
from firsthand.conversation.models import BlockRule, Response, ResponseEdit
from firsthand.rendering import render_response
from tests.oracle import active_content

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Page

pytestmark = pytest.mark.django_db

QUEUE = "/moderate/"
SCRIPT_TAG = '<script src="/static/firsthand/moderate.js" defer></script>'
PROCESSOR = "firsthand.conversation.context_processors.moderation_counts"

_serial = count(1)

REASONS: list[dict[str, object]] = [
    {
        "layer": "links",
        "score": 0.6,
        "reasons": ["3 links"],
        "certain": False,
        "hold": True,
    },
    {
        "layer": "history",
        "score": 0.2,
        "reasons": ["new commenter"],
        "certain": False,
        "hold": False,
    },
    {
        "layer": "classifier",
        "score": 0.91,
        "reasons": ["classifier 0.91: 'free', 'subscribe', 'http'"],
        "certain": False,
        "hold": False,
    },
]


# --- Personas and data ----------------------------------------------------------


@pytest.fixture
def carol() -> User:
    """A moderator by permission alone: staff, not a superuser."""
    user = User.objects.create_user("carol", "carol@example.com", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(
            codename="change_response", content_type__app_label="firsthand_conversation"
        )
    )
    return user


@pytest.fixture
def carol_client(carol: User) -> Client:
    client = Client()
    client.force_login(carol)
    return client


@pytest.fixture
def dave_client(db: None) -> Client:
    """A guest author: staff with an author profile, but no moderation permission."""
    user = User.objects.create_user("dave", "dave@example.com", is_staff=True)
    Author.objects.create(user=user, slug="dave", display_name="Dave Guest")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bob_client(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_user("bob", "bob@example.org"))
    return client


def flag(
    post: Post, *, status: str = Response.Status.PENDING, **fields: Any
) -> Response:
    """A response as intake leaves one it held or judged spam: unnumbered, uncounted.

    Stored directly: which responses get held is the spam layers' business
    (tests/conversation/test_intake.py); here only the queue's handling matters.
    """
    n = next(_serial)
    body = str(fields.pop("body", f"Flagged comment number {n}, with words."))
    values: dict[str, Any] = {
        "author_name": "Cindy",
        "author_email": f"cindy{n}@example.net",
        "author_url": f"https://cindy{n}.example.net/",
        "author_title": "Shop owner",
        "ip_address": f"203.0.113.{n % 250 + 1}",
        "spam_score": 0.97 if status == Response.Status.SPAM else 0.55,
        "reasons": REASONS,
        **fields,
    }
    return Response.objects.create(
        post=post, status=status, body=body, body_html=render_response(body), **values
    )


def visible(post: Post, comment_on: Callable[..., Response], body: str) -> Response:
    """A published comment. Replayed as history ("import") so no flood or spam
    layer stands between the test and a visible, numbered, counted response."""
    n = next(_serial)
    return comment_on(
        post,
        body=body,
        author_name="Bob Reader",
        author_email=f"bob{n}@example.org",
        source="import",
    )


def assert_count_is_exact(post: Post) -> None:
    post.refresh_from_db()
    assert post.response_count == Response.objects.visible().filter(post=post).count()


def action_url(name: str, response: Response) -> str:
    return reverse(f"moderate:{name}", kwargs={"pk": response.pk})


def soup(page: Page) -> BeautifulSoup:
    assert page.status_code == 200
    return BeautifulSoup(page.content, "html5lib")


def items_of(page: Page) -> list[Any]:
    return list(soup(page).select("article.queue-item"))


def one(node: Tag, css: str) -> Tag:
    found = node.select_one(css)
    assert found is not None, css
    return found


def messages_of(page: Page) -> list[str]:
    return [str(m) for m in get_messages(page.wsgi_request)]


# Every action endpoint, with the form fields it needs.
ACTIONS: list[tuple[str, dict[str, str]]] = [
    ("approve", {}),
    ("spam", {}),
    ("trash", {}),
    ("reply", {"body": "Thanks for the pointer."}),
    ("edit", {"body": "An edited text."}),
    ("merge", {}),
    ("ban", {"kind": "email"}),
]


# --- Who may see and act --------------------------------------------------------


def test_anonymous_people_are_sent_to_the_admin_login(
    client: Client, post: Post
) -> None:
    held = flag(post)
    page = client.get(QUEUE)
    assert page.status_code == 302
    assert page["Location"] == "/admin/login/?next=/moderate/"
    acted = client.post(action_url("approve", held))
    assert acted.status_code == 302
    assert acted["Location"].startswith("/admin/login/?next=")
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING


def test_a_reader_gets_403(bob_client: Client, post: Post) -> None:
    held = flag(post)
    assert bob_client.get(QUEUE).status_code == 403
    assert bob_client.post(action_url("approve", held)).status_code == 403
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_an_author_without_the_permission_gets_403_on_every_action(
    dave_client: Client,
    post: Post,
    comment_on: Callable[..., Response],
    name: str,
    data: dict[str, str],
) -> None:
    earlier = visible(post, comment_on, "The earlier text.")
    held = flag(post, duplicate_of=earlier)
    assert dave_client.get(QUEUE).status_code == 403
    assert dave_client.post(action_url(name, held), data).status_code == 403
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING
    assert not ResponseEdit.objects.exists()
    assert not BlockRule.objects.exists()
    assert Response.objects.count() == 2  # no reply was posted


def test_an_author_without_the_permission_cannot_bulk_approve(
    dave_client: Client, post: Post
) -> None:
    held = flag(post)
    page = dave_client.post(
        reverse("moderate:bulk"), {"action": "approve", "ids": [held.pk]}
    )
    assert page.status_code == 403
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING


def test_the_permission_not_superuser_status_opens_the_queue(
    carol_client: Client, post: Post
) -> None:
    flag(post)
    assert len(items_of(carol_client.get(QUEUE))) == 1


@pytest.mark.parametrize(("name", "data"), [*ACTIONS, ("bulk", {})])
def test_every_action_refuses_get(
    ada_client: Client, post: Post, name: str, data: dict[str, str]
) -> None:
    held = flag(post)
    url = reverse("moderate:bulk") if name == "bulk" else action_url(name, held)
    assert ada_client.get(url, data).status_code == 405
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING


@pytest.mark.parametrize(("name", "data"), [*ACTIONS, ("bulk", {"action": "trash"})])
def test_every_action_needs_the_csrf_token(
    carol: User,
    post: Post,
    comment_on: Callable[..., Response],
    name: str,
    data: dict[str, str],
) -> None:
    earlier = visible(post, comment_on, "The earlier text.")
    held = flag(post, duplicate_of=earlier)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(carol)
    url = reverse("moderate:bulk") if name == "bulk" else action_url(name, held)
    data = {**data, "ids": str(held.pk)} if name == "bulk" else data
    assert browser.post(url, data).status_code == 403
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING

    # The same request with the token the queue page hands out goes through.
    page = soup(browser.get(QUEUE))
    token = page.select_one('input[name="csrfmiddlewaretoken"]')
    assert token is not None
    sent = browser.post(url, {**data, "csrfmiddlewaretoken": token["value"]})
    assert sent.status_code == 302


# --- What the queue shows -------------------------------------------------------


def test_the_queue_shows_held_and_spam_newest_first_with_every_fact(
    ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    visible(post, comment_on, "Nothing to see here.")
    older = flag(post, author_name="Cindy", author_email="cindy@example.net")
    newer = flag(
        post,
        status=Response.Status.SPAM,
        author_name="Mallory",
        author_email="mallory@spam.example",
        author_url="https://cheap-pills.example/buy",
        author_title="CEO of Pills",
        ip_address="198.51.100.7",
        body="Buy **cheap** pills at the shop.",
    )
    moderation.remove(flag(post))  # trashed: not in the queue
    items = items_of(ada_client.get(QUEUE))
    assert [item["id"] for item in items] == [f"r-{newer.pk}", f"r-{older.pk}"]

    first = items[0]
    link = first.select_one("h2 a")
    assert link.get_text() == post.title
    assert link["href"] == post.get_absolute_url()
    text = " ".join(first.get_text(" ").split())
    for fact in [
        "Mallory",
        "mallory@spam.example",
        "https://cheap-pills.example/buy",
        "CEO of Pills",
        "198.51.100.7",
        "Spam",
        "score 0.97",
    ]:
        assert fact in text
    assert first.select_one(".body strong").get_text() == "cheap"  # body_html, rendered
    assert first.select_one("time")["datetime"] == newer.created_at.isoformat()
    assert "Awaiting moderation" in items[1].get_text()


def test_the_reasons_are_shown_in_words(ada_client: Client, post: Post) -> None:
    flag(post)
    why = items_of(ada_client.get(QUEUE))[0].select_one(".why")
    assert " ".join(why.get_text().split()) == (
        "Why: 3 links; new commenter; classifier 0.91: 'free', 'subscribe', 'http'"
    )


def test_filter_tabs_show_counts_and_filter(ada_client: Client, post: Post) -> None:
    held = [flag(post) for _ in range(2)]
    spammed = [flag(post, status=Response.Status.SPAM) for _ in range(3)]

    page = ada_client.get(QUEUE)
    tabs = [" ".join(a.get_text().split()) for a in soup(page).select(".queue-tabs a")]
    assert tabs == ["All flagged 5", "Held 2", "Spam 3"]
    current = soup(page).select_one('.queue-tabs a[aria-current="page"]')
    assert current is not None
    assert current.get_text().startswith("All flagged")
    assert len(items_of(page)) == 5

    only_held = {item["id"] for item in items_of(ada_client.get(QUEUE + "?show=held"))}
    assert only_held == {f"r-{r.pk}" for r in held}
    only_spam = {item["id"] for item in items_of(ada_client.get(QUEUE + "?show=spam"))}
    assert only_spam == {f"r-{r.pk}" for r in spammed}
    # An unknown filter shows everything rather than failing.
    assert len(items_of(ada_client.get(QUEUE + "?show=bogus"))) == 5


def test_the_queue_is_paginated_by_fifty_and_keeps_the_filter(
    ada_client: Client, post: Post
) -> None:
    for _ in range(60):
        flag(post)
    first = ada_client.get(QUEUE + "?show=held")
    assert len(items_of(first)) == 50
    older = soup(first).select_one('.pagination a[rel="next"]')
    assert older is not None
    assert older["href"] == "?show=held&page=2"
    assert len(items_of(ada_client.get(QUEUE + "?show=held&page=2"))) == 10
    # A page that emptied while the moderator worked shows the last one instead.
    assert len(items_of(ada_client.get(QUEUE + "?show=held&page=9"))) == 10


def test_an_empty_queue_says_so(ada_client: Client, db: None) -> None:
    page = soup(ada_client.get(QUEUE))
    assert "All clear" in page.get_text()
    assert page.select_one("#bulk") is None


def test_hostile_names_and_bodies_are_inert_on_the_queue(
    ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    earlier = visible(post, comment_on, "<script>alert('earlier')</script>")
    hostile = {
        "author_name": "<script>alert('name')</script>",
        "author_title": '"><img src=x onerror=alert(1)>',
        "author_url": "javascript:alert(2)",
        "author_email": "mallory@spam.example",
        "body": "<img src=x onerror=alert(3)> [win](javascript:alert(4)) "
        "<iframe src=//evil.example></iframe>",
    }
    flag(post, **hostile)
    flag(post, duplicate_of=earlier, **{**hostile, "author_email": "m2@spam.example"})
    ada_client.post(action_url("approve", flag(post, **hostile)))  # a message too

    html = ada_client.get(QUEUE).content.decode()
    assert html.count(SCRIPT_TAG) == 1  # our own keyboard script, and nothing else
    assert active_content(html.replace(SCRIPT_TAG, "")) == []
    assert "<script>alert('name')</script>" not in html
    assert "Approved #2 by &lt;script&gt;" in html


# --- Near-duplicates and merging -------------------------------------------------


def test_a_near_duplicate_shows_the_earlier_text_and_merges_in_one_click(
    ada: Author, ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    earlier = visible(post, comment_on, "Prices online help me pick a shop.")
    newer = flag(
        post,
        body="Prices online help me choose a shop.",
        author_email=earlier.author_email,
        duplicate_of=earlier,
    )
    item = items_of(ada_client.get(QUEUE))[0]
    bodies = [" ".join(b.get_text().split()) for b in item.select(".compare .body")]
    assert bodies == [
        "Prices online help me pick a shop.",
        "Prices online help me choose a shop.",
    ]
    button = item.find("button", string="Merge (keep the newer text)")
    assert button is not None
    assert button["formaction"] == action_url("merge", newer)

    page = ada_client.post(button["formaction"], {"next": QUEUE})
    assert page.status_code == 302
    earlier.refresh_from_db()
    newer.refresh_from_db()
    assert earlier.body == "Prices online help me choose a shop."
    assert earlier.status == Response.Status.VISIBLE
    assert earlier.number == 1
    assert newer.status == Response.Status.REMOVED
    edit = ResponseEdit.objects.get(response=earlier)
    assert (edit.editor, edit.note) == (ada.user, "merged")
    assert_count_is_exact(post)
    assert post.response_count == 1
    assert messages_of(page) == [
        "Merged: #1 by Bob Reader now has the newer text; the copy is in the trash."
    ]


def test_merging_what_is_not_a_near_duplicate_explains_why_not(
    ada_client: Client, post: Post
) -> None:
    held = flag(post)
    page = ada_client.post(action_url("merge", held))
    assert page.status_code == 302
    assert messages_of(page) == [
        "This response is not a near-duplicate of another one."
    ]
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING


# --- One-click actions ---------------------------------------------------------


def test_approve_numbers_counts_and_says_so(
    ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    visible(post, comment_on, "First.")
    visible(post, comment_on, "Second.")
    held = flag(post, author_name="Cindy")
    back = "/moderate/?show=held&page=1#r-99"
    page = ada_client.post(action_url("approve", held), {"next": back})
    assert page.status_code == 302
    assert page["Location"] == back
    held.refresh_from_db()
    assert (held.status, held.number) == (Response.Status.VISIBLE, 3)
    assert_count_is_exact(post)
    assert post.response_count == 3
    assert messages_of(page) == ["Approved #3 by Cindy."]


def test_spam_and_trash_hide_and_keep_the_count_exact(
    ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    shown = visible(post, comment_on, "A visible one, spam after all.")
    held = flag(post, author_name="Cindy")

    page = ada_client.post(action_url("spam", shown))
    shown.refresh_from_db()
    assert shown.status == Response.Status.SPAM
    assert shown.number == 1  # numbers are never reused or taken back
    assert messages_of(page) == ["Marked #1 by Bob Reader as spam."]
    assert_count_is_exact(post)
    assert post.response_count == 0

    ada_client.get(QUEUE)  # shows (and so uses up) the message
    page = ada_client.post(action_url("trash", held))
    held.refresh_from_db()
    assert held.status == Response.Status.REMOVED
    assert held.number is None
    assert messages_of(page) == ["Moved the response by Cindy to the trash."]
    assert_count_is_exact(post)
    assert not items_of(ada_client.get(QUEUE + "?show=held"))


# The plan's open-redirect vectors (security-test-plan.md, test 35).
OFFSITE = [
    "https://evil.example/moderate/",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "\x01javascript:alert(1)",
    "http://testserver@evil.example/",
    "//testserver.evil.example/",
    "%2F%2Fevil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http:///evil.example",
    "/\t/evil.example",
    "\u2100" * 5000,  # long Unicode (the CVE-2025-64458 class)
    "",
]


@pytest.mark.parametrize("target", OFFSITE)
def test_next_is_kept_only_when_it_points_to_this_site(
    ada_client: Client, post: Post, target: str
) -> None:
    page = ada_client.post(action_url("trash", flag(post)), {"next": target})
    assert page["Location"] == "/moderate/"


def test_a_next_on_this_site_is_kept(ada_client: Client, post: Post) -> None:
    page = ada_client.post(
        action_url("trash", flag(post)), {"next": "/moderate/?status=spam"}
    )
    assert page["Location"] == "/moderate/?status=spam"


def test_an_unknown_response_is_404(ada_client: Client, db: None) -> None:
    assert ada_client.post("/moderate/999999/approve/").status_code == 404


# --- Bulk ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "said"),
    [
        ("approve", Response.Status.VISIBLE, "Approved 2 responses."),
        ("spam", Response.Status.SPAM, "Marked as spam: 2 responses."),
        ("trash", Response.Status.REMOVED, "Moved to the trash: 2 responses."),
    ],
)
def test_bulk_actions_move_every_ticked_response(
    ada_client: Client, post: Post, action: str, status: str, said: str
) -> None:
    first, second, untouched = flag(post), flag(post), flag(post)
    page = ada_client.post(
        reverse("moderate:bulk"),
        {"action": action, "ids": [first.pk, second.pk], "next": "/moderate/?page=1"},
    )
    assert page["Location"] == "/moderate/?page=1"
    assert messages_of(page) == [said]
    for response in (first, second, untouched):
        response.refresh_from_db()
    assert {first.status, second.status} == {status}
    assert untouched.status == Response.Status.PENDING
    assert_count_is_exact(post)
    if action == "approve":  # numbered in the order they came in
        assert (first.number, second.number) == (1, 2)


def test_bulk_without_ticks_asks_for_them(ada_client: Client, post: Post) -> None:
    held = flag(post)
    page = ada_client.post(reverse("moderate:bulk"), {"action": "approve"})
    assert messages_of(page) == ["Tick the responses to act on first."]
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING


def test_bulk_with_an_unknown_action_is_a_bad_request(
    ada_client: Client, post: Post
) -> None:
    held = flag(post)
    page = ada_client.post(
        reverse("moderate:bulk"), {"action": "delete", "ids": [held.pk]}
    )
    assert page.status_code == 400


def test_each_item_is_tickable_for_the_bulk_form(
    ada_client: Client, post: Post
) -> None:
    held = flag(post)
    page = soup(ada_client.get(QUEUE))
    box = page.select_one(f'#r-{held.pk} input[type="checkbox"]')
    assert box is not None
    assert (box["name"], box["value"], box["form"]) == ("ids", str(held.pk), "bulk")
    assert one(page, "form#bulk")["action"] == reverse("moderate:bulk")


# --- Reply, edit, ban ------------------------------------------------------------


def test_reply_approves_and_posts_the_moderators_answer(
    ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    visible(post, comment_on, "First.")
    held = flag(post, author_name="Cindy")
    page = ada_client.post(
        action_url("reply", held), {"body": "Thank you, *fixed*.", "next": QUEUE}
    )
    held.refresh_from_db()
    assert (held.status, held.number) == (Response.Status.VISIBLE, 2)
    answer = Response.objects.get(number=3, post=post)
    assert answer.status == Response.Status.VISIBLE
    assert answer.author_name == "Ada Quill"
    assert answer.source == "moderator"
    assert "Thank you, <em>fixed</em>." in answer.body_html
    assert answer.parent_id == held.pk  # a real reply, nested under what it answers
    assert messages_of(page) == ["Replied to #2 by Cindy: your reply is #3."]
    assert_count_is_exact(post)
    assert post.response_count == 3


def test_an_empty_reply_posts_nothing(ada_client: Client, post: Post) -> None:
    held = flag(post, author_name="Cindy")
    page = ada_client.post(action_url("reply", held), {"body": "  \n "})
    assert messages_of(page) == ["Write your reply to the response by Cindy first."]
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING
    assert Response.objects.count() == 1


def test_an_edit_is_recorded_with_who_and_when(
    ada: Author, ada_client: Client, post: Post
) -> None:
    held = flag(post, body="Teh prices are hidden.", author_name="Cindy")
    at = datetime.datetime(2026, 3, 14, 9, 26, tzinfo=datetime.UTC)
    with time_machine.travel(at, tick=False):
        page = ada_client.post(
            action_url("edit", held), {"body": "The prices are *hidden*."}
        )
    assert messages_of(page) == [
        "Saved the new text of the response by Cindy; the old one is kept."
    ]
    held.refresh_from_db()
    assert held.body == "The prices are *hidden*."
    assert "<em>hidden</em>" in held.body_html
    assert held.edited_at == at
    edit = ResponseEdit.objects.get(response=held)
    assert (edit.editor, edit.edited_at) == (ada.user, at)
    assert (edit.old_body, edit.new_body) == (
        "Teh prices are hidden.",
        "The prices are *hidden*.",
    )

    item = items_of(ada_client.get(QUEUE))[0]
    marker = item.select_one(".edited")
    assert " ".join(marker.get_text().split()) == "Edited by ada on 14 Mar 2026, 09:26."
    assert marker.select_one("time")["datetime"] == at.isoformat()
    textarea = item.select_one(f"#edit-{held.pk}")
    assert textarea.get_text() == "The prices are *hidden*."


def test_an_empty_edit_is_refused_with_the_reason(
    ada_client: Client, post: Post
) -> None:
    held = flag(post, body="Keep me.")
    page = ada_client.post(action_url("edit", held), {"body": "   "})
    assert messages_of(page) == [
        "The text cannot be empty: move the response to the trash."
    ]
    held.refresh_from_db()
    assert held.body == "Keep me."
    assert not ResponseEdit.objects.exists()


@pytest.mark.parametrize(
    ("kind", "fields", "value"),
    [
        ("email", {"author_email": "Mallory@Spam.example"}, "mallory@spam.example"),
        ("ip", {"ip_address": "198.51.100.7"}, "198.51.100.7"),
        (
            "domain",
            {"author_url": "https://www.Cheap-Pills.example/buy"},
            "cheap-pills.example",
        ),
        (
            "domain",
            {"author_url": "", "author_email": "mallory@Mailer.example"},
            "mailer.example",
        ),
    ],
)
def test_ban_creates_a_spam_rule_from_what_the_queue_shows(
    ada: Author,
    ada_client: Client,
    post: Post,
    kind: str,
    fields: dict[str, str],
    value: str,
) -> None:
    held = flag(post, author_name="Mallory", **fields)
    button = soup(ada_client.get(QUEUE)).select_one(
        f'#r-{held.pk} button[name="kind"][value="{kind}"]'
    )
    assert button is not None
    page = ada_client.post(str(button["formaction"]), {"kind": kind})
    rule = BlockRule.objects.get()
    assert (rule.kind, rule.value, rule.action) == (kind, value, BlockRule.Action.SPAM)
    assert rule.created_by == ada.user
    assert messages_of(page) == [
        f"Banned {rule.get_kind_display().lower()} {value}: "
        "new responses from it will be marked as spam."
    ]
    held.refresh_from_db()
    assert held.status == Response.Status.PENDING  # banning is not judging this one


def test_ban_of_something_the_response_lacks_is_refused(
    ada_client: Client, post: Post
) -> None:
    held = flag(post, ip_address=None)
    assert 'value="ip"' not in items_of(ada_client.get(QUEUE))[0].decode()
    page = ada_client.post(action_url("ban", held), {"kind": "ip"})
    assert messages_of(page) == ["Cannot ban 'ip' ''."]
    assert not BlockRule.objects.exists()
    assert ada_client.post(action_url("ban", held), {"kind": "word"}).status_code == 400


@pytest.mark.parametrize(
    ("kind", "next_from"),
    [
        # Each time the same origin, and every other detail new.
        ("email", {"author_email": "Mallory@Spam.example", "ip_address": "192.0.2.44"}),
        ("ip", {"author_email": "m2@elsewhere.example", "ip_address": "198.51.100.7"}),
        (
            "domain",
            {
                "author_email": "m3@elsewhere.example",
                "author_url": "https://cheap-pills.example/today",
                "ip_address": "192.0.2.45",
            },
        ),
    ],
)
def test_after_a_ban_the_next_comment_from_there_is_spam(
    ada_client: Client,
    post: Post,
    comment_on: Callable[..., Response],
    kind: str,
    next_from: dict[str, str],
) -> None:
    held = flag(
        post,
        author_email="mallory@spam.example",
        author_url="https://www.cheap-pills.example/buy",
        ip_address="198.51.100.7",
    )
    ada_client.post(action_url("ban", held), {"kind": kind})
    assert BlockRule.objects.filter(kind=kind).exists()
    again = comment_on(
        post,
        author_name="Mallory",
        body="Something else entirely about prices.",
        **next_from,
    )
    assert again.status == Response.Status.SPAM


# --- Keyboard shortcuts ----------------------------------------------------------


def test_the_keyboard_script_is_a_static_file_loaded_on_the_queue_only(
    ada_client: Client, post: Post
) -> None:
    held = flag(post)
    queue = ada_client.get(QUEUE).content.decode()
    assert SCRIPT_TAG in queue
    assert SCRIPT_TAG not in ada_client.get("/").content.decode()
    assert finders.find("firsthand/moderate.js") is not None

    page = BeautifulSoup(queue, "html5lib")
    hint = page.select_one("#shortcuts")
    assert hint is not None
    assert " ".join(hint.get_text().split()).startswith("Keyboard: j k next")
    item = one(page, f"#r-{held.pk}")
    # What each key acts on is an ordinary control, which works without the script.
    assert one(item, '[data-key="a"]')["type"] == "submit"
    assert one(item, '[data-key="s"]')["formaction"] == action_url("spam", held)
    assert one(item, '[data-key="t"]')["formaction"] == action_url("trash", held)
    assert one(item, '[data-key="x"]')["type"] == "checkbox"
    assert item.select_one('details[data-key="r"] textarea[name="body"]') is not None
    assert item.select_one('details[data-key="e"] textarea[name="body"]') is not None


# --- The header count ------------------------------------------------------------


def test_the_header_links_to_the_queue_with_the_held_count_for_moderators_only(
    client: Client,
    ada_client: Client,
    carol_client: Client,
    bob_client: Client,
    dave_client: Client,
    post: Post,
) -> None:
    for _ in range(3):
        flag(post)
    flag(post, status=Response.Status.SPAM)
    for moderator in (ada_client, carol_client):
        link = soup(moderator.get("/")).select_one('header nav a[href="/moderate/"]')
        assert link is not None
        assert link.get_text() == "Moderate (3 held)"
    for other in (client, bob_client, dave_client):
        assert b'href="/moderate/"' not in other.get("/").content


def test_anonymous_readers_pay_no_query_for_the_header_count(
    client: Client, ada_client: Client, post: Post, settings: Settings
) -> None:
    flag(post)
    url = post.get_absolute_url()

    def queries(browser: Client) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url).status_code == 200
        return len(captured)

    with_counts = queries(client), queries(ada_client)
    templates = settings.TEMPLATES
    processors = templates[0]["OPTIONS"]["context_processors"]
    assert PROCESSOR in processors
    settings.TEMPLATES = [
        {
            **templates[0],
            "OPTIONS": {
                **templates[0]["OPTIONS"],
                "context_processors": [p for p in processors if p != PROCESSOR],
            },
        }
    ]
    without = queries(client), queries(ada_client)
    assert with_counts[0] == without[0]  # anonymous readers: nothing extra
    assert with_counts[1] == without[1] + 1  # moderators: one count query


# --- Query counts ----------------------------------------------------------------


def test_the_queue_runs_the_same_queries_for_3_or_60_items(
    ada: Author, ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    earlier = visible(post, comment_on, "An earlier comment.")

    def add(n: int) -> None:
        for i in range(n):
            status = Response.Status.SPAM if i % 2 else Response.Status.PENDING
            response = flag(
                post, status=status, duplicate_of=earlier if i % 3 else None
            )
            if i % 4 == 0:
                moderation.edit_text(response, f"Edited text {i}.", editor=ada.user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert ada_client.get(QUEUE).status_code == 200
        return len(captured)

    add(3)
    few = queries()
    add(57)
    many = queries()
    assert few == many
    # session, user, page count, the page, its edits, the tab and header counts
    assert many == 6
