"""``firsthand worker``: run background jobs (WebSub verifications and pushes)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django_tasks_db.backend import DatabaseBackend

from firsthand.compat import task_backends
from firsthand.syndication import push


class Command(BaseCommand):
    help = (
        "Run the background worker. Work that talks to other servers (confirming "
        "WebSub subscribers, pushing new posts and comments to them, retrying "
        "failed pushes) waits in the database until a worker runs it: keep one "
        "running beside `firsthand serve`, with the same settings. Ctrl+C or "
        "SIGTERM stops it after the job at hand; a job cut short by kill -9 stays "
        "in the table as RUNNING (see docs/protocols/websub.md)."
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
        call_command(
            "db_worker",
            interval=options["interval"],
            batch=options["batch"],
            max_tasks=options["max_tasks"],
            reload=options["reload"],
            startup_delay=not options["batch"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
            stderr=self.stderr,
        )
