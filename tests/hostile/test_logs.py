"""Hostile values in logs (plan test 38, issue #9 point 6): whatever a stranger
sends, each record is exactly one line with no raw control character, through the
real LOGGING configuration (firsthand.logs)."""

from __future__ import annotations

import copy
import io
import logging
import logging.config
import re
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.test import Client

from firsthand.crosstalk import fetch
from firsthand.logs import escape

FORGED = "2026-01-01 00:00:00,000 ERROR firsthand: admin logged in"
HOSTILE = [
    f"x\r\n{FORGED}",
    f"x\n{FORGED}",
    f"x\r{FORGED}",
    "\x1b[2J\x1b[1;31mred alert\x1b[0m",
    f"x\u2028{FORGED}\u2029",
    f"x\x85{FORGED}",
    "\u202eevil\u202c and \u2066isolated\u2069",
    "nul\x00 bell\x07 backspace\x08\x08 tab\tform\x0c vt\x0b del\x7f",
    "a" * 100_000 + "\nforged",
]
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[str]]]:
    """The site's own LOGGING, its console handler writing to a buffer; the
    records written are counted beside it."""
    buffer = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["stream"] = buffer
    logging.config.dictConfig(config)
    counter = _Count()
    logging.getLogger().addHandler(counter)

    def lines() -> list[str]:
        # Split on "\n" only: a record holding U+2028 must not count as two here.
        found = buffer.getvalue().split("\n")[:-1]
        assert len(found) == counter.records, found[:5]
        return found

    try:
        yield lines
    finally:
        logging.getLogger().removeHandler(counter)
        logging.config.dictConfig(settings.LOGGING)


def _one_line_each(lines: list[str], records: int) -> None:
    assert len(lines) >= records, lines[:5]
    for line in lines:
        assert RECORD_START.match(line), line[:120]
        assert not RAW.search(line), line[:120]
        assert "\t" not in line
        assert "\r" not in line


def test_escape_writes_every_unsafe_character_as_an_escape() -> None:
    assert escape("a\r\nb\tc\x1b[2J\u202ed\x85") == "a\\r\\nb\\tc\\x1b[2J\\u202ed\\x85"
    assert escape("plain words, émigré, 日本語 ok") == "plain words, émigré, 日本語 ok"


def test_firsthands_loggers_write_one_line_per_record(
    log_lines: Callable[[], list[str]],
) -> None:
    logger = logging.getLogger("firsthand.crosstalk.verify")
    for value in HOSTILE:
        logger.warning("Gave up verifying %s: %s", value, value)
    for value in HOSTILE:
        logger.warning(value)  # a message with no arguments
    _one_line_each(log_lines(), 2 * len(HOSTILE))
    assert f"x\\r\\n{FORGED}" in log_lines()[0]


def test_a_traceback_is_one_line_too(log_lines: Callable[[], list[str]]) -> None:
    logger = logging.getLogger("firsthand.crosstalk.tasks")
    try:
        raise ValueError(f"bad source x\n{FORGED}")
    except ValueError:
        logger.exception("Task failed for %s", "\x1b[2Jsomeone")
    lines = log_lines()
    _one_line_each(lines, 1)
    assert "Traceback (most recent call last):\\n" in lines[0]
    assert f"ValueError: bad source x\\n{FORGED}" in lines[0]


def test_a_refused_fetch_logs_the_strangers_address_on_one_line(
    log_lines: Callable[[], list[str]],
) -> None:
    for value in HOSTILE:
        assert fetch.refusal(f"http://10.0.0.1/{value}")
    lines = log_lines()
    _one_line_each(lines, 3)
    assert sum("Refused to fetch http://10.0.0.1/x" in line for line in lines) >= 2


@pytest.mark.django_db
def test_djangos_request_log_stays_one_line_per_request(
    client: Client, log_lines: Callable[[], list[str]]
) -> None:
    paths = [
        "/nothing-here%0D%0A" + FORGED.replace(" ", "%20"),
        "/%1B%5B2J%1B%5B31mred",
        "/%E2%80%AEevil",
        "/%C2%85next",
    ]
    for path in paths:
        answer = client.get(path, HTTP_USER_AGENT=f"agent\r\n{FORGED}")
        assert answer.status_code == 404
    lines = log_lines()
    _one_line_each(lines, len(paths))
    assert all("Not Found" in line for line in lines)
