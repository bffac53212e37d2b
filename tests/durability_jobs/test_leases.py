"""Leases on background jobs (security-test-plan section 3.1, test A5, in process).

A job claimed by a worker that died is queued again once the lease has passed;
a job held by a live worker (its heartbeat fresh) never is, however long it
runs; a finish written by a claim that lost the job is dropped. Real database,
real django-tasks-db rows, frozen clocks only where the lease is waited out.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from firsthand.conversation.models import Response
from firsthand.conversation.tasks import notify_author_task
from firsthand.jobs import leases
from firsthand.jobs.models import WorkerBeat

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}
LEASE = 30


@pytest.fixture
def queue(settings: Settings) -> None:
    settings.TASKS = DATABASE_TASKS
    settings.FIRSTHAND_JOB_LEASE = LEASE


def enqueue_job() -> DBTaskResult[..., Any]:
    # Any task will do: the lease logic never looks inside the job.
    result = notify_author_task.enqueue(999_999)
    return DBTaskResult.objects.get(pk=result.id)


def claim(job: DBTaskResult[..., Any], worker_id: str) -> DBTaskResult[..., Any]:
    job.claim(worker_id)
    return DBTaskResult.objects.get(pk=job.pk)


def beat(worker_id: str, seen: datetime.datetime) -> None:
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id, defaults={"seen_at": seen, "pid": 1}
    )


def after(seconds: float) -> Any:
    return time_machine.travel(
        timezone.now() + datetime.timedelta(seconds=seconds), tick=False
    )


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue")]


def test_a_dead_workers_job_is_queued_again_once_the_lease_has_passed() -> None:
    job = claim(enqueue_job(), "worker-killed")
    beat("worker-killed", timezone.now())  # then kill -9: no more beats
    with after(LEASE - 1):
        assert leases.recover().requeued == []
    assert DBTaskResult.objects.get(pk=job.pk).status == TaskResultStatus.RUNNING
    with after(LEASE + 1):
        assert leases.recover().requeued == [str(job.pk)]
    again = DBTaskResult.objects.get(pk=job.pk)
    assert again.status == TaskResultStatus.READY
    assert again.worker_ids == ["worker-killed"]  # its history is kept
    assert not WorkerBeat.objects.filter(pk="worker-killed").exists()


def test_a_job_of_a_worker_that_never_beat_is_queued_again_too() -> None:
    # A worker of an older version, or one whose row was cleared: no row at all.
    job = claim(enqueue_job(), "worker-without-heartbeat")
    assert leases.recover().requeued == []  # claimed just now: maybe alive
    with after(LEASE + 1):
        assert leases.recover().requeued == [str(job.pk)]


def test_a_live_workers_job_is_never_taken_however_long_it_runs() -> None:
    job = claim(enqueue_job(), "worker-alive")
    for minutes in (1, 10, 60):
        with after(minutes * 60):
            beat("worker-alive", timezone.now())
            assert leases.recover().requeued == []
    assert DBTaskResult.objects.get(pk=job.pk).status == TaskResultStatus.RUNNING


def test_a_job_that_killed_its_workers_five_times_is_given_up_visibly() -> None:
    job = enqueue_job()
    for run in range(1, leases.MAX_RUNS + 1):
        job = claim(job, f"worker-{run}")
        with after(LEASE * run * 2):
            leases.recover()
        job = DBTaskResult.objects.get(pk=job.pk)
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == leases.WORKER_LOST
    assert "stopped 5 times" in job.traceback
    assert len(job.worker_ids) == leases.MAX_RUNS


def test_a_finish_from_a_claim_that_lost_the_job_is_dropped() -> None:
    job = enqueue_job()
    slow = claim(job, "worker-slow")
    with after(LEASE + 1):
        leases.recover()  # worker-slow never beat: taken for dead
        fresh = claim(DBTaskResult.objects.get(pk=job.pk), "worker-fresh")
        # worker-slow wakes up and finishes: its result must not count.
        assert leases.finish_successful(slow, "late") is False
        row = DBTaskResult.objects.get(pk=job.pk)
        assert (row.status, row.worker_ids) == (
            TaskResultStatus.RUNNING,
            ["worker-slow", "worker-fresh"],
        )
        assert leases.finish_successful(fresh, "done") is True
    row = DBTaskResult.objects.get(pk=job.pk)
    assert (row.status, row.return_value) == (TaskResultStatus.SUCCESSFUL, "done")


def test_two_reapers_put_a_job_back_once() -> None:
    job = claim(enqueue_job(), "worker-gone")
    with after(LEASE + 1):
        first, second = leases.recover(), leases.recover()
    assert (first.requeued, second.requeued) == ([str(job.pk)], [])


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_keeps_a_long_job_leased(settings: Settings) -> None:
    settings.FIRSTHAND_JOB_LEASE = 1
    job = enqueue_job()
    lost: list[bool] = []
    with leases.Heartbeat("worker-busy", on_lost=lambda: lost.append(True)):
        claim(job, "worker-busy")
        time.sleep(2.5)  # a job longer than two leases
        assert leases.recover().requeued == []
        seen = WorkerBeat.objects.get(pk="worker-busy").seen_at
        assert timezone.now() - seen < datetime.timedelta(seconds=1)
    assert DBTaskResult.objects.get(pk=job.pk).status == TaskResultStatus.RUNNING
    assert lost == []
    # Its block ended (the worker stopped cleanly): its row is gone.
    assert not WorkerBeat.objects.filter(pk="worker-busy").exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_taken_for_dead_stops_taking_jobs(settings: Settings) -> None:
    settings.FIRSTHAND_JOB_LEASE = 1
    lost: list[bool] = []
    with leases.Heartbeat("worker-stalled", on_lost=lambda: lost.append(True)):
        WorkerBeat.objects.filter(pk="worker-stalled").delete()  # a reaper did it
        deadline = time.monotonic() + 5
        while not lost and time.monotonic() < deadline:
            time.sleep(0.05)
    assert lost == [True]


@pytest.mark.django_db(transaction=True)  # the worker loop commits as it goes
def test_the_next_worker_runs_a_job_left_by_a_killed_one(
    settings: Settings, comment_on: Any, post: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response: Response = comment_on(post)
    result = notify_author_task.enqueue(response.pk)
    claim(DBTaskResult.objects.get(pk=result.id), "worker-killed")
    with after(LEASE + 1):
        call_command("worker", "--batch", verbosity=0)
    job = DBTaskResult.objects.get(pk=result.id)
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert job.worker_ids[0] == "worker-killed"
    assert len(job.worker_ids) == 2
    # Intake queued its own job about the comment too: every job ran, and ada
    # heard of the comment once (the second job found the email's key sent).
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {
        TaskResultStatus.SUCCESSFUL
    }
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
