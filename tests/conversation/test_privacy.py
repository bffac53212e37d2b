"""Privacy requests: the link by email, seeing, exporting and erasing one's responses.

Personas: bob comments, cindy answers him, mallory tries to reach bob's data.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from bs4 import BeautifulSoup, Tag
from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.core.mail import EmailMessage
from django.test import Client, override_settings
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from firsthand.blog.models import Author, Post
from firsthand.conversation import moderation, privacy, tickets
from firsthand.conversation.models import Follow, Response, ResponseEdit, SentEmail
from firsthand.conversation.privacy_tasks import send_link_task

pytestmark = pytest.mark.django_db

BOB = "bob@example.org"
CINDY = "cindy@example.org"
NOBODY = "nobody@example.net"
ANSWER = "If responses were written with that address, a link is on its way"


@pytest.fixture(autouse=True)
def guard_cache() -> Iterator[None]:
    """Fresh rate-limit counters for every test, in memory."""
    guard = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(CACHES={**settings.CACHES, "guard": guard}):
        caches["guard"].clear()
        yield
        caches["guard"].clear()


@pytest.fixture(autouse=True)
def quiet_authors(post: Post) -> None:
    """These tests count the privacy emails; the author's notices of new
    responses (sent as responses arrive) are tested in test_following."""
    Author.objects.update(notify_by_email=False)


Ask = Callable[..., Any]


@pytest.fixture
def ask(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> Ask:
    """POST the privacy form from ``ip``, running the after-commit work (the task)."""

    def post(email: str, *, ip: str = "198.51.100.20") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("privacy:about"), {"email": email}, REMOTE_ADDR=ip
            )

    return post


def bobs_comment(
    post: Post, comment_on: Callable[..., Response], **kw: Any
) -> Response:
    fields: dict[str, Any] = {
        "author_name": "Bob Reader",
        "author_email": BOB,
        "author_url": "https://bob.example.org",
        "author_title": "Framer",
        "ip_address": "203.0.113.5",
        "user_agent": "BobBrowser/1.0",
    }
    fields.update(kw)
    return comment_on(post, **fields)


def cindys_comment(
    post: Post, comment_on: Callable[..., Response], **kw: Any
) -> Response:
    fields: dict[str, Any] = {
        "author_name": "Cindy Carver",
        "author_email": CINDY,
        "ip_address": "203.0.113.77",
        "user_agent": "CindyBrowser/2.0",
    }
    fields.update(kw)
    return comment_on(post, **fields)


def link_in(message: EmailMessage) -> str:
    """The path of the privacy link an email carries."""
    found = re.search(r"https?://\S+/privacy/responses/\S+/", str(message.body))
    assert found, message.body
    return urlsplit(found.group(0)).path


def main_of(page: Any) -> Tag:
    soup = BeautifulSoup(page.content, "html5lib")
    main = soup.find("main")
    assert isinstance(main, Tag)
    return main


def responses_url(email: str) -> str:
    return reverse("privacy:responses", kwargs={"token": privacy.link_token(email)})


# --- The page and the request -----------------------------------------------------


def test_the_page_says_what_is_kept_and_the_footer_links_to_it(
    client: Client, post: Post
) -> None:
    page = client.get(reverse("privacy:about"))
    assert page.status_code == 200
    text = main_of(page).get_text(" ", strip=True)
    for kept in ("name", "email address", "website", "IP address", "user agent"):
        assert kept in text
    assert "cookie" in text
    assert ANSWER not in text
    home = BeautifulSoup(client.get("/").content, "html5lib")
    footer = home.find("footer")
    assert isinstance(footer, Tag)
    assert footer.find("a", href=reverse("privacy:about"))


def test_known_and_unknown_addresses_get_the_same_answer_and_only_one_email(
    ask: Ask,
    post: Post,
    comment_on: Callable[..., Response],
    mailoutbox: list[EmailMessage],
) -> None:
    bobs_comment(post, comment_on)
    known = ask(BOB, ip="198.51.100.1")
    unknown = ask(NOBODY, ip="198.51.100.2")
    assert known.status_code == unknown.status_code == 200

    def shown(page: Any) -> str:
        main = main_of(page)
        for hidden in main.find_all("input", attrs={"name": "csrfmiddlewaretoken"}):
            hidden.decompose()
        return str(main)

    assert shown(known) == shown(unknown)
    assert ANSWER in shown(known)
    assert [m.to for m in mailoutbox] == [[BOB]]
    message = mailoutbox[0]
    assert "Bob Reader" not in message.subject
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "24 hours" in str(message.body)


def test_the_request_itself_never_looks_the_address_up(
    client: Client,
    post: Post,
    comment_on: Callable[..., Response],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    """No query while answering: a known address cannot answer more slowly."""
    bobs_comment(post, comment_on)
    for email in (BOB, NOBODY):
        with django_assert_num_queries(0):
            page = client.post(reverse("privacy:about"), {"email": email})
        assert ANSWER in main_of(page).get_text()


def test_the_emailed_link_lists_the_responses_whatever_the_case_of_the_address(
    ask: Ask,
    client: Client,
    post: Post,
    comment_on: Callable[..., Response],
    mailoutbox: list[EmailMessage],
) -> None:
    bobs_comment(post, comment_on, author_email="Bob@Example.org", body="Mixed case.")
    ask("BOB@example.ORG")
    assert len(mailoutbox) == 1
    page = client.get(link_in(mailoutbox[0]))
    assert page.status_code == 200
    assert "Mixed case." in main_of(page).get_text()


def test_an_address_with_only_held_or_spam_responses_gets_its_link_too(
    ask: Ask,
    post: Post,
    comment_on: Callable[..., Response],
    mailoutbox: list[EmailMessage],
) -> None:
    moderation.mark_spam(bobs_comment(post, comment_on))
    ask(BOB)
    assert [m.to for m in mailoutbox] == [[BOB]]


def test_an_invalid_address_is_refused_with_the_reason(
    ask: Ask, mailoutbox: list[EmailMessage]
) -> None:
    page = ask("not an address")
    assert page.status_code == 400
    assert "valid email address" in main_of(page).get_text()
    assert mailoutbox == []


def test_the_same_job_run_twice_sends_one_email(
    post: Post, comment_on: Callable[..., Response], mailoutbox: list[EmailMessage]
) -> None:
    bobs_comment(post, comment_on)
    send_link_task.enqueue(BOB, "https://blog.example.com", 1_800_000_000)
    send_link_task.enqueue(BOB, "https://blog.example.com", 1_800_000_000)
    assert len(mailoutbox) == 1
    assert link_in(mailoutbox[0]).startswith("/privacy/responses/")
    assert "https://blog.example.com/privacy/responses/" in str(mailoutbox[0].body)


# --- Rate limits ------------------------------------------------------------------


def _window_start() -> datetime.datetime:
    """The start of an hour tomorrow: every fixed window begins there."""
    day = datetime.datetime.now(tz=datetime.UTC).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC)


def test_one_email_per_address_per_ten_minutes_whatever_the_ip(
    ask: Ask,
    post: Post,
    comment_on: Callable[..., Response],
    mailoutbox: list[EmailMessage],
) -> None:
    bobs_comment(post, comment_on)
    with time_machine.travel(_window_start(), tick=False) as clock:
        first = ask(BOB, ip="198.51.100.1")
        again = ask(BOB, ip="198.51.100.2")
        assert ANSWER in main_of(again).get_text()
        assert first.status_code == again.status_code == 200
        assert len(mailoutbox) == 1
        clock.shift(9 * 60)
        ask(BOB, ip="198.51.100.3")
        assert len(mailoutbox) == 1
        clock.shift(60)
        ask(BOB, ip="198.51.100.4")
        assert len(mailoutbox) == 2


def test_five_requests_per_ip_per_hour(
    ask: Ask,
    post: Post,
    comment_on: Callable[..., Response],
    mailoutbox: list[EmailMessage],
) -> None:
    addresses = [f"reader{n}@example.org" for n in range(7)]
    for n, address in enumerate(addresses):
        comment_on(post, author_name=f"Reader {n}", author_email=address)
    with time_machine.travel(_window_start(), tick=False) as clock:
        for address in addresses[:6]:
            page = ask(address, ip="198.51.100.9")
            assert ANSWER in main_of(page).get_text()
        assert len(mailoutbox) == 5
        assert addresses[5] not in {m.to[0] for m in mailoutbox}
        ask(addresses[6], ip="198.51.100.10")  # another IP is not held back
        assert len(mailoutbox) == 6
        clock.shift(3600)
        ask(addresses[5], ip="198.51.100.9")
        assert len(mailoutbox) == 7


# --- The link's pages -------------------------------------------------------------


def test_the_list_shows_every_status_with_post_date_words_and_links_when_visible(
    client: Client,
    make_post: Callable[..., Post],
    comment_on: Callable[..., Response],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    pricing = make_post("Prices on the shop window")
    frames = make_post("Oak or walnut frames")
    shown = bobs_comment(pricing, comment_on, body="Shown text about prices.")
    held = moderation.hold(bobs_comment(frames, comment_on, body="Held text on oak."))
    spam = moderation.mark_spam(bobs_comment(frames, comment_on, body="Spam text."))
    cindys_comment(pricing, comment_on, body="Cindy's own words.")
    token = privacy.link_token(BOB)
    url = reverse("privacy:responses", kwargs={"token": token})
    with django_assert_num_queries(1):
        page = client.get(url)
    assert page.status_code == 200
    main = main_of(page)
    text = main.get_text(" ", strip=True)
    items = main.select("ol.privacy-responses > li")
    assert len(items) == 3
    assert "Cindy" not in text
    by_text = {
        "Shown text about prices.": (pricing, shown, "Shown on the site"),
        "Held text on oak.": (frames, held, "Awaiting moderation"),
        "Spam text.": (frames, spam, "Held as spam"),
    }
    for body, (on_post, response, words) in by_text.items():
        (item,) = [li for li in items if body in li.get_text()]
        assert on_post.title in item.get_text()
        assert words in item.get_text()
        day = response.created_at.strftime("%Y-%m-%d")
        time_tag = item.find("time")
        assert isinstance(time_tag, Tag)
        assert str(time_tag["datetime"]).startswith(day)
        response.post = on_post
        link = item.find("a", href=response.get_absolute_url())
        assert (link is not None) == (response is shown)
    for name in ("export", "delete"):
        assert main.find("a", href=reverse(f"privacy:{name}", args=[token])), name


def test_the_pages_are_private_and_not_indexed(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    bobs_comment(post, comment_on)
    token = privacy.link_token(BOB)
    for name in ("responses", "export", "delete"):
        page = client.get(reverse(f"privacy:{name}", kwargs={"token": token}))
        assert page.status_code == 200, name
        cache_control = {v.strip() for v in page["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control, name
        assert page["X-Robots-Tag"] == "noindex"
        assert page["Referrer-Policy"] == "no-referrer"
    page = client.get(reverse("privacy:responses", kwargs={"token": token}))
    robots = BeautifulSoup(page.content, "html5lib").find(
        "meta", attrs={"name": "robots"}
    )
    assert isinstance(robots, Tag)
    assert robots["content"] == "noindex"


def test_a_link_for_one_address_never_shows_another(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    bobs_comment(post, comment_on, body="Bob on frames.")
    cindys_comment(post, comment_on, body="Cindy on frames.")
    mallorys = client.get(responses_url("mallory@example.com"))
    assert mallorys.status_code == 200
    assert "No responses are stored" in main_of(mallorys).get_text()
    bobs = main_of(client.get(responses_url(BOB))).get_text()
    assert "Bob on frames." in bobs
    assert "Cindy on frames." not in bobs


def _tampered_tokens() -> dict[str, str]:
    bobs = privacy.link_token(BOB)
    payload, stamp, signature = bobs.split(":")
    cindys_payload = privacy.link_token(CINDY).split(":")[0]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return {
        "cindy's address, bob's signature": f"{cindys_payload}:{stamp}:{signature}",
        "a changed signature": f"{payload}:{stamp}:{flipped}",
        "signed for another purpose": signing.TimestampSigner(
            salt=tickets.SALT
        ).sign_object({"e": CINDY}),
        "no signature": payload,
        "no address inside": signing.TimestampSigner(salt=privacy.SALT).sign_object(
            {"x": CINDY}
        ),
    }


@pytest.mark.parametrize("name", ["responses", "export", "delete"])
def test_a_tampered_link_is_refused_with_the_way_to_a_new_one(
    client: Client, post: Post, comment_on: Callable[..., Response], name: str
) -> None:
    cindys_comment(post, comment_on, body="Cindy's private thoughts.")
    for how, token in _tampered_tokens().items():
        page = client.get(reverse(f"privacy:{name}", kwargs={"token": token}))
        assert page.status_code == 400, how
        assert "Cindy" not in page.content.decode(), how
        main = main_of(page)
        assert "no longer works" in main.get_text()
        assert main.find("a", href=f"{reverse('privacy:about')}#ask")
    forged = _tampered_tokens()["cindy's address, bob's signature"]
    posted = client.post(reverse("privacy:delete", kwargs={"token": forged}))
    assert posted.status_code == 400
    assert Response.objects.filter(author_email=CINDY).count() == 1


def test_a_link_works_for_24_hours_and_then_asks_to_ask_again(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    bobs_comment(post, comment_on, body="Still mine.")
    sent = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(sent, tick=False) as clock:
        url = responses_url(BOB)
        clock.shift(datetime.timedelta(hours=23, minutes=59))
        assert client.get(url).status_code == 200
        clock.shift(datetime.timedelta(minutes=2))
        expired = client.get(url)
        assert expired.status_code == 400
        assert "Still mine." not in expired.content.decode()
        assert "Ask for a new link" in main_of(expired).get_text()


# --- Export -----------------------------------------------------------------------


def test_the_export_holds_every_stored_field_and_nothing_of_anyone_else(
    client: Client,
    ada: Author,
    post: Post,
    comment_on: Callable[..., Response],
) -> None:
    bob = bobs_comment(post, comment_on, body="Frames first.")
    moderation.edit_text(bob, "Frames first, then prices.", editor=ada.user)
    reply = cindys_comment(post, comment_on, parent_id=bob.pk, body="Cindy answers.")
    Follow.objects.create(
        email=BOB, scope=Follow.Scope.REPLIES, post=post, response=bob
    )
    Follow.objects.create(
        email=CINDY, scope=Follow.Scope.REPLIES, post=post, response=reply
    )
    page = client.get(reverse("privacy:export", args=[privacy.link_token(BOB)]))
    assert page.status_code == 200
    assert page["Content-Type"] == "application/json"
    assert page["Content-Disposition"].startswith("attachment;")
    raw = page.content.decode()
    for others in (CINDY, "Cindy", "203.0.113.77", "CindyBrowser", ada.user.email):
        assert others not in raw
    data = json.loads(raw)
    assert data["email"] == BOB
    (exported,) = data["responses"]
    bob.refresh_from_db()
    assert exported["name"] == "Bob Reader"
    assert exported["email"] == BOB
    assert exported["website"] == "https://bob.example.org"
    assert exported["title"] == "Framer"
    assert exported["text"] == "Frames first, then prices."
    assert exported["status"] == "Shown on the site"
    assert exported["kind"] == "Comment"
    assert exported["number"] == bob.number
    assert exported["post_title"] == post.title
    assert exported["post_url"] == f"http://testserver{post.get_absolute_url()}"
    assert exported["url"] == f"http://testserver{bob.get_absolute_url()}"
    assert exported["ip_address"] == "203.0.113.5"
    assert exported["user_agent"] == "BobBrowser/1.0"
    assert exported["created_at"] == bob.created_at.isoformat()
    assert exported["edited_at"] == bob.edited_at.isoformat()  # type: ignore[union-attr]
    (edit,) = exported["edits"]
    assert edit["old_text"] == "Frames first."
    assert edit["new_text"] == "Frames first, then prices."
    (follow,) = data["follows"]
    assert follow["email"] == BOB
    assert follow["post_title"] == post.title


# --- Deletion ---------------------------------------------------------------------


def test_the_confirmation_page_changes_nothing(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    bobs_comment(post, comment_on)
    page = client.get(reverse("privacy:delete", args=[privacy.link_token(BOB)]))
    assert page.status_code == 200
    form = main_of(page).find("form", method="post")
    assert isinstance(form, Tag)
    assert "1 response" in main_of(page).get_text()
    assert Response.objects.filter(author_email=BOB).count() == 1


def test_deleting_needs_a_post_with_its_csrf_token(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    bobs_comment(post, comment_on)
    browser = Client(enforce_csrf_checks=True)
    url = reverse("privacy:delete", args=[privacy.link_token(BOB)])
    assert browser.post(url).status_code == 403
    assert Response.objects.filter(author_email=BOB).count() == 1
    confirm = main_of(browser.get(url))
    token = confirm.find("input", attrs={"name": "csrfmiddlewaretoken"})
    assert isinstance(token, Tag)
    done = browser.post(url, {"csrfmiddlewaretoken": token["value"]})
    assert done.status_code == 200
    assert "1 response written with bob@example.org was deleted" in " ".join(
        main_of(done).get_text().split()
    )
    assert not Response.objects.filter(author_email=BOB).exists()


def test_erasing_keeps_the_count_right_numbers_unused_and_others_replies_shown(
    client: Client,
    ada: Author,
    make_post: Callable[..., Post],
    comment_on: Callable[..., Response],
) -> None:
    post = make_post("Should a small shop put its prices online?")
    other = make_post("Oak or walnut frames")
    first = bobs_comment(post, comment_on, body="Bob starts the thread.")
    moderation.edit_text(first, "Bob starts the thread, edited.", editor=ada.user)
    reply = cindys_comment(post, comment_on, parent_id=first.pk, body="Cindy answers.")
    held = moderation.hold(bobs_comment(post, comment_on, body="Bob, held."))
    bobs_comment(other, comment_on, author_email="BOB@example.org", body="Oak!")
    cindys = cindys_comment(other, comment_on, body="Walnut, says Cindy.")
    Follow.objects.create(
        email=BOB, scope=Follow.Scope.REPLIES, post=post, response=first
    )
    Follow.objects.create(
        email="Bob@Example.org", scope=Follow.Scope.POST, post=other, response=cindys
    )
    Follow.objects.create(
        email=CINDY, scope=Follow.Scope.REPLIES, post=post, response=reply
    )
    SentEmail.objects.create(key=f"{privacy.sent_key_prefix(BOB)}1")
    post.refresh_from_db()
    other.refresh_from_db()
    assert (post.response_count, other.response_count) == (2, 2)
    last_number = post.last_response_number

    assert privacy.erase_by_email(BOB) == 3

    post.refresh_from_db()
    other.refresh_from_db()
    assert (post.response_count, other.response_count) == (1, 1)
    assert Response.objects.visible().filter(post=post).count() == 1
    assert not Response.objects.filter(author_email__iexact=BOB).exists()
    assert not Response.objects.filter(pk=held.pk).exists()
    assert not ResponseEdit.objects.exists()
    assert not Follow.objects.filter(email__iexact=BOB).exists()
    assert list(Follow.objects.values_list("email", flat=True)) == [CINDY]
    assert not SentEmail.objects.exists()
    # Other people's responses are untouched; the reply keeps its place.
    reply_before = reply
    reply = Response.objects.get(pk=reply.pk)
    assert reply.parent_id is None
    assert reply.path == reply_before.path
    assert reply.number == reply_before.number
    assert reply.body == "Cindy answers."
    assert Response.objects.get(pk=cindys.pk).status == Response.Status.VISIBLE
    # Numbers are never given again.
    assert post.last_response_number == last_number
    newer = cindys_comment(post, comment_on, body="Cindy, later.")
    assert newer.number == last_number + 1
    # The thread page still shows the reply, under a note for the gone response.
    page = main_of(client.get(post.get_absolute_url()))
    gone = page.find("li", id=f"comment-{first.number}")
    assert isinstance(gone, Tag)
    assert f"#{first.number} is no longer shown" in gone.get_text()
    assert "Bob starts the thread" not in page.get_text()
    kept = gone.find("li", id=f"comment-{reply.number}")
    assert isinstance(kept, Tag)
    assert "Cindy answers." in kept.get_text()


def test_erasing_an_address_with_nothing_stored_changes_nothing(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    cindys_comment(post, comment_on)
    assert privacy.erase_by_email(NOBODY) == 0
    assert privacy.erase_by_email("  ") == 0
    assert Response.objects.count() == 1
    post.refresh_from_db()
    assert post.response_count == 1
