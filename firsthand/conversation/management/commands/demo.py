"""``firsthand demo``: fill the site with the demo content."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from firsthand.conversation.demo import load_demo


class Command(BaseCommand):
    help = (
        "Create the demo site: an author, four posts and an article with 18 "
        "responses. Running it again changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the site already has any post (used by ./run).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # A fresh data folder has no tables yet: prepare it, as `serve` does.
        call_command("migrate", interactive=False, verbosity=0)
        report = load_demo(only_if_empty=options["if_empty"])
        if report.skipped_because_not_empty:
            self.stdout.write("The site already has posts; demo content not loaded.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content ready: {report.posts_created} post(s) and "
                f"{report.responses_created} response(s) added."
            )
        )
