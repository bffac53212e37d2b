"""``firsthand serve``: migrate, collect static files, run the production server."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

# Granian's Rust side allocates with jemalloc, which by default keeps four arenas
# per core and lets each thread cache what it freed: a worker sending big cached
# pages from 8 threads grew to 116-127 MB at its peak; with 2 arenas, 95-99 MB,
# as fast (docs/performance.md). jemalloc reads this when it starts, so it is set
# before granian is imported; an operator's own setting wins.
JEMALLOC_CONF = "narenas:2"
os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC_CONF)

from granian.constants import HTTPModes, Interfaces  # noqa: E402
from granian.server import Server  # noqa: E402


class Command(BaseCommand):
    help = (
        "Serve the site with Granian (a production WSGI server) after applying "
        "pending migrations and collecting static files (served by WhiteNoise)."
    )
    requires_system_checks = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.FIRSTHAND_SERVE_WORKERS,
            help="Worker processes (default: FIRSTHAND_SERVE_WORKERS, else 2).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.FIRSTHAND_SERVE_THREADS,
            help="Threads per worker that run Django "
            "(default: FIRSTHAND_SERVE_THREADS, else 8).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if options["workers"] < 1:
            raise CommandError("--workers must be 1 or more.")
        if options["threads"] < 1:
            raise CommandError("--threads must be 1 or more.")
        # With the database checks: PostgreSQL's durability settings.
        call_command("check", deploy=False, databases=["default"])
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        host, port = options["host"], options["port"]
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(
            f"Firsthand is serving http://{shown}:{port}/  (Ctrl-C stops)"
        )
        self.stdout.flush()
        connections.close_all()  # the workers open their own connections
        Server(
            "firsthand.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            # Plain HTTP/1.1 behind a reverse proxy; no WebSockets: less to do
            # per request than granian's auto-detection.
            http=HTTPModes.http1,
            websockets=False,
            workers=options["workers"],
            blocking_threads=options["threads"],
            respawn_failed_workers=True,
        ).serve()
