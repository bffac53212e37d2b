"""Dependency hygiene (security-test-plan test 39).

The floors in pyproject.toml are where known vulnerabilities end; this table is
the team's record of them, and the test holds pyproject.toml and the installed
packages to it. (pip-audit needs its online service, which CI does not reach; the
table is what we can check everywhere.)
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"

# package: (lowest safe version, why)
FLOORS = {
    "django": (
        "5.2.19",
        "the newest 5.2 LTS release when the plan was written; earlier 5.2 "
        "releases have published security fixes (log injection CVE-2025-48432 "
        "among them)",
    ),
    "markdown-it-py": ("3.0.0", "after the denial-of-service fix of CVE-2023-26303"),
    "nh3": ("0.2.20", "the release the sanitizer policy is written against"),
    "defusedxml": ("0.7", "the release that covers xml.etree and expat bombs"),
    "httpx": ("0.27", "the release the outbound door is written against"),
}
# Never a dependency: deprecated, and its sanitizing is what nh3 replaces.
NEVER = {"bleach", "markdown"}


def requirements() -> dict[str, Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    found = [Requirement(text) for text in project["dependencies"]]
    return {requirement.name.lower(): requirement for requirement in found}


def test_every_floor_in_pyproject_is_at_least_the_safe_version() -> None:
    declared = requirements()
    for name, (floor, why) in FLOORS.items():
        assert name in declared, f"{name} is no longer a dependency: update FLOORS"
        lowest = [
            Version(spec.version)
            for spec in declared[name].specifier
            if spec.operator in (">=", "==", "~=")
        ]
        assert lowest, f"{name} has no lower bound in pyproject.toml"
        assert min(lowest) >= Version(floor), f"{name} must be >= {floor}: {why}"


def test_the_installed_packages_are_at_least_the_floors() -> None:
    for name, (floor, why) in FLOORS.items():
        installed = Version(metadata.version(name))
        assert installed >= Version(floor), f"{name} {installed} < {floor}: {why}"


def test_unwanted_packages_are_not_dependencies() -> None:
    assert not NEVER & set(requirements())
