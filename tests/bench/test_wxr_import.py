"""The import benchmark (bench/wxr_import.py): what it expects an import to store,
how it reports a difference, and (slow) one whole run on a tiny file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

SUMMARY = {
    "posts": {
        "total": 100,
        "by_status": {"publish": 80, "draft": 12, "future": 3, "private": 5},
        "password_protected": 4,
    },
    "pages": {"total": 6, "by_status": {"publish": 5, "draft": 1}, "with_parent": 2},
    "comments": {
        "total": 1000,
        "by_type": {"comment": 970, "pingback": 20, "trackback": 10},
        "by_approved": {"1": 800, "0": 50, "spam": 120, "trash": 30},
        "replies": 290,
    },
}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wxr_import", BENCH / "wxr_import.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["wxr_import"] = module
    spec.loader.exec_module(module)
    return module


def test_expected_rows_follow_the_importers_rules(bench: ModuleType) -> None:
    assert bench.expected_rows(SUMMARY) == {
        "post": 100,
        # publish without a password, and future
        "post/published": 80 - 4 + 3,
        # drafts, private and password-protected posts
        "post/draft": 12 + 5 + 4,
        "page": 6,
        "page/published": 5,
        "page/draft": 1,
        "responses": 1000,
        "responses/kind/comment": 970,
        "responses/kind/pingback": 20,
        "responses/kind/trackback": 10,
        "responses/status/visible": 800,
        "responses/status/pending": 50,
        "responses/status/spam": 120,
        "responses/status/removed": 30,
        "responses/replies": 290,
    }


def test_differences_name_each_count_that_is_off(bench: ModuleType) -> None:
    expected = bench.expected_rows(SUMMARY)
    assert bench.differences(expected, dict(expected)) == []
    stored = dict(expected, **{"responses/status/removed": 0, "post/private": 5})
    assert bench.differences(expected, stored) == [
        "post/private: expected 0, stored 5",
        "responses/status/removed: expected 30, stored 0",
    ]


def test_the_time_target_scales_with_the_comments(bench: ModuleType) -> None:
    full = bench.Run(Path("f.xml"), {"comments": {"total": 100_000}}, 119.0, 299.0)
    assert full.seconds_target == 120
    assert full.meets_targets()
    assert not bench.Run(Path("f.xml"), full.summary, 121.0, 10.0).meets_targets()
    assert not bench.Run(Path("f.xml"), full.summary, 10.0, 301.0).meets_targets()
    small = bench.Run(Path("s.xml"), {"comments": {"total": 10_000}}, 11.0, 100.0)
    assert small.seconds_target == 12
    assert small.meets_targets()
    # Starting Django takes a moment whatever the size.
    tiny = bench.Run(Path("t.xml"), {"comments": {"total": 100}})
    assert tiny.seconds_target == 5


def test_memory_is_flat_when_the_peak_grows_little(bench: ModuleType) -> None:
    small = bench.Run(Path("s.xml"), {"bytes": 1_000_000}, 1.0, 100.0)
    large = bench.Run(Path("l.xml"), {"bytes": 10_000_000}, 10.0, 140.0)
    flat, line = bench.flat_memory(small, large)
    assert flat
    assert "10.0x larger file took 1.40x the peak memory (100 -> 140 MB): flat" in line
    grown = bench.Run(Path("l.xml"), {"bytes": 10_000_000}, 10.0, 400.0)
    assert not bench.flat_memory(small, grown)[0]


@pytest.mark.slow
def test_a_whole_run_on_a_tiny_file_stores_what_the_file_holds(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = bench.main(["--posts", "20", "--comments", "200", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "wxr-20-200-seed1.xml" in out
    assert "wxr-2-20-seed1.xml" in out
    assert "rows stored from wxr-20-200-seed1.xml match the file" in out
    assert "rows stored from wxr-2-20-seed1.xml match the file" in out
    assert status in (0, 1)  # 1 if this busy machine missed a time target
    assert (tmp_path / "wxr-20-200-seed1.summary.json").exists()
