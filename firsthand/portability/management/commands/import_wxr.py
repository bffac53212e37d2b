"""``firsthand import-wxr FILE``: bring a WordPress blog in."""

from __future__ import annotations

import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from firsthand.portability.importer import ImportFailed, import_wxr


class Command(BaseCommand):
    help = (
        "Import a WordPress export (Tools → Export → All content, a WXR file of any "
        "version 1.0 to 1.2): authors, categories and tags (as tags), posts, pages, "
        "drafts and scheduled posts, and every comment, pingback and trackback with "
        "its threading, approval state and date. Running it again with the same or "
        "a newer export adds only what is new. A file that cannot be read stops the "
        "import with the line and the reason, and nothing is written."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="the WXR file (.xml) to import")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=(
                "read and check everything, report what would be imported, "
                "write nothing"
            ),
        )
        parser.add_argument(
            "--judge-spam",
            action="store_true",
            help=(
                "run the spam defence on approved comments too (by default the old "
                "site's decisions stand)"
            ),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar on stderr"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(
                f"{path}: no such file. Give the path of the .xml export."
            )
        bar = _Bar(enabled=not options["no_progress"] and sys.stderr.isatty())
        try:
            report = import_wxr(
                path,
                dry_run=options["dry_run"],
                judge_spam=options["judge_spam"],
                progress=bar.update,
            )
        except ImportFailed as failure:
            bar.done()
            raise CommandError(
                f"{path}: {failure}. Nothing was imported; fix the file (or export it "
                "again from WordPress) and run the import again."
            ) from None
        bar.done()
        for line in report.lines():
            self.stdout.write(line)


class _Bar:
    """A one-line progress bar by bytes read, redrawn at most ten times a second."""

    WIDTH = 30

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.drawn = 0.0

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.drawn < 0.1 and done < total):
            return
        self.drawn = now
        share = done / total if total else 1.0
        filled = int(share * self.WIDTH)
        elapsed = now - self.started
        left = elapsed / share - elapsed if share > 0 else 0
        sys.stderr.write(
            f"\rImporting [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{share:4.0%}  {done / 1e6:,.1f} of {total / 1e6:,.1f} MB  "
            f"about {left:,.0f} s left "
        )
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.drawn:
            sys.stderr.write("\n")
