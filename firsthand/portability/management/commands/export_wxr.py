"""``firsthand export-wxr -o FILE``: the whole site as a WordPress export (WXR 1.2)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import (
    CommandError,
    OutputWrapper,
)
from django.core.validators import URLValidator

from firsthand.commands import ExampleCommand
from firsthand.portability.exporter import ExportReport, export_wxr

EPILOG = """\
what is in the file:
  Every post and page (drafts and scheduled ones too), its tags and author, and
  every response: comments and replies with their threads, pingbacks, trackbacks,
  Webmention replies, likes, reblogs and mentions, whatever their state (visible,
  held, spam, in the trash). Commenters' email and IP addresses are in it: the
  file is readable by you only; keep it that way.

  Posts carry their rendered HTML (what WordPress shows) and, as "_firsthand_*"
  custom fields, the text as written (Markdown), and each response its kind and
  number: importing the file into an empty Firsthand gives the same site.

into WordPress:
  Tools -> Import -> WordPress (install the importer if asked), upload the file,
  then map its authors to users of that site. WordPress ignores the _firsthand_*
  fields; likes, reblogs and mentions arrive as comments of type "webmention".
  More: docs/portability.md.

examples:
  firsthand export-wxr -o site.xml
  firsthand export-wxr --site-url https://blog.example.com -o site.xml
  firsthand export-wxr -o - | gzip > site.xml.gz
"""


class Command(ExampleCommand):
    epilog = EPILOG
    help = (
        "Export the whole site (posts, pages, authors, tags and every response\n"
        "with its kind, thread and state) as a WordPress eXtended RSS file\n"
        "(WXR 1.2), which WordPress's importer accepts and `firsthand import-wxr`\n"
        "reads back into the same site."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "-o",
            "--output",
            required=True,
            metavar="FILE",
            help="Where to write the export; '-' for the standard output. The file "
            "appears only when it is complete.",
        )
        parser.add_argument(
            "--site-url",
            metavar="URL",
            help="The site's public address, for the links in the file "
            "(https://blog.example.com). Default: FIRSTHAND_SITE_URL.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        site_url = _site_url(options["site_url"])
        output: str = options["output"]
        progress = _ProgressBar(self.stderr) if self.stderr.isatty() else None
        try:
            if output == "-":
                # The raw bytes under the standard output (self.stdout is text).
                binary: BinaryIO = getattr(self.stdout, "buffer", sys.stdout.buffer)
                report = export_wxr(binary, site_url=site_url, progress=progress)
                binary.flush()
            else:
                path = Path(output).expanduser()
                report = _write_atomically(path, site_url, progress)
        finally:
            if progress is not None:
                progress.finish()
        if output == "-":
            # The standard output holds the file: the summary goes beside it.
            self.stderr.write(_summary(report, "the standard output"), style_func=str)
        else:
            self.stdout.write(self.style.SUCCESS(_summary(report, str(path))))


def _site_url(given: str | None) -> str:
    """--site-url, else FIRSTHAND_SITE_URL; the links in the file need one.

    Not ``firsthand.site.site_url()``: without a request it falls back to
    http://127.0.0.1:8000, and a file full of links there would be silently wrong.
    """
    url = (given or settings.FIRSTHAND_SITE_URL or "").strip().rstrip("/")
    if not url:
        raise CommandError(
            "The export needs the site's public address for its links. Set "
            "FIRSTHAND_SITE_URL=https://blog.example.com (as the site runs with), "
            "or pass --site-url https://blog.example.com."
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise CommandError(
            f"{url!r} is not the site's web address: write it with http:// or "
            "https://, like https://blog.example.com."
        ) from None
    return url


def _write_atomically(
    path: Path, site_url: str, progress: _ProgressBar | None
) -> ExportReport:
    """Write beside ``path``, then rename: ``path`` is never half-written."""
    folder = path.parent
    if path.is_dir():
        raise CommandError(
            f"{path} is a folder: give a file name, like {path}/site.xml."
        )
    if not folder.is_dir():
        raise CommandError(
            f"The folder {folder} does not exist: create it, or choose another "
            "place with -o."
        )
    try:
        # mkstemp: readable and writable by this user only (the file holds
        # commenters' email and IP addresses).
        handle, temporary = tempfile.mkstemp(
            dir=folder, prefix=f".{path.name}.", suffix=".part"
        )
    except OSError as error:
        raise CommandError(
            f"Cannot write in {folder}: {error.strerror}. Choose a folder you can "
            "write to with -o."
        ) from error
    try:
        with os.fdopen(handle, "wb") as file:
            report = export_wxr(file, site_url=site_url, progress=progress)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return report


class _ProgressBar:
    """ "Exporting 1,234 of 10,000 posts… [#####-----] 12%", redrawn in place at
    most ten times a second."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        share = done / total if total else 1.0
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(
            f"\rExporting {done:,} of {total:,} posts and pages… [{bar}] {share:4.0%}",
            style_func=str,
            ending="",
        )
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("", style_func=str)


def _summary(report: ExportReport, where: str) -> str:
    kinds = ", ".join(
        f"{count:,} {kind}" for kind, count in sorted(report.responses.items())
    )
    responses = f"{report.response_total:,} response(s)"
    if kinds:
        responses += f" ({kinds})"
    return (
        f"Exported {report.posts:,} post(s), {report.pages:,} page(s), {responses}, "
        f"{report.authors:,} author(s) and {report.tags:,} tag(s) to {where} "
        f"({report.bytes:,} bytes)."
    )
