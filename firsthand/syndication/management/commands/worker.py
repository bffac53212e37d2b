"""``firsthand worker``: run background jobs (WebSub, pings, emails) under a lease."""

from __future__ import annotations

import logging
import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.backend import DatabaseBackend

from firsthand.compat import task_backends
from firsthand.jobs import leases
from firsthand.jobs.worker import LeasedWorker
from firsthand.syndication import push


class Command(BaseCommand):
    help = (
        "Run the background worker. Work that talks to other servers (confirming "
        "WebSub subscribers, pushing new posts and comments to them, retrying "
        "failed pushes) waits in the database until a worker runs it: keep one "
        "running beside `firsthand serve`, with the same settings. Ctrl+C or "
        "SIGTERM stops it after the job at hand; a job cut short by kill -9 runs "
        "again once its lease ends (FIRSTHAND_JOB_LEASE seconds; see "
        "docs/deployment.md, Background jobs)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait before looking again when no job is due "
            "(default: %(default)s).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run every job that is due now, then exit (for cron or tests).",
        )
        parser.add_argument(
            "--max-tasks",
            type=int,
            default=None,
            help="Exit after this many jobs (a supervisor then starts a fresh one).",
        )
        parser.add_argument(
            "--reload",
            action="store_true",
            help="Restart when the code changes (development only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = task_backends["default"]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                f"The default task backend is {type(backend).__name__}, which runs "
                "jobs by itself; the worker runs jobs kept in the database. Set "
                'TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}} '
                "(Firsthand's settings do)."
            )
        # Leases end by the clock; mark the ended ones now so the admin shows them
        # (publishing also checks, so an expired subscriber never gets a push).
        expired = push.expire_leases()
        if expired and options["verbosity"]:
            self.stdout.write(f"Marked {expired} WebSub subscription(s) expired.")
        self._configure_logging(options["verbosity"])
        worker = LeasedWorker(
            queue_names=["default"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=not options["batch"],
            max_tasks=options["max_tasks"],
            worker_id=leases.new_worker_id(),
            excluded_queue_names=[],
        )

        def run() -> None:
            # The heartbeat lives exactly as long as the loop that claims jobs.
            with leases.Heartbeat(worker.worker_id, on_lost=worker.stop_after_this_job):
                worker.run()

        if options["reload"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child runs jobs
            run_with_reloader(run)
        else:
            worker.configure_signals()
            run()

    def _configure_logging(self, verbosity: int) -> None:
        """What db_worker does: job and lease messages on this command's output,
        unless the site's LOGGING already sends them somewhere."""
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("django_tasks", "django_tasks_db", "firsthand.jobs"):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler(self.stdout))
