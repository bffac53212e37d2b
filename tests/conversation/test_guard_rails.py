"""Double submits, duplicates, near-duplicates and holds: intake and the form."""

from __future__ import annotations

import csv
import datetime
import hashlib
import os
import time
from collections.abc import Callable

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.test import Client, override_settings
from pytest_django import DjangoAssertNumQueries

from firsthand.blog.models import Post
from firsthand.conversation import intake, moderation, rules, tickets
from firsthand.conversation.mine import COOKIE as MINE_COOKIE
from firsthand.conversation.models import BlockRule, Response
from firsthand.conversation.rules import comparable
from tests.conftest import submission_for
from tests.conversation.forms import form, respond
from tests.testdata import shared_file

pytestmark = pytest.mark.django_db


# --- Double submit ------------------------------------------------------------------


def test_the_same_form_posted_twice_makes_one_response(
    client: Client, post: Post
) -> None:
    data = form(post)
    first = client.post(respond(post), data)
    second = client.post(respond(post), data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Response.objects.count() == 1
    post.refresh_from_db()
    assert post.response_count == 1


def test_a_double_submit_from_another_address_and_email_makes_one_response(
    client: Client, post: Post
) -> None:
    """The ticket is looked for in the author's history first; a copy that
    shares neither email nor address with it is refused by the ticket's unique
    index when stored, and still leads to the first comment."""
    ticket = tickets.issue(now=time.time() - 30)
    first = client.post(
        respond(post), form(post, ticket=ticket), REMOTE_ADDR="192.0.2.10"
    )
    second = client.post(
        respond(post),
        form(post, ticket=ticket, author_email="bob@example.net"),
        REMOTE_ADDR="192.0.2.99",
    )
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Response.objects.count() == 1
    post.refresh_from_db()
    assert post.response_count == 1


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
)  # jobs queued as rows, as in production (the tests run them at once)
def test_a_comment_posted_through_the_form_takes_eleven_queries(
    client: Client, post: Post, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """The post is read once (by intake, locked); the double-submit check rides
    on the author's history. Queries: history, block rules, first comment, spam
    totals and tokens; then BEGIN, the post, the insert, the post's counters,
    one task row (the follow-ups and the WebSub push), COMMIT."""
    client.post(respond(post), form(post, body="A first comment."))
    with django_assert_num_queries(11):
        answer = client.post(respond(post), form(post, body="Another thought."))
    assert answer.status_code == 302


def test_a_forged_ticket_is_no_ticket() -> None:
    assert tickets.read("garbage") is None
    genuine = tickets.issue(now=100.0)
    assert tickets.read(genuine[:-2] + "xx") is None
    ticket = tickets.read(genuine, now=130.0)
    assert ticket is not None
    assert ticket.age == pytest.approx(30.0)


def test_tickets_carry_unique_nonces_also_in_forked_workers() -> None:
    nonces = {tickets.read(tickets.issue()).nonce for _ in range(5_000)}  # type: ignore[union-attr]
    assert len(nonces) == 5_000
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # a server worker forked from a parent that issued tickets
        os.write(writing, tickets.issue().encode())
        os._exit(0)
    os.waitpid(child, 0)
    theirs = tickets.read(os.read(reading, 200).decode())
    assert theirs is not None
    assert theirs.nonce not in nonces
    assert theirs.nonce[:8] != next(iter(nonces))[:8]  # its own random prefix


def test_a_ticket_from_another_secret_is_forged() -> None:
    genuine = tickets.issue()
    with override_settings(SECRET_KEY="another-secret-key-" * 3):
        assert tickets.read(genuine) is None
        assert tickets.read(tickets.issue()) is not None
    assert tickets.read(genuine) is not None


# --- Duplicates ---------------------------------------------------------------------


def test_the_same_text_again_is_refused_with_a_link_to_the_first(
    client: Client, post: Post
) -> None:
    client.post(respond(post), form(post, body="Great post, thank you!"))
    again = form(post, body="  GREAT post,\n thank you!\ufeff ", author_title="Reader")
    reply = client.post(respond(post), again)
    assert reply.status_code == 400
    soup = BeautifulSoup(reply.content, "html5lib")
    alert = soup.select_one("[role=alert]")
    assert alert is not None
    assert "You already said that — here it is" in alert.text
    link = alert.find("a")
    assert link is not None
    assert link["href"] == f"{post.get_absolute_url()}#comment-1"
    assert soup.find("input", attrs={"name": "author_title"})["value"] == "Reader"  # type: ignore[index]
    assert "GREAT post" in soup.find("textarea", attrs={"name": "body"}).text  # type: ignore[union-attr]
    assert Response.objects.count() == 1


def test_duplicates_are_refused_whatever_the_time_between(post: Post) -> None:
    intake.receive(submission_for(post, body="Same words."))
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=400)
    with time_machine.travel(later), pytest.raises(intake.Rejected) as caught:
        intake.receive(submission_for(post, body="same   words."))
    assert caught.value.existing is not None


def test_same_ip_counts_as_same_author_and_other_posts_are_separate(
    post: Post, make_post: Callable[..., Post]
) -> None:
    intake.receive(submission_for(post, body="Hello.", ip_address="203.0.113.5"))
    with pytest.raises(intake.Rejected):
        intake.receive(
            submission_for(
                post,
                body="hello.",
                ip_address="203.0.113.5",
                author_email="x@example.org",
            )
        )
    other = make_post("Another post")
    intake.receive(submission_for(other, body="Hello.", ip_address="203.0.113.5"))
    # Another person may say the same thing.
    intake.receive(
        submission_for(
            post, body="Hello.", author_email="cy@example.net", ip_address="203.0.113.6"
        )
    )


def test_the_duplicate_rich_youtube_file(post: Post) -> None:
    """Youtube03 repeats many bodies; each author's repeat is refused once seen."""
    path = shared_file("spam/Youtube03-LMFAO.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    seen: set[tuple[str, str]] = set()
    expected = 0
    caught: list[str] = []  # how each repeat was stopped
    for row in rows:
        author = row["AUTHOR"].strip() or "Anonymous"
        key = (author, comparable(row["CONTENT"]))
        expected += key in seen
        seen.add(key)
        digest = hashlib.sha256(author.encode()).hexdigest()[:12]
        try:
            response = intake.receive(
                submission_for(
                    post,
                    author_name=author[:100],
                    author_email=f"{digest}@example.org",
                    body=row["CONTENT"],
                )
            )
        except intake.Rejected as rejection:
            caught.append("refused" if rejection.existing else "other refusal")
        else:
            if "repeats response" in response.explanation:
                caught.append("spam again")  # the first copy was already spam
    assert expected >= 5
    assert "other refusal" not in caught
    assert len(caught) == expected


def test_youtube_repeats_in_disguise_are_still_duplicates(post: Post) -> None:
    """Each body the file repeats, posted again by the same person with changed
    case, spacing or the file's own trailing U+FEFF, is refused."""
    path = shared_file("spam/Youtube03-LMFAO.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        bodies = [row["CONTENT"] for row in csv.DictReader(handle)]
    repeated = sorted({b for b in bodies if bodies.count(b) > 1})
    assert len(repeated) > 10
    for n, body in enumerate(repeated):
        email = f"fan{n}@example.org"
        intake.receive(submission_for(post, author_email=email, body=body))
        for disguise in (
            body.upper(),
            "  " + body.replace(" ", "   ") + "\n",
            body.strip("\ufeff") if body.endswith("\ufeff") else body + "\ufeff",
        ):
            with pytest.raises(intake.Rejected):
                intake.receive(submission_for(post, author_email=email, body=disguise))


def test_a_near_duplicate_is_held_beside_the_earlier_one(post: Post) -> None:
    first = intake.receive(
        submission_for(post, body="I think the prices should be online, mostly.")
    )
    fixed = intake.receive(
        submission_for(post, body="I think the prices should be online, mostly!!")
    )
    assert fixed.status == Response.Status.PENDING
    assert fixed.duplicate_of_id == first.pk
    assert "very like" in fixed.explanation
    post.refresh_from_db()
    assert post.response_count == 1


def test_only_texts_sharing_most_words_are_compared_letter_by_letter() -> None:
    typo = (
        "I think teh prices should be online.",
        "I think the prices should be online.",
    )
    assert rules.similarity(*typo) >= rules.NEAR_DUPLICATE_RATIO
    # Two different comments of one length: their letters look alike to difflib's
    # quick bounds, their words do not.
    other = (
        "The shop down the road posts every price on a board by its door.",
        "My neighbour sells bread and never says what any loaf costs there.",
    )
    assert rules.similarity(*other) == 0.0
    assert rules._words_shared(*other) < rules.NEAR_DUPLICATE_WORDS


def test_a_similar_text_after_ten_minutes_is_a_new_response(post: Post) -> None:
    intake.receive(submission_for(post, body="I think the prices should be online."))
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=11)
    with time_machine.travel(later):
        again = intake.receive(
            submission_for(post, body="I think the prices should be online!")
        )
    assert again.status == Response.Status.VISIBLE


def test_a_repeat_of_spam_is_spam(post: Post) -> None:
    spam = intake.receive(submission_for(post, body="Visit my channel now"))
    moderation.mark_spam(spam)
    again = intake.receive(submission_for(post, body="visit my channel NOW"))
    assert again.status == Response.Status.SPAM


# --- Holds and the held person's view ------------------------------------------


def test_two_links_hold_the_comment_and_the_author_still_sees_it(
    client: Client, post: Post
) -> None:
    body = "See [one](https://a.example.org) and [two](https://b.example.org)."
    reply = client.post(respond(post), form(post, body=body))
    assert reply.status_code == 302
    held = Response.objects.get()
    assert held.status == Response.Status.PENDING
    assert held.number is None
    assert reply["Location"] == f"{post.get_absolute_url()}#pending-{held.pk}"
    assert "2 links" in held.explanation
    post.refresh_from_db()
    assert post.response_count == 0

    mine = client.get(post.get_absolute_url())
    soup = BeautifulSoup(mine.content, "html5lib")
    item = soup.find(id=f"pending-{held.pk}")
    assert item is not None
    assert "awaiting moderation" in item.text
    assert "No comments yet" in soup.text

    stranger = Client()
    theirs = stranger.get(post.get_absolute_url()).content.decode()
    assert f"pending-{held.pk}" not in theirs
    assert "a.example.org" not in theirs


def test_the_cookie_cannot_be_forged_to_see_others_held_comments(
    client: Client, post: Post
) -> None:
    body = "See [one](https://a.example.org) and [two](https://b.example.org)."
    client.post(respond(post), form(post, body=body))
    held = Response.objects.get()
    mallory = Client()
    mallory.cookies[MINE_COOKIE] = f"{held.pk}:forged"
    assert (
        f"pending-{held.pk}"
        not in mallory.get(post.get_absolute_url()).content.decode()
    )


def test_a_blocked_word_holds_and_a_ban_marks_spam(post: Post) -> None:
    BlockRule.objects.create(kind="word", value="casino", action="hold")
    BlockRule.objects.create(kind="email", value="mallory@example.net", action="spam")
    held = intake.receive(submission_for(post, body="My Casino night story."))
    assert held.status == Response.Status.PENDING
    assert "casino" in held.explanation
    banned = intake.receive(
        submission_for(post, author_email="Mallory@example.net", body="Hi there.")
    )
    assert banned.status == Response.Status.SPAM


@override_settings(FIRSTHAND_HOLD_FIRST_COMMENTS=True)
def test_hold_first_comments_holds_newcomers_only(post: Post) -> None:
    first = intake.receive(submission_for(post, author_email="new@example.org"))
    assert first.status == Response.Status.PENDING
    moderation.approve(first)
    second = intake.receive(
        submission_for(post, author_email="new@example.org", known_ids=(first.pk,))
    )
    assert second.status == Response.Status.VISIBLE


def test_a_filled_honeypot_is_spam_and_never_shown(client: Client, post: Post) -> None:
    reply = client.post(respond(post), form(post, leave_blank="http://spam.example"))
    assert reply.status_code == 302  # a bot learns nothing
    assert Response.objects.get().status == Response.Status.SPAM
    assert b"Framing is" not in client.get(post.get_absolute_url()).content
