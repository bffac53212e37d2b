"""What Firsthand's own management commands share."""

from __future__ import annotations

from argparse import RawDescriptionHelpFormatter
from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandParser,
    DjangoHelpFormatter,
)


class _HelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    """Django's order of options, with the description and examples as written."""


class ExampleCommand(BaseCommand):
    """A command whose ``--help`` ends with ``epilog`` (examples, notes) exactly
    as written, line breaks and all."""

    epilog = ""

    def create_parser(
        self, prog_name: str, subcommand: str, **kwargs: Any
    ) -> CommandParser:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        return super().create_parser(
            prog_name, subcommand, epilog=self.epilog, **kwargs
        )
