"""How long Firsthand takes to render an article and to take a comment (issue #8, 2).

    .venv/bin/python bench/render_bench.py
    .venv/bin/python bench/render_bench.py --quick              # fewer runs
    .venv/bin/python bench/render_bench.py --source /tmp/head   # another checkout

It builds the benchmark site in a fresh data folder with a real SQLite file
(``firsthand migrate``, ``demo`` and ``collectstatic`` as separate processes, then
``bench_site.grow_articles`` in this one: articles with 1,000 and 10,000
responses), configures Django in this process on that folder and times, with
``timeit`` (one call a run, after three untimed ones):

- the article page uncached with 18, 1,000 and 10,000 responses (the first
  thread page): a GET through Django's whole request handler (middleware, URL
  resolver, view, templates) with Django's test client, which calls the handler
  directly, and with FIRSTHAND_PAGE_CACHE=false: every run renders the page;
- one comment through ``intake.receive`` (validation, duplicate rules, spam
  layers, store, number and count in one transaction; source "form" with a form
  ticket issued 30 s before, so the timing layer passes, and a different author,
  address and text each run; flood control off);
- one comment POSTed to ``/respond/<post>/`` through the whole handler (the form,
  intake and the redirect).

It prints the median, the 90th percentile and the fastest run of each, and the
SQL queries one run makes. Exit status: 0, or 2 when a step failed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path

import django

# Run as a script from anywhere: this folder holds the site builder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_site

ROOT = Path(__file__).resolve().parents[1]


def configure(folder: Path, source: Path | None) -> dict[str, str]:
    """The environment of the site: for the subprocesses and for this process."""
    env = {
        "DJANGO_SETTINGS_MODULE": "firsthand.settings",
        "FIRSTHAND_DATA_DIR": str(folder),
        "FIRSTHAND_PAGE_CACHE": "false",  # uncached: every run renders
        "FIRSTHAND_FLOOD_INTERVAL": "0",  # every comment here comes from one process
        "FIRSTHAND_FLOOD_PER_HOUR": "0",
        "FIRSTHAND_LOG_LEVEL": "WARNING",
    }
    if source is not None:
        env["PYTHONPATH"] = str(source)
        sys.path.insert(0, str(source))
    os.environ.update(env)
    return dict(os.environ)


def build(env: dict[str, str]) -> None:
    beside = Path(sys.executable).parent / "firsthand"
    firsthand = (
        [str(beside)] if beside.exists() else [sys.executable, "-m", "firsthand.cli"]
    )
    steps = (
        ["migrate", "--no-input", "-v", "0"],
        ["demo"],
        ["collectstatic", "--no-input", "-v", "0"],
    )
    for step in steps:
        done = subprocess.run(  # noqa: S603  # our own command
            [*firsthand, *step], env=env, cwd=ROOT, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"firsthand {step[0]} failed:\n{done.stderr[-3000:]}")


def measure(run: Callable[[], object], runs: int) -> list[float]:
    """Seconds of each of ``runs`` calls, after three untimed ones."""
    for _ in range(3):
        run()
    return timeit.repeat(run, number=1, repeat=runs)


def queries_of(run: Callable[[], object]) -> int:
    from django.db import connection  # after django.setup()
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


def row(name: str, times: Sequence[float], queries: int, size: int) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    median = statistics.median(ordered)
    kilobytes = f"{size / 1000:.0f}" if size else "—"
    return (
        f"{name:<46} {len(times):>5} {median * 1000:>9.2f} {p90 * 1000:>9.2f} "
        f"{ordered[0] * 1000:>9.2f} {queries:>8} {kilobytes:>6}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per case")
    parser.add_argument("--quick", action="store_true", help="20 runs per case")
    parser.add_argument(
        "--source", type=Path, help="time this checkout of Firsthand instead"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args(argv)
    runs = 20 if args.quick else args.runs
    folder = Path(tempfile.mkdtemp(prefix="firsthand-render-bench-"))
    try:
        env = configure(folder, args.source.resolve() if args.source else None)
        started = time.perf_counter()
        build(env)
        django.setup()
        articles = bench_site.grow_articles()
        say(f"site built in {time.perf_counter() - started:.0f} s in {folder}")
        return run_cases(articles, runs)
    finally:
        if args.keep:
            say(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run_cases(articles: dict[str, object], runs: int) -> int:
    from django.test import Client  # after django.setup()

    import firsthand
    from firsthand import demo_content
    from firsthand.blog.models import Post
    from firsthand.conversation import forms, intake
    from firsthand.conversation.submission import Submission

    say(f"Firsthand from {Path(firsthand.__file__).parent}")
    client = Client(HTTP_HOST="127.0.0.1")
    pages = [("article, 18 responses", bench_site.ARTICLE_PATH)]
    for size in bench_site.BIG_THREADS:
        info = articles[str(size)]
        assert isinstance(info, dict)
        pages.append((f"article, {size:,} responses (page 1)", str(info["path"])))

    lines = []
    for name, path in pages:

        def get(path: str = path) -> int:
            answer = client.get(path)
            if answer.status_code != 200:
                raise SystemExit(f"GET {path}: {answer.status_code}")
            return len(answer.content)

        size = get()
        times = measure(get, runs)
        lines.append(row(f"{name}, uncached", times, queries_of(get), size))

    article = Post.objects.get(slug=demo_content.ARTICLE_SLUG)
    pool = bench_site.sentences(2000, seed=99)
    rng = random.Random(7)  # noqa: S311  # text, not secrets
    counter = iter(range(1, 10**9))
    tickets = iter(bench_site.mint_tickets(article.pk, 2 * runs + 20))

    def through_intake() -> object:
        n = next(counter)
        name, email = bench_site.author(rng, 500_000 + n)
        return intake.receive(
            Submission(
                post_id=article.pk,
                kind="comment",
                author_name=name,
                author_email=email,
                body=bench_site.comment_text(rng, pool, 500_000 + n),
                ip_address=f"198.51.100.{n % 250 + 1}",
                user_agent="render_bench",
                source="form",
                ticket=f"render-bench-{n}",  # the nonce a form ticket carries
                form_age=30.0,
            )
        )

    times = measure(through_intake, runs)
    lines.append(
        row("one comment through intake.receive", times, queries_of(through_intake), 0)
    )

    # Until issue #8 the ticket was a hidden form field; since, it is a cookie.
    ticket_in_form = "ticket" in forms.ResponseForm.base_fields
    action = f"/respond/{article.pk}/"

    def post_form() -> int:
        n = next(counter)
        name, email = bench_site.author(rng, 700_000 + n)
        fields = {
            "author_name": name,
            "author_email": email,
            "body": bench_site.comment_text(rng, pool, 700_000 + n),
            "leave_blank": "",
        }
        ticket = next(tickets)
        if ticket_in_form:
            fields["ticket"] = ticket
        else:
            client.cookies["firsthand_ticket"] = ticket
        answer = client.post(action, fields, REMOTE_ADDR=f"203.0.113.{n % 250 + 1}")
        if answer.status_code != 302:
            raise SystemExit(f"POST {action}: {answer.status_code}")
        return answer.status_code

    times = measure(post_form, runs)
    lines.append(
        row(f"one comment POSTed to {action}", times, queries_of(post_form), 0)
    )

    say(
        f"\n{runs} runs per case (timeit, one call a run); SQLite file, "
        "FIRSTHAND_PAGE_CACHE=false; ms; load average (the machine may be shared): "
        f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}\n"
    )
    head = (
        f"{'case':<46} {'runs':>5} {'median':>9} {'p90':>9} {'fastest':>9} "
        f"{'queries':>8} {'KB':>6}"
    )
    say(head)
    say("-" * len(head))
    for line in lines:
        say(line)
    return 0


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201


if __name__ == "__main__":
    sys.exit(main())
