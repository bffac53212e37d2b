"""Run one fuzz target under atheris (coverage-guided, libFuzzer).

    pip install -e ".[test,fuzz]"
    python -m tests.fuzz.run --seconds 60 feed    # or render, url_guard, xmlrpc, wxr
    python -m tests.fuzz.run --seconds 60 all

The corpus starts from the target's seeds (tests/fuzz/targets.py) and lives in a
temporary folder; an input that makes the target fail is written to
tests/fuzz/regressions/<target>/, which tests/fuzz/test_regressions.py replays in
the ordinary suite: fix the bug, keep the input. Prints executions a second.
Exit status: 0, or 1 when an input failed (its file named above libFuzzer's log).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REGRESSIONS = HERE / "regressions"
# Whole packages: atheris instruments a top-level package or nothing (naming
# django.utils.feedgenerator instruments all of Django: 20 s more to start, and
# the feed target runs at half the speed).
INSTRUMENTED = ["firsthand", "markdown_it", "mdurl", "defusedxml", "httpx", "idna"]
# tests/fuzz/targets.py's TARGETS, named here without importing Django.
TARGET_NAMES = ["render", "url_guard", "xmlrpc", "wxr", "feed"]


def _child(target: str, seconds: int) -> int:
    """In this process: set Django up, instrument, fuzz."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    atheris = importlib.import_module("atheris")  # the "fuzz" extra; untyped
    # Coverage only where the bugs would be: Firsthand and the parsers it calls
    # (instrumenting everything loaded takes a minute and a half to start).
    with atheris.instrument_imports(include=INSTRUMENTED):
        django.setup()
        from tests.fuzz import targets

    function = targets.TARGETS[target]
    # The guard logs each refusal at INFO: millions of lines, and most of the time.
    logging.disable(logging.INFO)
    work = Path(tempfile.mkdtemp(prefix=f"firsthand-fuzz-{target}-"))
    corpus = work / "corpus"
    corpus.mkdir()
    for n, seed in enumerate(targets.seeds(target)):
        (corpus / f"seed-{n}").write_bytes(seed)
    dictionary = work / "dict"
    dictionary.write_text(
        "".join(f'"{_dict_escape(word)}"\n' for word in targets.DICTIONARY[target]),
        encoding="ascii",
    )
    crashes = REGRESSIONS / target
    crashes.mkdir(parents=True, exist_ok=True)
    atheris.Setup(
        [
            sys.argv[0],
            str(corpus),
            f"-max_total_time={seconds}",
            f"-dict={dictionary}",
            "-timeout=10",
            "-rss_limit_mb=1024",
            "-print_final_stats=1",
            f"-artifact_prefix={crashes}/",
        ],
        function,
    )
    atheris.Fuzz()
    return 0


def _dict_escape(word: str) -> str:
    return "".join(
        c if 32 <= ord(c) < 127 and c not in '"\\' else f"\\x{ord(c):02x}" for c in word
    )


def _run(target: str, seconds: int) -> int:
    """One target in a child process (libFuzzer exits the process when it ends)."""
    command = [sys.executable, "-m", "tests.fuzz.run", "--child", target]
    command += ["--seconds", str(seconds)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False
    )
    log = done.stderr
    runs = [line for line in log.splitlines() if line.startswith("stat::")]
    stats = dict(
        (line.split(":")[2].strip(), line.split(":")[3].strip()) for line in runs
    )
    executions = int(stats.get("number_of_executed_units", "0"))
    rate = stats.get("average_exec_per_sec", "?")
    verdict = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
    print(f"{target}: {executions} executions in {seconds} s, {rate}/s: {verdict}")  # noqa: T201
    if done.returncode != 0:
        # atheris writes the Python exception to stdout, libFuzzer its log to stderr.
        log = done.stdout + log
        start = log.find("Uncaught Python exception")
        print(log[start - 100 if start > 0 else -4000 :][:6000])  # noqa: T201
    return 0 if done.returncode == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=[*TARGET_NAMES, "all"])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.target, args.seconds)
    names = TARGET_NAMES if args.target == "all" else [args.target]
    return max(_run(name, args.seconds) for name in names)


if __name__ == "__main__":
    sys.exit(main())
