"""Import a large WordPress export and measure time and peak memory (issue #7).

    python bench/wxr_import.py                                # 10,000 / 100,000
    python bench/wxr_import.py --posts 1000 --comments 10000  # a quick run
    DATABASE_URL=postgres://… python bench/wxr_import.py      # on PostgreSQL

For each size it generates the file if missing (``bench/wxr_generate.py``, kept under
``--dir`` for the next run), makes a fresh data folder (FIRSTHAND_DATA_DIR, a real
SQLite file; with DATABASE_URL set, a fresh PostgreSQL database beside the one it
names, dropped afterwards), runs ``firsthand migrate`` and then
``firsthand import-wxr FILE`` as separate processes, and measures the import's wall
time and peak resident memory: ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``
read in a small measuring process whose only child is the import, so each import is
measured alone. It runs the same on a file 10 times smaller, to show that memory
stays flat as the file grows (the importer streams), then counts the rows stored
(posts and pages, responses by kind and status, replies) and compares them with the
summary the generator wrote.

Targets (issue #7), for 10,000 posts and 100,000 comments: under 120 seconds and
under 300 MB. Other sizes get a time target in proportion to their comments (at
least 5 seconds); the memory target stays 300 MB. "Flat" means the larger file's
peak is at most 1.5 times the smaller one's. Exit status: 0 when every target is met
and every count matches, 1 when not, 2 when a step failed.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, LiteralString
from urllib.parse import urlsplit, urlunsplit

import django
import psycopg
from django.apps import apps
from django.db import connection
from psycopg import sql

# Run as a script from anywhere: the repository root holds the firsthand package,
# this folder the generator.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import wxr_generate

from firsthand.portability.names import APPROVED_TO_STATUS

SECONDS_TARGET = 120.0  # for FULL_COMMENTS comments
SECONDS_FLOOR = 5.0  # starting Django and reading the file take a moment at any size
MEGABYTES_TARGET = 300.0
FULL_COMMENTS = 100_000
FLAT_RATIO = 1.5  # the larger file's peak memory over the 10x smaller one's
MEMORY_METHOD = (
    "resource.getrusage(RUSAGE_CHILDREN).ru_maxrss of the import process alone"
)


class StepFailed(Exception):
    pass


@dataclasses.dataclass
class Run:
    file: Path
    summary: dict[str, Any]
    seconds: float = 0.0
    peak_mb: float = 0.0
    migrate_seconds: float = 0.0
    stored: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def comments(self) -> int:
        return int(self.summary["comments"]["total"])

    @property
    def seconds_target(self) -> float:
        return max(SECONDS_FLOOR, SECONDS_TARGET * self.comments / FULL_COMMENTS)

    def meets_targets(self) -> bool:
        return self.seconds < self.seconds_target and self.peak_mb < MEGABYTES_TARGET


# -- What should be stored ---------------------------------------------------------


def expected_rows(summary: dict[str, Any]) -> dict[str, int]:
    """The rows an import of the summarised file should leave, keyed as ``stored``.

    Post statuses follow the importer's rules (firsthand/portability/importer.py):
    "publish" and "future" become published; drafts, private and password-protected
    posts become drafts (Firsthand has neither). Comments keep their WordPress
    approval state through names.APPROVED_TO_STATUS, and their threading.
    """
    posts, pages, comments = summary["posts"], summary["pages"], summary["comments"]
    by_status = posts["by_status"]
    rows: collections.Counter[str] = collections.Counter()
    rows["post"] = posts["total"]
    rows["post/published"] = (
        by_status.get("publish", 0)
        - posts["password_protected"]
        + by_status.get("future", 0)
    )
    rows["post/draft"] = posts["total"] - rows["post/published"]
    rows["page"] = pages["total"]
    rows["page/published"] = pages["by_status"].get("publish", 0)
    rows["page/draft"] = pages["total"] - rows["page/published"]
    rows["responses"] = comments["total"]
    for kind, count in comments["by_type"].items():
        rows[f"responses/kind/{kind}"] += count
    for approved, count in comments["by_approved"].items():
        rows[f"responses/status/{APPROVED_TO_STATUS[approved]}"] += count
    rows["responses/replies"] = comments["replies"]
    return dict(rows)


def differences(expected: dict[str, int], stored: dict[str, int]) -> list[str]:
    """One line per count that differs, in a stable order."""
    return [
        f"{key}: expected {expected.get(key, 0)}, stored {stored.get(key, 0)}"
        for key in sorted(expected.keys() | stored.keys())
        if expected.get(key, 0) != stored.get(key, 0)
    ]


# -- Running the steps -------------------------------------------------------------


def firsthand_command() -> list[str]:
    """The ``firsthand`` script beside this Python, else on PATH, else the module."""
    beside = Path(sys.executable).parent / "firsthand"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("firsthand")
    return [found] if found else [sys.executable, "-m", "firsthand.cli"]


def run_measured(
    command: Sequence[str], env: dict[str, str], log: Path, timeout: float
) -> tuple[float, float]:
    """Run ``command`` in a measuring process; return (seconds, peak MB)."""
    result = log.with_suffix(".measure.json")
    measure = [sys.executable, __file__, "--measure", str(result), "--", *command]
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603  # our own commands
            measure, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent,
            start_new_session=True,
        )  # fmt: skip
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise StepFailed(f"{' '.join(command)} took over {timeout:.0f} s") from None
    if status != 0 or not result.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise StepFailed(f"{' '.join(command)} failed (exit {status}):\n{tail}")
    figures = json.loads(result.read_text())
    return float(figures["seconds"]), float(figures["peak_mb"])


def measure(result: Path, command: Sequence[str]) -> int:
    """The measuring process: run one command, write its time and peak memory.

    RUSAGE_CHILDREN covers every child waited for, so the figure is this command's
    own only because this process runs nothing else.
    """
    started = time.perf_counter()
    status = subprocess.call(list(command))  # noqa: S603  # our own commands
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    peak_mb = peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6
    result.write_text(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))
    return status


def count_rows() -> dict[str, int]:
    """In a process with the firsthand settings: count what the import stored."""
    django.setup()  # configured from the environment fresh_site() made
    post = apps.get_model("firsthand_blog", "Post")._meta.db_table
    response = apps.get_model("firsthand_conversation", "Response")._meta.db_table
    quote = connection.ops.quote_name
    rows: collections.Counter[str] = collections.Counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT kind, status, COUNT(*) FROM {quote(post)} GROUP BY kind, status"  # noqa: S608
        )
        for kind, status, count in cursor.fetchall():
            rows[kind] += count
            rows[f"{kind}/{status}"] += count
        cursor.execute(
            f"SELECT kind, status, COUNT(*), COUNT(parent_id) FROM {quote(response)} "  # noqa: S608
            "GROUP BY kind, status"
        )
        for kind, status, count, replies in cursor.fetchall():
            rows["responses"] += count
            rows[f"responses/kind/{kind}"] += count
            rows[f"responses/status/{status}"] += count
            rows["responses/replies"] += replies
    return dict(rows)


@contextmanager
def fresh_site(keep: bool) -> Iterator[tuple[Path, dict[str, str]]]:
    """A new data folder, and with DATABASE_URL a new PostgreSQL database."""
    folder = Path(tempfile.mkdtemp(prefix="firsthand-wxr-bench-"))
    env = dict(os.environ, FIRSTHAND_DATA_DIR=str(folder))
    env["DJANGO_SETTINGS_MODULE"] = "firsthand.settings"
    url = os.environ.get("DATABASE_URL", "")
    database = ""
    try:
        if url:
            name = f"firsthand_wxr_bench_{os.getpid()}_{folder.name[-8:].lower()}"
            name = "".join(c if c.isalnum() else "_" for c in name)
            postgres("CREATE DATABASE {}", name, url)
            database = name
            env["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path="/" + name))
        yield folder, env
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
            if database:
                postgres("DROP DATABASE IF EXISTS {} WITH (FORCE)", database, url)


def postgres(statement: LiteralString, database: str, url: str) -> None:
    """Run a statement naming a database, on the server of ``url``.

    Through the server's "postgres" database, as Django's test runner does: the
    database the URL names need not exist.
    """
    query = sql.SQL(statement).format(sql.Identifier(database))
    server_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        with psycopg.connect(server_url, autocommit=True) as server:
            server.execute(query)
    except psycopg.Error as error:
        raise StepFailed(f"PostgreSQL ({database}): {error}") from None


def prepare_file(folder: Path, posts: int, comments: int, seed: int) -> Run:
    path = folder / f"wxr-{posts}-{comments}-seed{seed}.xml"
    summary_file = wxr_generate.summary_path(path)
    if not (path.exists() and summary_file.exists()):
        say(f"generating {path} …")
        started = time.perf_counter()
        wxr_generate.generate(path, posts=posts, comments=comments, seed=seed)
        say(f"  done in {time.perf_counter() - started:.1f} s")
    return Run(path, json.loads(summary_file.read_text()))


def import_one(run: Run, *, keep: bool, timeout: float) -> None:
    firsthand = firsthand_command()
    with fresh_site(keep) as (folder, env):
        say(f"importing {run.file.name} into {folder} …")
        run.migrate_seconds, _ = run_measured(
            [*firsthand, "migrate", "--no-input"], env, folder / "migrate.log", timeout
        )
        run.seconds, run.peak_mb = run_measured(
            [*firsthand, "import-wxr", "--no-progress", str(run.file)],
            env,
            folder / "import.log",
            timeout,
        )
        counted = subprocess.run(  # noqa: S603  # our own script
            [sys.executable, __file__, "--count-rows"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if counted.returncode != 0:
            raise StepFailed(f"counting the rows failed:\n{counted.stderr[-2000:]}")
        run.stored = json.loads(counted.stdout)
        say(f"  {run.seconds:.1f} s, peak {run.peak_mb:.0f} MB")
        if keep:
            say(f"  kept: {folder} (import log: {folder / 'import.log'})")


# -- Reporting ---------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201


def table(runs: Sequence[Run]) -> str:
    head = (
        f"{'file':<32} {'size MB':>8} {'posts':>6} {'pages':>6} {'comments':>9} "
        f"{'seconds':>8} {'comments/s':>10} {'peak MB':>8}  targets"
    )
    lines = [head, "-" * len(head)]
    for run in runs:
        verdict = "met" if run.meets_targets() else "NOT met"
        lines.append(
            f"{run.file.name:<32} {run.summary['bytes'] / 1e6:>8.1f} "
            f"{run.summary['posts']['total']:>6} {run.summary['pages']['total']:>6} "
            f"{run.comments:>9} {run.seconds:>8.1f} "
            f"{run.comments / run.seconds if run.seconds else 0:>10.0f} "
            f"{run.peak_mb:>8.0f}  {verdict} (< {run.seconds_target:.0f} s, "
            f"< {MEGABYTES_TARGET:.0f} MB)"
        )
    return "\n".join(lines)


def flat_memory(small: Run, large: Run) -> tuple[bool, str]:
    ratio = large.peak_mb / small.peak_mb if small.peak_mb else float("inf")
    growth = large.summary["bytes"] / max(small.summary["bytes"], 1)
    flat = ratio <= FLAT_RATIO
    return flat, (
        f"memory: a {growth:.1f}x larger file took {ratio:.2f}x the peak memory "
        f"({small.peak_mb:.0f} -> {large.peak_mb:.0f} MB): "
        + ("flat" if flat else f"NOT flat (more than {FLAT_RATIO}x)")
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The two helper modes this script runs itself in (see run_measured, import_one).
    if argv[:1] == ["--measure"] and len(argv) > 3 and argv[2] == "--":
        return measure(Path(argv[1]), argv[3:])
    if argv == ["--count-rows"]:
        say(json.dumps(count_rows()))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "firsthand-wxr-bench",
        help="where the generated files are kept (default: %(default)s)",
    )
    parser.add_argument(
        "--no-smaller",
        action="store_true",
        help="skip the 10x smaller file (no flat-memory comparison)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the data folders (and databases)"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per step (default 1800)"
    )
    args = parser.parse_args(argv)
    if args.posts < 1 or args.comments < 0:
        parser.error("give at least one post")
    args.dir.mkdir(parents=True, exist_ok=True)
    sizes = [(args.posts, args.comments)]
    if not args.no_smaller:
        sizes.insert(0, (max(args.posts // 10, 1), args.comments // 10))
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    runs: list[Run] = []
    try:
        for posts, comments in sizes:
            run = prepare_file(args.dir, posts, comments, args.seed)
            import_one(run, keep=args.keep, timeout=args.timeout)
            runs.append(run)
    except (StepFailed, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    say(f"\nWXR import on {database}; peak memory: {MEMORY_METHOD}\n")
    say(table(runs))
    ok = all(run.meets_targets() for run in runs)
    if len(runs) == 2:
        flat, line = flat_memory(runs[0], runs[1])
        say(line)
        ok = ok and flat
    for run in runs:
        wrong = differences(expected_rows(run.summary), run.stored)
        if wrong:
            say(f"rows stored from {run.file.name} differ from the file:")
            say("\n".join(f"  {line}" for line in wrong))
            ok = False
        else:
            stored = run.stored
            say(
                f"rows stored from {run.file.name} match the file: "
                f"{stored.get('post', 0)} posts, {stored.get('page', 0)} pages, "
                f"{stored.get('responses', 0)} responses "
                f"({stored.get('responses/replies', 0)} replies; "
                + ", ".join(
                    f"{key.rsplit('/', 1)[1]} {count}"
                    for key, count in sorted(stored.items())
                    if key.startswith("responses/status/")
                )
                + ")"
            )
    say(f"migrate took {', '.join(f'{r.migrate_seconds:.1f} s' for r in runs)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
