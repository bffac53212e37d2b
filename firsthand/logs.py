"""One log record, one line: values from strangers cannot forge records.

Firsthand logs what strangers send: request paths, names, the addresses of
Webmention sources. A value holding a line feed would start what looks like a new
record ("… source=x\\nERROR admin login ok"), an ANSI escape would repaint the
operator's terminal, a right-to-left override would reverse what follows it. The
formatter here writes each such character as an escape (``\\n``, ``\\x1b``,
``\\u202e``), in the message, its arguments and any traceback alike, so every
record is exactly one line (issue #9, plan test 38; Django escapes its own request
logs the same way since 5.2.3, CVE-2025-48432). Tracebacks come out on one line
too: ``\\n`` marks where their lines break.
"""

from __future__ import annotations

import logging
import re

# C0 controls (tab included: a tab can pad a forged field), DEL, C1 controls, the
# Unicode line and paragraph separators, and the bidirectional embeddings,
# overrides and isolates (they reorder how a terminal shows the rest of a line).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def escape(text: str) -> str:
    """``text`` with every character that could break or disguise a line escaped."""
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class OneLineFormatter(logging.Formatter):
    """The standard formatter, then every unsafe character escaped."""

    def __init__(self, fmt: str | None = FORMAT, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)

    def format(self, record: logging.LogRecord) -> str:
        return escape(super().format(record))
