"""A scheduled post's outside work (mentions, WebSub pushes) is queued for its time."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from firsthand.blog import publishing, signals
from firsthand.blog.models import Author, Post

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}


def test_scheduling_queues_mentions_and_pushes_for_the_publication_time(
    ada: Author, settings: Any
) -> None:
    settings.TASKS = DATABASE_TASKS  # real rows with run_after, as the worker sees
    at = timezone.now() + datetime.timedelta(days=2)
    post = publishing.publish_post(Post(title="Later", author=ada, body="."), at=at)
    jobs = {row.task_path.rsplit(".", 1)[-1]: row for row in DBTaskResult.objects.all()}
    assert set(jobs) == {"send_post_mentions_task", "publish_post_task"}
    for job in jobs.values():
        assert job.run_after == at
        assert job.args_kwargs["args"] == [post.pk]


def test_publishing_now_announces_at_once(
    ada: Author, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    seen: list[str] = []
    signals.post_published.connect(
        lambda **kw: seen.append("published"), weak=False, dispatch_uid="t1"
    )
    signals.post_scheduled.connect(
        lambda **kw: seen.append("scheduled"), weak=False, dispatch_uid="t2"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            publishing.publish_post(Post(title="Now", author=ada, body="."))
        with django_capture_on_commit_callbacks(execute=True):
            publishing.publish_post(
                Post(title="Soon", author=ada, body="."),
                at=timezone.now() + datetime.timedelta(hours=1),
            )
    finally:
        signals.post_published.disconnect(dispatch_uid="t1")
        signals.post_scheduled.disconnect(dispatch_uid="t2")
    assert seen == ["published", "scheduled"]
