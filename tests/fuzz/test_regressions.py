"""Every input a fuzz run ever failed on, and every seed, replayed in the ordinary
suite (no atheris needed, but for the feed target's); and, in the slow tier, a
short fuzz run of each target where atheris is installed
(``pip install -e ".[fuzz]"``)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.xmlutils import UnserializableContentError

from firsthand import rendering
from firsthand.crosstalk import fetch
from firsthand.crosstalk.protocols import pingback
from firsthand.portability import wxr
from firsthand.syndication import feeds, generators
from tests.durability.conftest import on_postgresql
from tests.fuzz import targets
from tests.fuzz.run import REGRESSIONS, ROOT, TARGET_NAMES
from tests.fuzz.targets import TARGETS, Found, seeds


def _saved(target: str) -> list[Path]:
    return sorted(p for p in (REGRESSIONS / target).glob("*") if p.name != ".gitkeep")


def _needs_atheris() -> None:
    """The feed target reads its input with atheris's FuzzedDataProvider: without
    atheris its inputs cannot be replayed (the bugs they found have tests of their
    own, in tests/syndication/test_feeds.py)."""
    if importlib.util.find_spec("atheris") is None:
        why = "atheris is not installed: ./test --all installs it (the fuzz extra)"
        if os.environ.get("CI"):
            pytest.fail(why)  # CI runs every tier: a missing fuzzer is a failure
        pytest.skip(why)


def test_the_runner_names_every_target() -> None:
    assert sorted(TARGET_NAMES) == sorted(TARGETS)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_saved_inputs_and_seeds_pass(target: str) -> None:
    if target == "feed":
        _needs_atheris()
    check = TARGETS[target]
    for path in _saved(target):
        check(path.read_bytes())
    for seed in seeds(target):
        check(seed)


def test_the_render_target_sees_active_content(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each target's oracle fails on the bug it is there to find: here, a
    sanitizer that lets everything through."""
    monkeypatch.setattr(rendering, "sanitize_post_html", lambda html: html)
    with pytest.raises(Found, match="render_post let through"):
        targets.render(b"<script>alert(1)</script>")


def test_the_url_guard_target_sees_a_private_address_let_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fetch, "_not_global", lambda address: None)
    with pytest.raises(Found, match="let"):
        targets.url_guard(
            b"http://host.example/" + bytes([10, 0, 0, 1]).rjust(16, b"\0")
        )


def test_the_parser_targets_let_unexpected_errors_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(pingback, "_value", broken)
    with pytest.raises(KeyError):
        targets.xmlrpc_call(seeds("xmlrpc")[0])
    monkeypatch.setattr(wxr, "_number", broken)
    with pytest.raises(KeyError):
        targets.wxr_reader(seeds("wxr")[0])


def test_the_feed_target_sees_what_a_reader_would_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A post's plain summary put into the feed as HTML unescaped, as it was."""
    _needs_atheris()
    monkeypatch.setattr(feeds.PostsFeed, "item_description", lambda _, p: p.summary)
    found = _feed_failures()
    assert any("carries ['<script>" in message for message in found), found


def test_the_feed_target_sees_feeds_that_break(monkeypatch: pytest.MonkeyPatch) -> None:
    """Feed titles uncleaned, as they were: a control character is Django's
    UnserializableContentError (a 500), a lone surrogate unreadable XML."""
    _needs_atheris()
    monkeypatch.delattr(generators._Cleaning, "__init__")
    found = _feed_failures()
    assert any("Control characters are not supported" in m for m in found), found
    assert any("is not well-formed" in message for message in found), found


def _feed_failures() -> list[str]:
    """What the feed target says of each saved input and seed that fails."""
    failures = []
    for data in [path.read_bytes() for path in _saved("feed")] + seeds("feed"):
        try:
            targets.feed(data)
        except (Found, UnserializableContentError) as error:
            failures.append(str(error))
    return failures


@pytest.mark.slow
@pytest.mark.skipif(
    on_postgresql(),
    reason="runs once per CI, in the SQLite pass: no target touches a database",
)
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_short_fuzz_run_finds_nothing(target: str) -> None:
    _needs_atheris()
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.run", "--seconds", "10", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:]
