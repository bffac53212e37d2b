"""How long the worst Markdown takes to render and sanitize (issue #9, plan test 11).

    .venv/bin/python bench/markdown_bombs.py            # 20,000 characters each
    .venv/bin/python bench/markdown_bombs.py --length 40000 --runs 5

Each input from tests/hostile/bombs.py goes through ``render_response`` (a
reader's comment) and ``render_post`` (an author's post), with no time budget, so
the figures are the renderer's own; the median of ``--runs`` runs is printed,
slowest first, with the share markdown-it and nh3 take. The budget then decides
what a visitor gets (docs/architecture.md, "Rendering and sanitizing").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firsthand.settings")
    import django

    django.setup()
    from firsthand import rendering
    from tests.hostile.bombs import BOMBS

    never = float("inf")
    rows = []
    for name, make in BOMBS.items():
        text = make(args.length)
        for which, renderer, sanitize in (
            (
                "comment",
                rendering._response_renderer(),
                rendering._sanitize_response_html,
            ),
            ("post", rendering._post_renderer(), rendering.sanitize_post_html),
        ):
            md_times, nh3_times = [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                html = renderer.render(text, {"firsthand_deadline": never})
                middle = time.perf_counter()
                sanitize(html)
                md_times.append(middle - start)
                nh3_times.append(time.perf_counter() - middle)
            md, nh = statistics.median(md_times), statistics.median(nh3_times)
            rows.append((md + nh, name, which, md, nh))
    rows.sort(reverse=True)
    lines = [f"{'total ms':>9} {'markdown':>9} {'nh3':>7}  input ({args.length} chars)"]
    for total, name, which, md, nh in rows:
        lines.append(
            f"{total * 1000:9.1f} {md * 1000:9.1f} {nh * 1000:7.1f}  {name} ({which})"
        )
    budget = rendering.RESPONSE_BUDGET * 1000
    over = [r for r in rows if r[2] == "comment" and r[0] * 1000 > budget]
    lines.append(f"comment budget {budget:.0f} ms; over it here: {len(over)}")
    print("\n".join(lines))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
