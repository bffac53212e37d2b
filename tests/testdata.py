"""Where the team's shared test data lives: ``../shared/testdata`` beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# An empty value counts as unset (as in FIRSTHAND_SHARED_DIR= ./test).
SHARED = Path(os.environ.get("FIRSTHAND_SHARED_DIR") or ROOT.parent / "shared")


def shared_file(relative: str, *, folder: str = "testdata") -> Path:
    """The file, or a skip that names it; in CI a missing file fails the test.

    ``folder`` is the shared folder it is in: ``testdata`` or ``seed``.
    """
    path = SHARED / folder / relative
    if not path.exists():
        message = (
            f"{path} is missing: put the shared/ folder beside the repository "
            "or set FIRSTHAND_SHARED_DIR"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
