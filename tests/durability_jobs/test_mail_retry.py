"""Notification email under failure: retried with backoff, given up visibly, never
sent twice by a job run again (security-test-plan section 0 item 7, test A5).

Django's locmem backend where nothing fails; where the mail server must fail,
the real SMTP backend talks to a real server on 127.0.0.1: a closed port
(connection refused) or an aiosmtpd sink answering 451 or 550.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core import mail as outbox
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from firsthand.blog.models import Post
from firsthand.conversation import mail, privacy_tasks, tasks
from firsthand.conversation.models import Response, SentEmail
from firsthand.jobs import leases
from tests.durability_jobs.smtp_sink import Sink
from tests.sites import free_port

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def response(comment_on: Callable[..., Response], post: Post) -> Response:
    """Bob's comment on ada's post, its own emails not sent yet."""
    made = comment_on(post)
    # Intake ran its job at once (the immediate backend): start from nothing.
    SentEmail.objects.all().delete()
    outbox.outbox.clear()
    return made


def smtp_to(settings: Settings, port: int) -> None:
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


def test_a_job_run_again_sends_nothing_twice(response: Response) -> None:
    assert tasks.notify_author_task.call(response.pk) is True
    assert tasks.notify_author_task.call(response.pk) is False
    (sent,) = outbox.outbox
    assert sent.extra_headers["Message-ID"] == mail.message_id(f"author:{response.pk}")
    assert SentEmail.objects.get().pending is False


def test_the_same_job_after_a_kill_mid_send_sends_again_with_the_same_id(
    response: Response,
) -> None:
    key = f"author:{response.pk}"
    # What a worker killed after handing the message over leaves behind.
    SentEmail.objects.create(key=key, pending=True, job="job-1")
    with leases.running("job-1"):
        assert tasks.notify_author_task.call(response.pk) is True
    (sent,) = outbox.outbox
    assert sent.extra_headers["Message-ID"] == mail.message_id(key)
    assert SentEmail.objects.get(key=key).pending is False


def test_another_jobs_email_in_flight_is_left_to_it_until_it_must_be_over(
    response: Response, settings: Settings
) -> None:
    settings.TASKS = DATABASE_TASKS
    key = f"author:{response.pk}"
    SentEmail.objects.create(key=key, pending=True, job="job-live")
    with leases.running("job-other"), pytest.raises(tasks.MailFailed) as failed:
        tasks.notify_author_task.call(response.pk)
    assert isinstance(failed.value.__cause__, mail.MailInFlight)
    assert outbox.outbox == []
    # Long after (a lease and an SMTP timeout): that attempt is over; take it.
    SentEmail.objects.filter(key=key).update(
        sent_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with leases.running("job-retry"):
        assert tasks.notify_author_task.call(response.pk) is True
    assert len(outbox.outbox) == 1


def test_a_refused_connection_is_retried_later_then_given_up(
    response: Response, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.TASKS = DATABASE_TASKS
    smtp_to(settings, free_port())  # nothing listens there: connection refused
    before = timezone.now()
    with pytest.raises(tasks.MailFailed, match="attempt 1 of 5"):
        tasks.notify_author_task.call(response.pk)
    retry = DBTaskResult.objects.get(task_path__endswith="notify_author_task")
    assert retry.args_kwargs["args"] == [response.pk, 2]
    wait = retry.run_after - before
    assert datetime.timedelta(seconds=59) < wait < datetime.timedelta(seconds=70)
    assert not SentEmail.objects.exists()  # forgotten: the retry sends it
    with pytest.raises(tasks.MailFailed, match="gave up after 5 attempt"):
        tasks.notify_author_task.call(response.pk, tasks.MAIL_ATTEMPTS)
    assert DBTaskResult.objects.count() == 1  # no sixth attempt
    assert "Gave up an email about response" in caplog.text


@pytest.mark.parametrize(
    ("reply", "retried"), [("451 try later", True), ("550 no", False)]
)
def test_a_4xx_answer_is_retried_and_a_5xx_answer_is_final(
    response: Response, settings: Settings, reply: str, retried: bool
) -> None:
    settings.TASKS = DATABASE_TASKS
    with Sink(reply=reply) as sink:
        smtp_to(settings, sink.port)
        with pytest.raises(tasks.MailFailed) as failed:
            tasks.notify_author_task.call(response.pk)
    assert ("attempt 1 of 5" in str(failed.value)) is retried
    assert DBTaskResult.objects.exists() is retried
    assert sink.messages == []


def test_the_emails_of_a_new_response_are_retried_without_pushing_again(
    response: Response, settings: Settings
) -> None:
    settings.TASKS = DATABASE_TASKS
    smtp_to(settings, free_port())
    Response.objects.filter(pk=response.pk).update(status=Response.Status.VISIBLE)
    with pytest.raises(tasks.MailFailed):
        tasks.published_task.call(response.pk)
    retry = DBTaskResult.objects.get()
    assert retry.task_path.endswith("published_mail_task")
    assert retry.args_kwargs["args"] == [response.pk, 2]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.published_mail_task.call(response.pk, 2) == 1
    assert [m.to for m in outbox.outbox] == [["ada@example.com"]]


def test_a_privacy_link_is_retried_like_every_email(
    response: Response, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # The privacy page's link email was the one email without retries: a mail
    # server down for a minute lost it, and the person was told to check their inbox.
    settings.TASKS = DATABASE_TASKS
    smtp_to(settings, free_port())
    address = response.author_email
    with pytest.raises(tasks.MailFailed, match="attempt 1 of 5"):
        privacy_tasks.send_link_task.call(address, "http://testserver", 1_800_000_000)
    retry = DBTaskResult.objects.get(task_path__endswith="send_link_task")
    assert retry.args_kwargs["args"] == [
        address,
        "http://testserver",
        1_800_000_000,
        2,
    ]
    assert address not in caplog.text  # the log names what, never whom
    assert "Email about a privacy link failed" in caplog.text
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert (
        privacy_tasks.send_link_task.call(
            address, "http://testserver", 1_800_000_000, 2
        )
        == "link sent"
    )
    assert len(outbox.outbox) == 1
