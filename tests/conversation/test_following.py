"""Email follows: the double opt-in, one email per event, and unsubscribing.

Personas: bob comments and follows, carol and dave answer him, mallory forges
links. Emails land in Django's locmem outbox; tasks run at once (immediate
backend) when the on-commit callbacks run, except in the worker test, which uses
the production database backend and ``firsthand worker --batch``.
"""

from __future__ import annotations

import datetime
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from email import message_from_bytes
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from firsthand.blog.models import Post
from firsthand.conversation import moderation, notify, tasks, tickets
from firsthand.conversation.models import BlockRule, Follow, Response, SentEmail

pytestmark = pytest.mark.django_db

BOB = "bob@example.org"
CAROL = "carol@example.net"
DAVE = "dave@example.com"

Run = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def committed(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> Run:
    """Run what would run after commit (signals, then tasks) at the block's end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def form_data(post: Post, **fields: str) -> dict[str, str]:
    """What a browser sends, with a form ticket issued half a minute ago."""
    data = {
        "author_name": "Bob Reader",
        "author_email": BOB,
        "author_url": "",
        "author_title": "",
        # Distinct enough that the near-duplicate rule leaves it alone.
        "body": f"I agree with *most* of this: {uuid.uuid4().hex}.",
        "leave_blank": "",
        "ticket": tickets.issue(now=time.time() - 30),
    }
    data.update(fields)
    return data


def comment(client: Client, committed: Run, post: Post, **fields: str) -> Response:
    """Post the real comment form; after-commit work (and so tasks) runs."""
    with committed():
        page = client.post(
            reverse("conversation:respond", kwargs={"post_id": post.pk}),
            form_data(post, **fields),
        )
    assert page.status_code == 302, page.content.decode()
    return Response.objects.latest("pk")


def reply_to(
    client: Client, committed: Run, parent: Response, **fields: str
) -> Response:
    assert parent.number is not None
    return comment(
        client, committed, parent.post, in_reply_to=str(parent.number), **fields
    )


def sent_to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [address]]


def link_in(message: mail.EmailMessage, name: str) -> str:
    """The path of the /follow/<name>/ link in an email's body."""
    found = re.search(rf"https?://\S+/follow/{name}/\S+/", str(message.body))
    assert found is not None, message.body
    return urlsplit(found.group(0)).path


def confirm_all(client: Client, address: str) -> None:
    """Open the latest confirmation link sent to ``address`` and press the button."""
    confirmation = [m for m in sent_to(address) if m.subject.startswith("Confirm")][-1]
    url = link_in(confirmation, "confirm")
    page = client.get(url)
    assert page.status_code == 200
    ids = re.findall(r'name="follow" value="(\d+)"', page.content.decode())
    assert client.post(url, {"follow": ids}).status_code == 200


@pytest.fixture
def hold_frames(db: None) -> None:
    """Every response mentioning "frames" is held for moderation."""
    BlockRule.objects.create(kind="word", value="frames", action="hold")


# --- Double opt-in ----------------------------------------------------------------


def test_a_follow_is_only_asked_to_confirm_and_sends_nothing_else(
    client: Client, committed: Run, post: Post
) -> None:
    mine = comment(client, committed, post, notify_replies="on", notify_post="on")
    assert {(f.email, f.scope, f.response_id) for f in Follow.objects.all()} == {
        (BOB, "replies", mine.pk),
        (BOB, "post", mine.pk),
    }
    [confirmation] = sent_to(BOB)
    assert confirmation.subject == f"Confirm: email about comments on “{post.title}”"
    assert "replies to your comment on" in str(confirmation.body)
    assert "new comments on" in str(confirmation.body)
    assert not Follow.objects.filter(confirmed_at__isnull=False).exists()

    reply_to(client, committed, mine, author_name="Carol", author_email=CAROL)
    comment(client, committed, post, author_name="Dave", author_email=DAVE)
    assert sent_to(BOB) == [confirmation]  # unconfirmed: no news at all


def test_the_email_says_who_asked_for_what_and_lowercases_the_address(
    client: Client, committed: Run, post: Post
) -> None:
    comment(client, committed, post, author_email="Bob@Example.ORG", notify_post="on")
    assert Follow.objects.get().email == BOB
    [confirmation] = sent_to(BOB)
    assert "replies to your comment" not in str(confirmation.body)
    assert "7 days" in str(confirmation.body)


def test_a_held_or_spam_response_emails_its_address_nothing_until_approved(
    client: Client, committed: Run, post: Post, hold_frames: None
) -> None:
    BlockRule.objects.create(kind="word", value="casino", action="spam")
    held = comment(
        client, committed, post, body="Good frames are rare.", notify_replies="on"
    )
    spam = comment(
        client,
        committed,
        post,
        body="Best casino here.",
        author_email=CAROL,
        notify_post="on",
    )
    assert (held.status, spam.status) == ("pending", "spam")
    assert Follow.objects.count() == 2
    assert sent_to(BOB) == []
    assert sent_to(CAROL) == []
    assert not Follow.objects.filter(requested_at__isnull=False).exists()

    with committed():
        moderation.approve(held)
    [confirmation] = sent_to(BOB)
    assert confirmation.subject.startswith("Confirm")
    assert sent_to(CAROL) == []


def test_confirming_takes_a_post_the_get_only_shows(
    client: Client, committed: Run, post: Post
) -> None:
    comment(client, committed, post, notify_replies="on")
    [confirmation] = sent_to(BOB)
    url = link_in(confirmation, "confirm")
    page = client.get(url)
    assert page.status_code == 200
    assert "replies to your comment on" in page.content.decode()
    assert Follow.objects.get().confirmed_at is None  # a link scanner changes nothing
    follow = Follow.objects.get()
    done = client.post(url, {"follow": [str(follow.pk)]})
    assert done.status_code == 200
    assert "Confirmed" in done.content.decode()
    follow.refresh_from_db()
    assert follow.confirmed_at is not None


def test_a_confirmation_link_confirms_only_its_own_address(
    client: Client, committed: Run, post: Post
) -> None:
    comment(client, committed, post, notify_replies="on")
    comment(client, committed, post, author_email=CAROL, notify_replies="on")
    carols = Follow.objects.get(email=CAROL)
    url = link_in(sent_to(BOB)[0], "confirm")
    client.post(url, {"follow": [str(carols.pk)]})
    carols.refresh_from_db()
    assert carols.confirmed_at is None
    assert not Follow.objects.filter(confirmed_at__isnull=False).exists()


def test_expired_forged_or_borrowed_confirmation_links_are_refused(
    client: Client, committed: Run, post: Post
) -> None:
    comment(client, committed, post, notify_replies="on")
    url = link_in(sent_to(BOB)[0], "confirm")
    follow = Follow.objects.get()
    with time_machine.travel(datetime.timedelta(days=8)):
        page = client.post(url, {"follow": [str(follow.pk)]})
    assert page.status_code == 400
    assert "older than 7 days" in page.content.decode()
    tampered = url.replace(url.split("/")[-2], url.split("/")[-2][:-2] + "xx")
    assert client.get(tampered).status_code == 400
    # Signed by the site, but for unsubscribing: not a confirmation link.
    other_purpose = notify.unsubscribe_token(follow)
    page = client.post(
        reverse("following:confirm", kwargs={"token": other_purpose}),
        {"follow": [str(follow.pk)]},
    )
    assert page.status_code == 400
    follow.refresh_from_db()
    assert follow.confirmed_at is None


def test_one_confirmation_per_address_per_ten_minutes_and_the_page_lists_all(
    client: Client, committed: Run, post: Post, make_post: Callable[..., Post]
) -> None:
    second_post = make_post("Opening hours on holidays")
    comment(client, committed, post, notify_replies="on")
    comment(client, committed, second_post, notify_post="on")
    assert len(sent_to(BOB)) == 1
    assert Follow.objects.filter(requested_at__isnull=False).count() == 2
    page = client.get(link_in(sent_to(BOB)[0], "confirm")).content.decode()
    assert "Opening hours on holidays" in page
    assert post.title in page

    with time_machine.travel(datetime.timedelta(minutes=11)):
        comment(client, committed, second_post, notify_replies="on")
        assert len(sent_to(BOB)) == 2


# --- News for confirmed followers -------------------------------------------------


def test_a_confirmed_follower_gets_exactly_one_email_per_reply(
    client: Client, committed: Run, post: Post
) -> None:
    mine = comment(client, committed, post, notify_replies="on")
    confirm_all(client, BOB)
    before = len(sent_to(BOB))
    reply = reply_to(client, committed, mine, author_name="Carol", author_email=CAROL)
    [news] = sent_to(BOB)[before:]
    assert news.subject == "New reply to your comment from Carol"
    reply.post = post
    assert f"http://127.0.0.1:8000{reply.get_absolute_url()}" in str(news.body)
    assert "/follow/unsubscribe/" in str(news.body)
    assert news.extra_headers["List-Unsubscribe"] == (
        f"<http://127.0.0.1:8000{link_in(news, 'unsubscribe')}>"
    )
    assert news.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A top-level comment is not a reply to bob: he follows only replies.
    comment(client, committed, post, author_name="Dave", author_email=DAVE)
    assert len(sent_to(BOB)) == before + 1


def test_following_both_gives_one_email_per_event(
    client: Client, committed: Run, post: Post
) -> None:
    mine = comment(client, committed, post, notify_replies="on", notify_post="on")
    confirm_all(client, BOB)
    before = len(sent_to(BOB))
    reply_to(client, committed, mine, author_name="Carol", author_email=CAROL)
    comment(client, committed, post, author_name="Dave", author_email=DAVE)
    news = sent_to(BOB)[before:]
    assert [m.subject for m in news] == [
        "New reply to your comment from Carol",
        f"New comment on “{post.title}” from Dave",
    ]


def test_the_author_of_a_response_is_not_told_about_it(
    client: Client, committed: Run, post: Post
) -> None:
    comment(client, committed, post, notify_post="on")
    confirm_all(client, BOB)
    before = len(sent_to(BOB))
    comment(client, committed, post, author_email="BOB@example.org")
    assert len(sent_to(BOB)) == before


def test_a_notification_job_run_twice_sends_once(
    client: Client, committed: Run, post: Post
) -> None:
    mine = comment(client, committed, post, notify_replies="on")
    confirm_all(client, BOB)
    reply = reply_to(client, committed, mine, author_email=CAROL)
    count = len(mail.outbox)
    assert tasks.request_confirmation_task.enqueue(mine.pk).return_value == 0
    assert tasks.notify_author_task.enqueue(reply.pk).return_value is False
    assert tasks.published_task.enqueue(reply.pk).return_value == 0
    assert len(mail.outbox) == count


def test_followers_hear_of_a_response_even_if_asking_to_confirm_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done: list[str] = []

    def author(response_id: int) -> bool:
        done.append("author")
        return True

    def broken(response_id: int) -> int:
        done.append("confirm")
        raise ConnectionError("the mail server went away")

    def followers(response_id: int) -> int:
        done.append(f"followers of {response_id}")
        return 2

    monkeypatch.setattr(notify, "notify_author", author)
    monkeypatch.setattr(notify, "request_confirmation", broken)
    monkeypatch.setattr(notify, "notify_followers", followers)
    with pytest.raises(tasks.MailFailed) as failed:
        tasks.published_task.call(7)
    assert isinstance(failed.value.__cause__, ConnectionError)
    assert done == ["author", "confirm", "followers of 7"]


def test_the_email_defangs_the_commenters_links_and_leaves_out_their_website(
    client: Client, committed: Run, post: Post
) -> None:
    mine = comment(client, committed, post, notify_replies="on")
    confirm_all(client, BOB)
    before = len(sent_to(BOB))
    reply = reply_to(
        client,
        committed,
        mine,
        author_name="Carol",
        author_email=CAROL,
        author_url="https://carol.example.net/",
        body="Cheap frames at https://spam.example/x and www.spam.example today",
    )
    assert reply.status == "pending"  # links from a new commenter wait for a look
    assert sent_to(BOB)[before:] == []
    with committed():
        moderation.approve(reply)
    [news] = sent_to(BOB)[before:]
    body = str(news.body)
    assert "Carol" in body
    assert "Cheap frames at spam[.]example/x and www[.]spam[.]example today" in body
    assert "spam.example" not in body
    assert "carol.example" not in body


def test_a_name_cannot_add_headers(client: Client, committed: Run, post: Post) -> None:
    mine = comment(client, committed, post, notify_replies="on")
    confirm_all(client, BOB)
    before = len(sent_to(BOB))
    reply = reply_to(client, committed, mine, author_email=CAROL)
    # The form cleans names; a response from any source might still carry one.
    Response.objects.filter(pk=reply.pk).update(
        author_name="Eve\r\nBcc: mallory@example.com"
    )
    mail.outbox.clear()
    SentEmail.objects.filter(key__startswith=f"news:{reply.pk}:").delete()
    assert before >= 1
    assert notify.notify_followers(reply.pk) == 1
    [news] = mail.outbox
    parsed = message_from_bytes(news.message().as_bytes())
    assert parsed["Bcc"] is None
    assert news.recipients() == [BOB]
    assert parsed["Subject"] == (
        "New reply to your comment from Eve Bcc: mallory@example[.]com"
    )
    assert set(parsed.keys()) == {
        "Content-Type",
        "MIME-Version",
        "Content-Transfer-Encoding",
        "Subject",
        "From",
        "To",
        "Date",
        "Message-ID",
        "Auto-Submitted",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    }


# --- Unsubscribing --------------------------------------------------------------


@pytest.fixture
def followed(client: Client, committed: Run, post: Post) -> mail.EmailMessage:
    """Bob follows replies to his comment (confirmed); Carol replied: the email."""
    mine = comment(client, committed, post, notify_replies="on")
    confirm_all(client, BOB)
    reply_to(client, committed, mine, author_name="Carol", author_email=CAROL)
    return sent_to(BOB)[-1]


def test_unsubscribe_get_shows_a_form_and_changes_nothing(
    client: Client, followed: mail.EmailMessage
) -> None:
    page = client.get(link_in(followed, "unsubscribe"))
    assert page.status_code == 200
    assert '<form method="post"' in page.content.decode()
    assert Follow.objects.filter(email=BOB).exists()


def test_unsubscribe_post_ends_the_follow(
    client: Client, committed: Run, post: Post, followed: mail.EmailMessage
) -> None:
    page = client.post(link_in(followed, "unsubscribe"))
    assert page.status_code == 200
    assert not Follow.objects.filter(email=BOB).exists()
    mine = Response.objects.filter(author_email=BOB).get()
    before = len(sent_to(BOB))
    reply_to(client, committed, mine, author_email=DAVE)
    assert len(sent_to(BOB)) == before


def test_one_click_unsubscribe_works_without_a_csrf_cookie(
    followed: mail.EmailMessage,
) -> None:
    provider = Client(enforce_csrf_checks=True)
    url = urlsplit(followed.extra_headers["List-Unsubscribe"].strip("<>")).path
    page = provider.post(url, {"List-Unsubscribe": "One-Click"})
    assert page.status_code == 200
    assert not Follow.objects.filter(email=BOB).exists()


def test_the_option_to_stop_every_follow_of_the_address(
    client: Client,
    committed: Run,
    post: Post,
    make_post: Callable[..., Post],
    followed: mail.EmailMessage,
) -> None:
    other = make_post("Opening hours on holidays")
    comment(client, committed, other, author_email=BOB, notify_post="on")
    comment(client, committed, other, author_email=CAROL, notify_post="on")
    url = link_in(followed, "unsubscribe")
    assert "Also stop every other email" in client.get(url).content.decode()
    client.post(url, {"all": "1"})
    assert not Follow.objects.filter(email=BOB).exists()
    assert Follow.objects.filter(email=CAROL).count() == 1


def test_a_link_for_one_follow_cannot_end_another_or_another_addresss(
    client: Client, committed: Run, post: Post
) -> None:
    comment(client, committed, post, notify_replies="on", notify_post="on")
    comment(client, committed, post, author_email=CAROL, notify_replies="on")
    bobs_replies = Follow.objects.get(email=BOB, scope="replies")
    token = notify.unsubscribe_token(bobs_replies)
    assert (
        client.post(reverse("following:unsubscribe", args=[token])).status_code == 200
    )
    assert set(Follow.objects.values_list("email", "scope")) == {
        (BOB, "post"),
        (CAROL, "replies"),
    }
    # Changing the id or the address inside the link breaks its signature.
    carols = Follow.objects.get(email=CAROL)
    signature = token.partition(":")[2]
    for forged_value in (
        {"f": carols.pk, "e": BOB},
        {"f": bobs_replies.pk, "e": CAROL},
    ):
        forged = signing.dumps(forged_value, salt="mallory's guess")
        for attempt in (forged, f"{forged.partition(':')[0]}:{signature}"):
            page = client.post(reverse("following:unsubscribe", args=[attempt]))
            assert page.status_code == 400
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert (
        client.post(reverse("following:unsubscribe", args=[tampered])).status_code
        == 400
    )
    assert Follow.objects.count() == 2
    # "Everything" from bob's link stops bob's follows only.
    client.post(reverse("following:unsubscribe", args=[token]), {"all": "1"})
    assert list(Follow.objects.values_list("email", flat=True)) == [CAROL]


def test_the_confirmation_email_offers_refusing_everything(
    client: Client, committed: Run, post: Post
) -> None:
    comment(client, committed, post, notify_replies="on", notify_post="on")
    [confirmation] = sent_to(BOB)
    header = confirmation.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http://127.0.0.1:8000/follow/unsubscribe/")
    provider = Client(enforce_csrf_checks=True)
    page = provider.post(
        urlsplit(header.strip("<>")).path, {"List-Unsubscribe": "One-Click"}
    )
    assert page.status_code == 200
    assert not Follow.objects.exists()


# --- The post's author ------------------------------------------------------------

ADA = "ada@example.com"


def test_the_author_hears_of_new_and_held_responses_but_not_spam_or_their_own(
    client: Client, committed: Run, post: Post, hold_frames: None
) -> None:
    BlockRule.objects.create(kind="word", value="casino", action="spam")
    shown = comment(client, committed, post, author_name="Carol", author_email=CAROL)
    [new] = sent_to(ADA)
    assert new.subject == f"New response on “{post.title}” from Carol"
    shown.post = post
    assert f"http://127.0.0.1:8000{shown.get_absolute_url()}" in str(new.body)

    comment(client, committed, post, body="Nice frames.", author_name="Dave")
    held = sent_to(ADA)[1]
    assert held.subject == f"Held for moderation on “{post.title}” from Dave"
    assert "awaiting moderation" in str(held.body)
    assert "http://127.0.0.1:8000/moderate/" in str(held.body)
    assert "Nice frames." in str(held.body)

    comment(client, committed, post, body="Play casino now.", author_email=DAVE)
    comment(client, committed, post, author_name="Ada", author_email="ADA@example.com")
    assert len(sent_to(ADA)) == 2
    # Approving the held one is not news to the author: one email per response.
    with committed():
        moderation.approve(Response.objects.get(status="pending"))
    assert len(sent_to(ADA)) == 2
    # Spam approved by a moderator is a response readers now see: news, once.
    with committed():
        moderation.approve(Response.objects.get(status="spam"))
    assert len(sent_to(ADA)) == 3
    assert sent_to(ADA)[2].subject == f"New response on “{post.title}” from Bob Reader"
    for message in sent_to(ADA):
        assert message.extra_headers["List-Unsubscribe-Post"] == (
            "List-Unsubscribe=One-Click"
        )


def test_an_author_who_turned_emails_off_gets_none(
    client: Client, committed: Run, post: Post
) -> None:
    post.author.notify_by_email = False
    post.author.save()
    comment(client, committed, post)
    assert sent_to(ADA) == []


def test_the_authors_one_click_unsubscribe_turns_notify_by_email_off(
    client: Client, committed: Run, post: Post
) -> None:
    comment(client, committed, post)
    [new] = sent_to(ADA)
    url = urlsplit(new.extra_headers["List-Unsubscribe"].strip("<>")).path
    assert url.startswith("/follow/author-unsubscribe/")
    page = client.get(url)
    assert page.status_code == 200
    post.author.refresh_from_db()
    assert post.author.notify_by_email is True
    provider = Client(enforce_csrf_checks=True)
    assert provider.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    post.author.refresh_from_db()
    assert post.author.notify_by_email is False
    comment(client, committed, post)
    assert len(sent_to(ADA)) == 1


def test_an_author_link_cannot_be_forged_or_used_for_an_old_address(
    client: Client, post: Post
) -> None:
    author = post.author
    # A follower's link is signed for another purpose.
    follow_token = signing.dumps(
        {"a": author.pk, "e": ADA}, salt=notify.UNSUBSCRIBE_SALT
    )
    url = reverse("following:author-unsubscribe", args=[follow_token])
    assert client.post(url).status_code == 400
    # A real link, but the author's address changed since: it does nothing.
    old = notify.author_unsubscribe_token(author, "ada.old@example.com")
    page = client.post(reverse("following:author-unsubscribe", args=[old]))
    assert page.status_code == 200
    author.refresh_from_db()
    assert author.notify_by_email is True


# --- In the worker, never in the request ------------------------------------------


@pytest.fixture
def worker(settings: Settings) -> Iterator[Callable[[], None]]:
    """Jobs wait in the database until ``firsthand worker --batch`` runs them."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def run() -> None:
        call_command("worker", batch=True, verbosity=0)

    yield run
    for number, handler in handlers.items():  # db_worker installs its own
        signal.signal(number, handler)


@pytest.mark.django_db(transaction=True)
def test_emails_go_out_from_the_worker_after_a_real_commit(
    client: Client, post: Post, worker: Callable[[], None]
) -> None:
    # No test transaction here: the signal fires when intake commits, before the
    # view records the follows. The confirmation must still go out, once.
    page = client.post(
        reverse("conversation:respond", kwargs={"post_id": post.pk}),
        form_data(post, notify_replies="on"),
    )
    assert page.status_code == 302
    assert mail.outbox == []  # nothing is sent inside the request
    worker()
    assert [m.subject.split(":")[0] for m in sent_to(BOB)] == ["Confirm"]
    assert len(sent_to(ADA)) == 1
    worker()
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_a_site_without_a_worker_still_asks_once(client: Client, post: Post) -> None:
    # The immediate backend runs the job the moment the signal fires, when intake
    # commits and the follows do not exist yet: the view's own request must send.
    page = client.post(
        reverse("conversation:respond", kwargs={"post_id": post.pk}),
        form_data(post, notify_replies="on", notify_post="on"),
    )
    assert page.status_code == 302
    [confirmation] = sent_to(BOB)
    assert confirmation.subject.startswith("Confirm")
    assert Follow.objects.filter(requested_at__isnull=False).count() == 2
