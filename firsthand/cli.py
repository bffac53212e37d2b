"""The ``firsthand`` command: ``serve``, ``demo`` and every Django management command.

Verbs are management commands, so tests drive them with ``call_command``; this
module only chooses the settings and turns ``import-wxr`` into ``import_wxr``.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line, get_commands

USAGE_HINT = """\
Firsthand: a blog where the conversation matters.

Common commands:
  firsthand serve [--host H] [--port P]   run the site (applies migrations first)
  firsthand demo                          load the demo content
  firsthand createsuperuser               create an account for the admin
  firsthand help                          list every command
"""


def command_name(verb: str) -> str:
    """``import-wxr`` -> ``import_wxr``; ``show-migrations`` -> ``showmigrations``."""
    if "-" not in verb:
        return verb
    known = get_commands()
    # Before the apps are loaded get_commands() knows only Django's own commands,
    # and caches that list: forget it, so the command itself finds Firsthand's.
    get_commands.cache_clear()  # type: ignore[attr-defined]  # functools.cache
    for candidate in (verb.replace("-", "_"), verb.replace("-", "")):
        if candidate in known:
            return candidate
    return verb.replace("-", "_")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firsthand.settings")
    if len(args) < 2 or args[1] in {"-h", "--help"}:
        sys.stdout.write(USAGE_HINT)
        if len(args) < 2:
            return
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = command_name(args[1])
    args[0] = "firsthand"
    try:
        execute_from_command_line(args)
    except ImproperlyConfigured as error:
        # A bad setting is the operator's to fix: the message says how; a
        # traceback would only hide it.
        sys.stderr.write(f"firsthand: ImproperlyConfigured: {error}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
