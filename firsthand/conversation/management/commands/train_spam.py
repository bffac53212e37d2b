"""``firsthand train-spam``: rebuild the spam classifier's counts."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from firsthand.conversation import learning
from firsthand.conversation.spam import seed


def default_files() -> list[Path]:
    """The team's labelled data beside the repository, when it is there."""
    return [path for path in seed.shared_paths() if path.is_file()]


class Command(BaseCommand):
    help = (
        "Rebuild the spam classifier from labelled CSV files (COMMENT_ID, AUTHOR, "
        "DATE, CONTENT, CLASS with 1 = spam) plus every spam / not-spam decision "
        "moderators made on this site. Without files it uses shared/testdata/spam "
        "beside the repository if present, else the seed model shipped with Firsthand."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="*", type=Path, help="Labelled CSV files.")
        parser.add_argument(
            "--seed-only",
            action="store_true",
            help="Start from the shipped seed model, ignoring labelled files.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = [] if options["seed_only"] else options["files"]
        if not files and not options["seed_only"]:
            files = default_files()
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path} is not a file. Give labelled CSV files.")
        source = ", ".join(p.name for p in files) if files else "the shipped seed model"
        self.stdout.write(f"Training from {source} and this site's decisions …")
        try:
            report = learning.rebuild(files)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Learned {report.seed_documents} labelled documents and "
                f"{report.decisions} moderator decisions: {report.tokens} features."
            )
        )
