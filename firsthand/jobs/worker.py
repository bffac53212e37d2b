"""The worker loop of django-tasks-db, with leases (``leases``).

``LeasedWorker`` claims jobs exactly as ``db_worker`` does (one locked row at a
time, ``select_for_update(skip_locked=True)`` where the database has it, an
exclusive transaction on SQLite) and differs in how a job ends: the result is
written only if this claim still holds the job, and the job's id is known to the
code it runs (``leases.current_job``, the idempotency key of its emails).
"""

from __future__ import annotations

import logging
from typing import Any

from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from firsthand.jobs import leases

logger = logging.getLogger(__name__)


class LeasedWorker(Worker):
    def stop_after_this_job(self) -> None:
        self.running = False

    def run_task(self, db_task_result: DBTaskResult[..., Any]) -> None:
        job = db_task_result
        self.running_task = True
        try:
            with leases.running(str(job.id)):
                try:
                    task = job.task
                    result = job.task_result
                    sender: Any = type(task.get_backend())
                    task_started.send(sender=sender, task_result=result)
                    if task.takes_context:
                        value = task.call(
                            TaskContext(task_result=result),
                            *result.args,
                            **result.kwargs,
                        )
                    else:
                        value = task.call(*result.args, **result.kwargs)
                    # Inside the try, like db_worker: a value that cannot be
                    # stored (not JSON) fails the job instead of the worker.
                    ours = leases.finish_successful(job, value)
                except BaseException as error:
                    ours = leases.finish_failed(job, error)
                    if not ours:
                        return
                    try:
                        sender = type(job.task.get_backend())
                    except Exception:  # the task itself cannot be imported
                        logger.exception("Job %s failed", job.id)
                        return
                if ours:
                    task_finished.send(sender=sender, task_result=job.task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1
