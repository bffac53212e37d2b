"""Leases on background jobs: a job whose worker died runs again, once the lease ends.

django-tasks-db claims a job by setting it RUNNING and appending the worker's id
to ``worker_ids``; nothing ever takes it back. Here every worker process keeps a
``WorkerBeat`` row fresh from a thread (``Heartbeat``) while it lives, and
``recover`` (run by every worker when it starts and on each beat) puts a RUNNING
job back to READY when the worker that claimed it last has not beaten for a whole
lease (``FIRSTHAND_JOB_LEASE``, 60 s by default). A live worker's jobs are never
taken: its beat is fresh however long the job runs.

The promise is at-least-once: a job cut short runs again from its start, so
every job is written to be run twice without doing anything twice (keys on
emails, status checks on pings). A job whose worker died ``MAX_RUNS`` times is
not tried again: it ends FAILED with that reason (a job that kills its worker
must not kill every worker after it).

Every change of a job's state is one conditional UPDATE naming the state it saw
(RUNNING, and the ``started_at`` of that claim), so two reapers, or a reaper and a
worker finishing late, never both win.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from traceback import format_exception
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from firsthand import ratelimit
from firsthand.jobs.models import WorkerBeat

logger = logging.getLogger(__name__)

# Runs of one job cut short by a dead worker before it is given up (FAILED).
MAX_RUNS = 5
WORKER_LOST = "firsthand.jobs.leases.WorkerLost"

_job: contextvars.ContextVar[str] = contextvars.ContextVar("firsthand_job", default="")


class WorkerLost(Exception):
    """Why a job ended FAILED without an error of its own: its workers died."""


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.FIRSTHAND_JOB_LEASE)


def current_job() -> str:
    """The id of the job this code runs in ('' outside a worker): a key that
    stays the same when the job runs again after its worker died."""
    return _job.get()


@contextlib.contextmanager
def running(job_id: str) -> Iterator[None]:
    token = _job.set(job_id)
    try:
        yield
    finally:
        _job.reset(token)


def new_worker_id() -> str:
    """Host, process id and a random part: readable in the admin, never reused."""
    host = socket.gethostname()[:40]
    return f"{host}-{os.getpid()}-{get_random_string(8)}"[:64]


# --- The reaper -----------------------------------------------------------------


@dataclasses.dataclass
class Recovered:
    requeued: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)


def recover(now: datetime.datetime | None = None) -> Recovered:
    """Put back the RUNNING jobs whose worker stopped beating a lease ago."""
    now = now or timezone.now()
    cutoff = now - lease()
    live = set(
        WorkerBeat.objects.filter(seen_at__gte=cutoff).values_list(
            "worker_id", flat=True
        )
    )
    done = Recovered()
    # Only claims older than a lease: a worker that claimed a job just now is
    # alive even if this reaper did not see its first beat.
    stale = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    for job in stale.only("id", "worker_ids", "started_at", "task_path"):
        holder = job.worker_ids[-1] if job.worker_ids else ""
        if holder in live:
            continue
        same_claim = DBTaskResult.objects.filter(
            pk=job.pk, status=TaskResultStatus.RUNNING, started_at=job.started_at
        )
        runs = len(job.worker_ids)
        if runs >= MAX_RUNS:
            reason = (
                f"The worker running this job stopped {runs} times (killed or "
                "crashed) before it finished; it is not tried again."
            )
            if same_claim.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=WORKER_LOST,
                traceback=f"{WORKER_LOST}: {reason}\n",
            ):
                logger.error("Job %s (%s): %s", job.pk, job.task_path, reason)
                done.failed.append(str(job.pk))
        elif same_claim.update(status=TaskResultStatus.READY):
            logger.warning(
                "Job %s (%s) was held by worker %s, silent for over %s s: queued again",
                job.pk,
                job.task_path,
                holder or "?",
                int(lease().total_seconds()),
            )
            done.requeued.append(str(job.pk))
    WorkerBeat.objects.filter(seen_at__lt=cutoff).delete()
    return done


# --- Finishing a job: only the claim that still holds it ---------------------------


def finish_successful(job: DBTaskResult[..., Any], value: Any) -> bool:
    return _finish(
        job,
        status=TaskResultStatus.SUCCESSFUL,
        return_value=value,
        exception_class_path="",
        traceback="",
    )


def finish_failed(job: DBTaskResult[..., Any], error: BaseException) -> bool:
    kind = type(error)
    return _finish(
        job,
        status=TaskResultStatus.FAILED,
        return_value=None,
        exception_class_path=f"{kind.__module__}.{kind.__qualname__}",
        traceback="".join(format_exception(error)),
    )


def _finish(job: DBTaskResult[..., Any], **fields: Any) -> bool:
    """Record the end of a job if this claim still holds it (it was not given to
    another worker because this one looked dead); False otherwise."""
    fields["finished_at"] = timezone.now()
    for attempt in range(3):
        try:
            updated = DBTaskResult.objects.filter(
                pk=job.pk, status=TaskResultStatus.RUNNING, started_at=job.started_at
            ).update(**fields)
        except DatabaseError:
            if attempt == 2:
                raise
            continue
        if updated:
            for name, value in fields.items():
                setattr(job, name, value)
            return True
        logger.error(
            "Job %s finished here, but it had been given to another worker "
            "(this one missed its heartbeat for a whole lease): result dropped",
            job.pk,
        )
        return False
    return False


# --- The heartbeat ----------------------------------------------------------------


class Heartbeat:
    """``with Heartbeat(worker_id, on_lost=…):`` registers the worker, reaps once,
    then beats (and reaps) every quarter lease from a thread until the block ends,
    when the row is removed. ``on_lost`` is called if the row was removed by
    another worker's reaper (this one was silent a whole lease): its jobs may
    already run elsewhere, so it should stop taking new ones."""

    def __init__(self, worker_id: str, *, on_lost: Callable[[], None]) -> None:
        self.worker_id = worker_id
        self.on_lost = on_lost
        self.every = max(0.2, settings.FIRSTHAND_JOB_LEASE / 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="firsthand-heartbeat", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        WorkerBeat.objects.create(
            worker_id=self.worker_id, host=socket.gethostname()[:255], pid=os.getpid()
        )
        recovered = recover()
        if recovered.requeued or recovered.failed:
            logger.warning(
                "Jobs of stopped workers: %d queued again, %d given up",
                len(recovered.requeued),
                len(recovered.failed),
            )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        WorkerBeat.objects.filter(pk=self.worker_id).delete()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    with transaction.atomic():
                        alive = WorkerBeat.objects.filter(pk=self.worker_id).update(
                            seen_at=timezone.now()
                        )
                    if not alive:
                        logger.error(
                            "Worker %s was taken for dead (no heartbeat for a "
                            "lease): finishing the job at hand, then stopping",
                            self.worker_id,
                        )
                        self.on_lost()
                        return
                    recover()
                    ratelimit.sweep()
                except (
                    DatabaseError,
                    ratelimit.Unavailable,
                ) as error:  # try again at the next beat
                    logger.warning("Heartbeat of %s failed: %s", self.worker_id, error)
        finally:
            connections.close_all()
