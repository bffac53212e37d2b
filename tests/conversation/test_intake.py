from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks

from firsthand.blog.models import Post
from firsthand.conversation import history, intake, signals
from firsthand.conversation.models import Response
from tests.conftest import submission_for

pytestmark = pytest.mark.django_db


def test_a_comment_is_stored_rendered_numbered_and_counted(post: Post) -> None:
    response = intake.receive(
        submission_for(post, body="Hello **world**", ip_address="203.0.113.9")
    )
    response.refresh_from_db()
    post.refresh_from_db()
    assert response.status == Response.Status.VISIBLE
    assert response.number == 1
    assert response.body == "Hello **world**"
    assert response.body_html == "<p>Hello <strong>world</strong></p>"
    assert response.ip_address == "203.0.113.9"
    assert post.response_count == 1
    assert post.last_response_number == 1


def test_numbers_follow_each_other_per_post(
    post: Post, make_post: Callable[..., Post], comment_on: Callable[..., Response]
) -> None:
    other = make_post("Another post")
    numbers = [comment_on(post).number for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert comment_on(other).number == 1


def test_rejection_carries_every_error_and_stores_nothing(post: Post) -> None:
    with pytest.raises(intake.Rejected) as caught:
        intake.receive(submission_for(post, author_name="", author_email="nope"))
    assert set(caught.value.errors) == {"author_name", "author_email"}
    assert not Response.objects.exists()
    post.refresh_from_db()
    assert (post.response_count, post.last_response_number) == (0, 0)


@override_settings(FIRSTHAND_RESPONSE_MAX_CHARS=50)
def test_the_length_limit_comes_from_settings(post: Post) -> None:
    intake.receive(submission_for(post, body="x" * 50))
    with pytest.raises(intake.Rejected) as caught:
        intake.receive(submission_for(post, body="x" * 51))
    assert "51" in caught.value.errors["body"][0]


def test_a_long_comment_is_accepted_whole(post: Post) -> None:
    paragraphs = "\n\n".join(f"Paragraph {n}. " + "word " * 300 for n in range(12))
    assert len(paragraphs) < 20_000
    response = intake.receive(submission_for(post, body=paragraphs))
    assert response.body == paragraphs
    assert response.body_html.count("<p>") == 12


def test_control_characters_are_stripped_before_storing(post: Post) -> None:
    response = intake.receive(
        submission_for(post, author_name="Bob\x0b", body="a\x00b\x1fc\ufffe")
    )
    response.refresh_from_db()
    assert response.author_name == "Bob"
    assert response.body == "abc"


def test_a_name_cannot_reverse_the_text_after_it(post: Post) -> None:
    """An override in a name (shown inline in the thread, the queue and emails)
    is dropped before storing; the reader sees the name as typed otherwise."""
    response = intake.receive(submission_for(post, author_name="\u202eevE yb"))
    response.refresh_from_db()
    assert response.author_name == "evE yb"


def test_drafts_and_closed_posts_take_no_comments(
    make_post: Callable[..., Post],
) -> None:
    draft = make_post("Draft", draft=True)
    closed = make_post("Closed")
    Post.objects.filter(pk=closed.pk).update(comments_open=False)
    scheduled = make_post("Later", days_ago=-2)
    for target in (draft, closed, scheduled):
        with pytest.raises(intake.Rejected) as caught:
            intake.receive(submission_for(target))
        assert "not open for comments" in str(caught.value)
    assert not Response.objects.exists()


def test_history_replays_keep_their_dates(post: Post) -> None:
    when = timezone.now() - datetime.timedelta(days=300)
    response = intake.receive(submission_for(post, created_at=when))
    assert response.created_at == when


def test_a_pingback_is_stored_as_an_excerpt_with_its_source(post: Post) -> None:
    response = intake.receive(
        submission_for(
            post,
            kind=Response.Kind.PINGBACK,
            author_name="Workbench Notes",
            author_email="",
            body="[…] <b>prices</b> online […]",
            source_url="https://notes.example.net/prices",
            source_title="Workbench Notes — Prices",
        )
    )
    assert response.is_link
    assert response.body_html == ""  # shown as escaped text, never as HTML
    assert response.number == 1


def test_a_history_replay_keeps_its_status_number_and_tells_no_one(
    post: Post,
    comment_on: Callable[..., Response],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    told: list[str] = []

    def listen(sender: object, **kwargs: object) -> None:
        told.append(str(kwargs.get("response_id")))

    signals.response_stored.connect(listen, dispatch_uid="test-history")
    signals.response_published.connect(listen, dispatch_uid="test-history-p")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            kept, held = history.receive_history(
                post.pk,
                [
                    history.Entry(
                        submission_for(
                            post, source="import", status="visible", number=7
                        )
                    ),
                    history.Entry(
                        submission_for(post, source="import", status="pending")
                    ),
                ],
            )
    finally:
        signals.response_stored.disconnect(dispatch_uid="test-history")
        signals.response_published.disconnect(dispatch_uid="test-history-p")
    assert told == []  # no emails, pushes or pings for history
    assert isinstance(kept, Response)
    assert isinstance(held, Response)
    assert (kept.number, kept.path, kept.status) == (7, "0000007", "visible")
    assert (held.number, held.path, held.status) == (None, "", "pending")
    post.refresh_from_db()
    assert (post.last_response_number, post.response_count) == (7, 1)
    assert comment_on(post).number == 8  # live responses go on from there


@pytest.mark.parametrize("field", ["status", "number", "import_key"])
def test_live_intake_refuses_what_only_an_import_brings(post: Post, field: str) -> None:
    value: object = {"status": "visible", "number": 3, "import_key": "k"}[field]
    with pytest.raises(intake.Rejected, match="only with an import"):
        intake.receive(submission_for(post, **{field: value}))


DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}


@override_settings(TASKS=DATABASE_TASKS)
def test_follow_up_tasks_are_rows_of_the_responses_own_transaction(post: Post) -> None:
    """What a new response sets off (the author's notice, followers' emails,
    the WebSub push) is queued inside the transaction that stores it, as one
    job: one commit for all, and a rollback leaves neither the response nor its
    task."""
    queued: set[str] = set()

    def store_then_fail() -> None:
        with transaction.atomic():
            response = intake.receive(submission_for(post))
            assert response.status == Response.Status.VISIBLE
            queued.update(DBTaskResult.objects.values_list("task_path", flat=True))
            raise RuntimeError("the transaction fails after all")

    with pytest.raises(RuntimeError):
        store_then_fail()
    # One row: the WebSub push runs from that job, in the worker.
    assert queued == {"firsthand.conversation.tasks.published_task"}
    assert not Response.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
def test_intake_reads_responses_through_indexes_never_the_whole_thread(
    post: Post,
) -> None:
    """However long the thread, taking a comment looks rows up by ticket, by
    address and by IP: a query that reads every response of the post (or of the
    site) would make each comment slower than the last."""
    for n in range(30):
        intake.receive(submission_for(post, author_email=f"reader{n}@example.org"))
    submission = submission_for(
        post,
        author_email="Late.Reader@example.org",
        ip_address="198.51.100.77",
        ticket="a-ticket-nonce",
    )
    seen: list[tuple[str, Any]] = []

    def remember(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(remember):
        intake.receive(submission)
    table = '"firsthand_conversation_response"'
    reads = [
        (sql, params)
        for sql, params in seen
        if sql.startswith("SELECT") and f"FROM {table}" in sql
    ]
    assert len(reads) >= 3  # the ticket, the author's history, their first comment
    with connection.cursor() as cursor:
        for sql, params in reads:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "SCAN firsthand_conversation_response" not in plan, (sql, plan)
            assert "response_post_id_c057a034 (post_id=?)" not in plan, (sql, plan)
