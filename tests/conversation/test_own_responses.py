"""The commenter edits or withdraws their own response (issue #6, point 5).

Bob posts from his browser (a test Client) and may change what he wrote from that
browser for FIRSTHAND_EDIT_MINUTES; Mallory, in another browser, may not; after
the window only Ada, the site's owner and moderator, can.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from firsthand.blog.models import Post
from firsthand.conversation import intake, mine, moderation, own, tickets
from firsthand.conversation.models import Follow, Response, ResponseEdit
from tests.conftest import ReaderClient, submission_for

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Page

pytestmark = pytest.mark.django_db

CLEAN_EDIT = "Framing is *hard*, and pricing it is harder."
SPAMMY_EDIT = (
    "Framing is hard. Cheap frames at https://cheap-frames.example/offer "
    "and http://discount-frames.example/today"
)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still unless a test moves it (``clock.shift(...)``)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def post_from(browser: Client, post: Post, body: str, **fields: str) -> Response:
    """Post a comment through the form, the way a person's browser does."""
    data = {
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        "author_url": "https://bob.example.org",
        "author_title": "Framer",
        "body": body,
        "leave_blank": "",
        "ticket": tickets.issue(now=time.time() - 30),
        **fields,
    }
    answer = browser.post(reverse("conversation:respond", args=[post.pk]), data)
    assert answer.status_code == 302
    return Response.objects.get(body=body)


def edit_url(response: Response) -> str:
    return reverse("own:edit", kwargs={"pk": response.pk})


def withdraw_url(response: Response) -> str:
    return reverse("own:withdraw", kwargs={"pk": response.pk})


def soup(page: Page) -> BeautifulSoup:
    return BeautifulSoup(page.content, "html5lib")


def page_text(browser: Client, post: Post) -> str:
    page = browser.get(post.get_absolute_url())
    assert page.status_code == 200
    return " ".join(soup(page).get_text(" ").split())


def own_links(browser: Client, post: Post) -> list[str]:
    page = browser.get(post.get_absolute_url())
    return [
        " ".join(a.get_text(" ").split())
        for a in soup(page).select("p.actions a.own-edit, p.actions a.own-withdraw")
    ]


@pytest.fixture
def bob() -> Client:
    """Bob's browser."""
    return ReaderClient()


@pytest.fixture
def mallory() -> Client:
    """Mallory's browser: she posted something of her own, too."""
    return ReaderClient()


# --- Editing within the window -------------------------------------------------------


def test_the_author_edits_within_the_window_and_readers_see_edited(
    bob: Client, post: Post, clock: time_machine.Traveller
) -> None:
    mine_ = post_from(bob, post, "Framing is *hard*.")
    assert mine_.status == Response.Status.VISIBLE
    clock.shift(datetime.timedelta(minutes=2, seconds=30))
    page = bob.get(post.get_absolute_url())
    actions = soup(page).select_one(f"#comment-{mine_.number} p.actions")
    assert actions is not None
    assert [a["href"] for a in actions.select("a.own-edit, a.own-withdraw")] == [
        edit_url(mine_),
        withdraw_url(mine_),
    ]
    assert "(13 min left)" in actions.get_text()

    form_page = bob.get(edit_url(mine_))
    assert form_page.status_code == 200
    textarea = soup(form_page).select_one("textarea[name=body][data-max-chars]")
    assert textarea is not None
    assert textarea.text == "Framing is *hard*."
    assert textarea["data-max-chars"] == "20000"

    saved = bob.post(edit_url(mine_), {"body": CLEAN_EDIT})
    assert saved.status_code == 302
    assert saved["Location"] == f"{post.get_absolute_url()}#comment-{mine_.number}"
    mine_.refresh_from_db()
    assert mine_.status == Response.Status.VISIBLE
    assert mine_.body == CLEAN_EDIT
    assert mine_.edited_at == timezone.now()
    edit = ResponseEdit.objects.get(response=mine_)
    assert (edit.editor, edit.note) == (None, own.EDIT_NOTE)
    assert (edit.old_body, edit.new_body) == ("Framing is *hard*.", CLEAN_EDIT)

    reader = Client()
    shown = soup(reader.get(post.get_absolute_url()))
    item = shown.select_one(f"#comment-{mine_.number}")
    assert item is not None
    assert item.select_one(".edited") is not None
    assert item.select_one(".e-content em") is not None
    assert "pricing it is harder" in item.get_text()
    assert "Framing is hard." not in item.get_text()


def test_saving_the_same_text_records_no_edit(
    bob: Client, post: Post, clock: time_machine.Traveller
) -> None:
    mine_ = post_from(bob, post, "Framing is *hard*.")
    clock.shift(datetime.timedelta(minutes=1))
    assert bob.post(
        edit_url(mine_), {"body": "Framing is *hard*.\r\n"}
    ).status_code == (302)
    mine_.refresh_from_db()
    assert mine_.edited_at is None
    assert not ResponseEdit.objects.exists()


def test_an_edit_that_adds_links_is_held_and_keeps_its_number(
    bob: Client, post: Post, clock: time_machine.Traveller
) -> None:
    mine_ = post_from(bob, post, "Framing is *hard*.")
    number = mine_.number
    post.refresh_from_db()
    assert post.response_count == 1
    clock.shift(datetime.timedelta(minutes=2))

    assert bob.post(edit_url(mine_), {"body": SPAMMY_EDIT}).status_code == 302
    mine_.refresh_from_db()
    assert mine_.status == Response.Status.PENDING
    assert mine_.number == number
    assert own.HELD_REASON in mine_.explanation
    assert "2 links" in mine_.explanation
    post.refresh_from_db()
    assert post.response_count == 0
    assert "cheap-frames" not in page_text(Client(), post)
    # Bob still sees it, as awaiting moderation, where it was.
    bobs_view = page_text(bob, post)
    assert "awaiting moderation" in bobs_view
    assert "cheap-frames.example" in bobs_view

    approved = moderation.approve(mine_)
    assert (approved.status, approved.number) == (Response.Status.VISIBLE, number)


def test_a_clean_edit_never_publishes_a_held_response(
    bob: Client, post: Post, clock: time_machine.Traveller, settings: Settings
) -> None:
    settings.FIRSTHAND_HOLD_FIRST_COMMENTS = True
    mine_ = post_from(bob, post, "Framing is *hard*.")
    assert mine_.status == Response.Status.PENDING
    # The new text alone would be published; the response still waits its turn.
    settings.FIRSTHAND_HOLD_FIRST_COMMENTS = False
    clock.shift(datetime.timedelta(minutes=1))
    assert bob.post(edit_url(mine_), {"body": CLEAN_EDIT}).status_code == 302
    mine_.refresh_from_db()
    assert (mine_.status, mine_.body) == (Response.Status.PENDING, CLEAN_EDIT)
    assert mine_.number is None


def test_an_edit_to_empty_text_is_refused_and_the_text_kept(
    bob: Client, post: Post, clock: time_machine.Traveller
) -> None:
    mine_ = post_from(bob, post, "Framing is *hard*.")
    clock.shift(datetime.timedelta(minutes=1))
    answer = bob.post(edit_url(mine_), {"body": "  \n "})
    assert answer.status_code == 400
    errors = soup(answer).select_one(".errors")
    assert errors is not None
    assert "Your comment is empty" in errors.get_text()
    mine_.refresh_from_db()
    assert mine_.body == "Framing is *hard*."
    assert mine_.edited_at is None
    assert not ResponseEdit.objects.exists()


def test_a_too_long_edit_comes_back_as_typed(
    bob: Client, post: Post, clock: time_machine.Traveller, settings: Settings
) -> None:
    mine_ = post_from(bob, post, "Framing is *hard*.")
    settings.FIRSTHAND_RESPONSE_MAX_CHARS = 30
    typed = "My <precious> words, and far too many of them."
    clock.shift(datetime.timedelta(minutes=1))
    answer = bob.post(edit_url(mine_), {"body": typed})
    assert answer.status_code == 400
    page = soup(answer)
    textarea = page.select_one("textarea[name=body]")
    assert textarea is not None
    assert textarea.text == typed
    assert "limit is 30" in page.get_text()
    mine_.refresh_from_db()
    assert mine_.body == "Framing is *hard*."


def test_an_edit_is_too_late_once_a_moderator_marked_it_spam(
    bob: Client, post: Post, clock: time_machine.Traveller
) -> None:
    mine_ = post_from(bob, post, "Framing is *hard*.")
    moderation.mark_spam(mine_)
    with pytest.raises(own.Refused):
        own.edit_own(mine_, CLEAN_EDIT)
    with pytest.raises(own.Refused):
        own.withdraw_own(mine_)
    mine_.refresh_from_db()
    assert (mine_.status, mine_.body) == (Response.Status.SPAM, "Framing is *hard*.")
    assert bob.post(edit_url(mine_), {"body": CLEAN_EDIT}).status_code == 403


# --- Who may change it ---------------------------------------------------------------


def _assert_refused(answer: Page, words: str) -> None:
    assert answer.status_code == 403
    text = " ".join(soup(answer).get_text(" ").split())
    assert words in text
    assert "A moderator can still help" in text


def test_another_browser_cannot_edit_or_withdraw(
    bob: Client, mallory: Client, post: Post, clock: time_machine.Traveller
) -> None:
    bobs = post_from(bob, post, "Framing is *hard*.")
    post_from(mallory, post, "Mallory was here.", author_email="mallory@example.net")
    clock.shift(datetime.timedelta(minutes=1))
    assert own_links(mallory, post) == [
        "Edit your comment #2",
        "Withdraw your comment #2",
    ]
    for answer in (
        mallory.get(edit_url(bobs)),
        mallory.post(edit_url(bobs), {"body": SPAMMY_EDIT}),
        mallory.get(withdraw_url(bobs)),
        mallory.post(withdraw_url(bobs)),
        Client().post(edit_url(bobs), {"body": SPAMMY_EDIT}),
    ):
        _assert_refused(answer, "this browser did not post this one")
    bobs.refresh_from_db()
    assert (bobs.status, bobs.body) == (Response.Status.VISIBLE, "Framing is *hard*.")
    assert not ResponseEdit.objects.exists()


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param(lambda pk: f"{pk}", id="unsigned"),
        pytest.param(
            lambda pk: signing.get_cookie_signer(salt=mine.COOKIE + "x").sign(str(pk)),
            id="other-salt",
        ),
        pytest.param(
            lambda pk: (
                signing.get_cookie_signer(salt=mine.COOKIE + mine.SALT)
                .sign(f"{pk + 1}")
                .replace(f"{pk + 1}:", f"{pk}:", 1)
            ),
            id="tampered",
        ),
    ],
)
def test_a_forged_cookie_cannot(
    bob: Client,
    post: Post,
    clock: time_machine.Traveller,
    cookie: Callable[[int], str],
) -> None:
    bobs = post_from(bob, post, "Framing is *hard*.")
    forger = Client()
    forger.cookies[mine.COOKIE] = cookie(bobs.pk)
    _assert_refused(
        forger.post(edit_url(bobs), {"body": SPAMMY_EDIT}),
        "this browser did not post this one",
    )
    _assert_refused(forger.post(withdraw_url(bobs)), "did not post this one")
    # The genuine cookie, copied, is what the browser itself would send.
    copied = Client()
    copied.cookies[mine.COOKIE] = bob.cookies[mine.COOKIE].value
    assert copied.get(edit_url(bobs)).status_code == 200
    bobs.refresh_from_db()
    assert bobs.status == Response.Status.VISIBLE


def test_after_the_window_only_moderators_can(
    bob: Client, ada_client: Client, post: Post, clock: time_machine.Traveller
) -> None:
    bobs = post_from(bob, post, "Framing is *hard*.")
    clock.shift(datetime.timedelta(minutes=14, seconds=59))
    assert own_links(bob, post)[0] == f"Edit your comment #{bobs.number}"
    assert "(1 min left)" in page_text(bob, post)
    clock.shift(datetime.timedelta(seconds=1))
    assert own_links(bob, post) == []
    _assert_refused(bob.get(edit_url(bobs)), "15 minutes after it was posted")
    _assert_refused(bob.post(edit_url(bobs), {"body": CLEAN_EDIT}), "has passed")
    _assert_refused(bob.post(withdraw_url(bobs)), "has passed")
    bobs.refresh_from_db()
    assert (bobs.status, bobs.body) == (Response.Status.VISIBLE, "Framing is *hard*.")

    moderated = ada_client.post(
        reverse("moderate:edit", args=[bobs.pk]), {"body": CLEAN_EDIT}
    )
    assert moderated.status_code == 302
    bobs.refresh_from_db()
    assert bobs.body == CLEAN_EDIT
    assert ResponseEdit.objects.get(response=bobs).editor == post.author.user


def test_the_setting_at_zero_turns_it_off(
    bob: Client, post: Post, clock: time_machine.Traveller, settings: Settings
) -> None:
    bobs = post_from(bob, post, "Framing is *hard*.")
    settings.FIRSTHAND_EDIT_MINUTES = 0
    assert own_links(bob, post) == []
    _assert_refused(bob.get(edit_url(bobs)), "does not let commenters edit")


def test_may_change_reads_ids_time_and_status(
    post: Post, comment_on: Callable[..., Response], clock: time_machine.Traveller
) -> None:
    response = comment_on(post)
    now = timezone.now()
    assert own.may_change([response.pk], response, now)
    assert not own.may_change([], response, now)
    assert not own.may_change([response.pk + 1], response, now)
    later = now + datetime.timedelta(minutes=15)
    assert own.may_change(
        [response.pk], response, later - datetime.timedelta(seconds=1)
    )
    assert own.refusal([response.pk], response, later) == own.Refusal.TOO_LATE
    for status in (Response.Status.SPAM, Response.Status.REMOVED):
        response.status = status
        assert own.refusal([response.pk], response, now) == own.Refusal.GONE
    response.status = Response.Status.PENDING
    assert own.may_change([response.pk], response, now)


def test_unknown_responses_are_not_found(bob: Client, db: None) -> None:
    assert bob.get(reverse("own:edit", args=[987654])).status_code == 404
    assert bob.post(reverse("own:withdraw", args=[987654])).status_code == 404


# --- Withdrawing ---------------------------------------------------------------------


def test_withdrawing_erases_it_keeps_replies_and_never_reuses_the_number(
    bob: Client,
    post: Post,
    comment_on: Callable[..., Response],
    clock: time_machine.Traveller,
) -> None:
    bobs = post_from(bob, post, "Framing is *hard*.", notify_replies="on")
    assert Follow.objects.filter(response=bobs).exists()
    clock.shift(datetime.timedelta(minutes=1))
    assert bob.post(edit_url(bobs), {"body": CLEAN_EDIT}).status_code == 302
    reply = comment_on(
        post,
        parent_id=bobs.pk,
        author_name="Carol Framewright",
        author_email="carol@example.net",
        body="Carol's answer stays.",
    )
    post.refresh_from_db()
    assert post.response_count == 2
    clock.shift(datetime.timedelta(minutes=1))

    confirm = bob.get(withdraw_url(bobs))
    assert confirm.status_code == 200
    assert soup(confirm).select_one("form button[type=submit]") is not None
    gone = bob.post(withdraw_url(bobs))
    assert gone.status_code == 302
    assert gone["Location"] == f"{post.get_absolute_url()}#responses"

    bobs.refresh_from_db()
    assert bobs.status == Response.Status.REMOVED
    erased = (
        bobs.body,
        bobs.body_html,
        bobs.author_email,
        bobs.author_url,
        bobs.author_title,
        bobs.ip_address,
        bobs.user_agent,
    )
    assert erased == ("", "", "", "", "", None, "")
    assert bobs.explanation == own.WITHDRAWN_REASON
    assert not ResponseEdit.objects.filter(response=bobs).exists()
    assert not Follow.objects.filter(response=bobs).exists()
    post.refresh_from_db()
    assert post.response_count == 1

    text = page_text(Client(), post)
    assert f"#{bobs.number} is no longer shown" in text
    assert "Carol's answer stays." in text
    assert "pricing it is harder" not in text
    reply.refresh_from_db()
    assert reply.status == Response.Status.VISIBLE

    after = comment_on(post, author_name="Dave Gilder", author_email="dave@example.com")
    assert after.number == 3
    # Withdrawn is final: no second withdrawal, no edit.
    assert bob.post(withdraw_url(bobs)).status_code == 403
    assert bob.post(edit_url(bobs), {"body": CLEAN_EDIT}).status_code == 403


def test_get_never_changes_anything(
    bob: Client, post: Post, clock: time_machine.Traveller
) -> None:
    bobs = post_from(bob, post, "Framing is *hard*.")
    clock.shift(datetime.timedelta(minutes=1))
    before = Response.objects.values().get(pk=bobs.pk)
    assert bob.get(edit_url(bobs), {"body": SPAMMY_EDIT}).status_code == 200
    assert bob.get(withdraw_url(bobs)).status_code == 200
    assert Response.objects.values().get(pk=bobs.pk) == before
    post.refresh_from_db()
    assert post.response_count == 1
    assert not ResponseEdit.objects.exists()


def test_csrf_is_enforced_on_every_post(
    bob: Client, post: Post, clock: time_machine.Traveller
) -> None:
    bobs = post_from(bob, post, "Framing is *hard*.")
    clock.shift(datetime.timedelta(minutes=1))
    strict = Client(enforce_csrf_checks=True)
    strict.cookies[mine.COOKIE] = bob.cookies[mine.COOKIE].value
    assert strict.post(edit_url(bobs), {"body": CLEAN_EDIT}).status_code == 403
    assert strict.post(withdraw_url(bobs)).status_code == 403
    bobs.refresh_from_db()
    assert (bobs.status, bobs.body) == (Response.Status.VISIBLE, "Framing is *hard*.")

    # With the token its own form carries, the same browser gets through.
    form = soup(strict.get(edit_url(bobs))).select_one(
        "input[name=csrfmiddlewaretoken]"
    )
    assert form is not None
    token = str(form["value"])
    answer = strict.post(
        edit_url(bobs), {"body": CLEAN_EDIT, "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302
    bobs.refresh_from_db()
    assert bobs.body == CLEAN_EDIT


def test_edit_own_refuses_what_a_new_comment_could_not_say(
    post: Post, clock: time_machine.Traveller
) -> None:
    response = intake.receive(submission_for(post, ip_address="192.0.2.7"))
    with pytest.raises(intake.Rejected) as rejected:
        own.edit_own(response, "")
    assert "body" in rejected.value.errors


def test_the_links_cost_no_query_per_response(
    bob: Client, post: Post, clock: time_machine.Traveller
) -> None:
    def queries_for_the_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert bob.get(post.get_absolute_url()).status_code == 200
        return len(queries)

    post_from(bob, post, "Framing is *hard*.")
    one = queries_for_the_page()
    post_from(bob, post, "Glass is harder.")
    post_from(bob, post, "Mounts are easiest.")
    assert len(own_links(bob, post)) == 6
    assert queries_for_the_page() == one


def test_a_withdrawn_response_cannot_be_approved_back(
    bob: Client, ada_client: Client, post: Post, clock: time_machine.Traveller
) -> None:
    bobs = post_from(bob, post, "Second thoughts.")
    clock.shift(datetime.timedelta(minutes=1))
    assert bob.post(withdraw_url(bobs)).status_code == 302
    bobs.refresh_from_db()
    assert bobs.status == Response.Status.REMOVED
    assert bobs.author_name == "(withdrawn)"
    with pytest.raises(ValueError, match="withdrew"):
        moderation.approve(bobs)
    page = ada_client.post(f"/moderate/{bobs.pk}/approve/", follow=True)
    assert "withdrew this response" in page.content.decode()
    bobs.refresh_from_db()
    assert bobs.status == Response.Status.REMOVED


def test_a_held_response_offers_its_writer_the_same_links(
    bob: Client, post: Post, clock: time_machine.Traveller
) -> None:
    body = "See https://one.example.org and https://two.example.org for frames."
    held = post_from(bob, post, body)
    assert held.status == Response.Status.PENDING
    page = soup(bob.get(post.get_absolute_url()))
    pending = page.select_one("li.response-pending")
    assert pending is not None
    assert pending.select_one(f'a[href="{edit_url(held)}"]') is not None
    assert pending.select_one(f'a[href="{withdraw_url(held)}"]') is not None
