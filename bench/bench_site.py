"""The benchmarks' site: the demo plus two articles with 1,000 and 10,000 responses.

Shared by ``http_bench.py`` and ``render_bench.py`` (issue #8). Run with the
firsthand settings and a fresh FIRSTHAND_DATA_DIR, after ``firsthand migrate`` and
``firsthand demo``:

    python bench/bench_site.py grow            # the two big articles
    python bench/bench_site.py count POST_ID   # responses of a post, by status (JSON)
    python bench/bench_site.py tickets POST_ID N  # N valid form tickets, one a line

The big articles have the demo article's text (about 600 words) under another
title, and threads bulk-created the way ``tests/conversation/threads.py`` ``grow``
does (rows as intake leaves them: numbers, paths, top-level ordinals and the
post's counters), with comments of two to five generated sentences, about a third
of them replies. Everything is seeded: the same site every run.

The functions that touch the database import Firsthand's modules inside
themselves: this module is imported before ``django.setup()`` has run.
"""

from __future__ import annotations

import datetime
import inspect
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import django

if TYPE_CHECKING:
    from firsthand.blog.models import Post

SEED = 8
REPLY_SHARE = 0.35  # of the bulk comments, the share that answer an earlier one
BIG_THREADS = (1_000, 10_000)
ARTICLE_PATH = "/2026/07/02/should-a-small-shop-put-its-prices-online/"

# Comment text: sentences made of these parts, so that any two comments differ
# well beyond the near-duplicate ratio (0.85) and read like people on the topic.
_OPENINGS = (
    "I run a small bakery and",
    "As a customer,",
    "Speaking as someone who sells at markets,",
    "Our bike repair shop",
    "My sister's pottery studio",
    "Honestly,",
    "From the other side of the counter,",
    "When we opened the bookshop",
    "In my experience",
    "A tailor I know",
    "We tried it last spring and",
    "For what it's worth,",
)
_MIDDLES = (
    "we published a short price guide",
    "I always check the website before visiting",
    "three worked examples would answer most questions",
    "a missing price list makes me assume the worst",
    "the larger shops never matched our service anyway",
    "the phone calls dropped by half",
    "people still wanted to talk about the details",
    "a range with photos worked better than a table",
    "customers felt more confident walking in",
    "the quote at the counter stayed the real price",
    "nobody complained once the extras were explained",
    "we lost a few bargain hunters and did not miss them",
    "the conversation simply started from a better place",
    "framing a map cost more than I expected",
)
_ENDINGS = (
    "and I would do it again.",
    "which surprised us.",
    "so I lean towards publishing.",
    "but Jo has a point about anchors.",
    "and that was the end of the worry.",
    "though it took a season to see it.",
    "and the reviews mention it often.",
    "if that helps you decide.",
    "and we kept the list short.",
    "so a small table was enough.",
)
FIRST_NAMES = (
    "Ada", "Bruno", "Chidi", "Dana", "Elif", "Farah", "Gustav", "Hana", "Ivo",
    "Jonas", "Kemal", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quinn", "Rosa",
    "Sami", "Tomas", "Uma", "Vera", "Wen", "Yusuf", "Zofia",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Berger", "Costa", "Dubois", "Eklund", "Fischer", "Garcia", "Horvat",
    "Ito", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov",
    "Quist", "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Young",
)  # fmt: skip


def sentences(count: int, seed: int = SEED) -> list[str]:
    """``count`` distinct sentences built from the parts above."""
    rng = random.Random(seed)  # noqa: S311  # text, not secrets
    made: list[str] = []
    seen: set[str] = set()
    while len(made) < count:
        sentence = (
            f"{rng.choice(_OPENINGS)} {rng.choice(_MIDDLES)}, {rng.choice(_ENDINGS)}"
        )
        if sentence in seen and len(seen) < 1500:
            continue
        seen.add(sentence)
        made.append(sentence)
    return made


def comment_text(rng: random.Random, pool: Sequence[str], number: int) -> str:
    """Two to five sentences and a number: never twice the same text."""
    picked = rng.sample(pool, rng.randint(2, 5))
    return " ".join(picked) + f" (Reader note {number}.)"


def author(rng: random.Random, number: int) -> tuple[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first} {last}", f"{first.lower()}.{last.lower()}{number}@example.org"


# -- Inside Django (the firsthand settings, the site's data folder) -------------------


def grow_articles() -> dict[str, object]:
    """Publish the two big articles and fill their threads; their paths."""
    from firsthand import demo_content
    from firsthand.blog import publishing
    from firsthand.blog.models import Author, Post

    demo = next(p for p in demo_content.POSTS if p.slug == demo_content.ARTICLE_SLUG)
    writer = Author.objects.order_by("pk").first()
    if writer is None:
        raise SystemExit("run `firsthand demo` first: there is no author")
    made: dict[str, object] = {}
    for size in BIG_THREADS:
        slug = f"prices-online-{size}-responses"
        post = Post.objects.filter(slug=slug).first()
        if post is None:
            post = Post(
                title=f"{demo.title} ({size:,} responses)",
                slug=slug,
                author=writer,
                body=demo.body,
            )
            publishing.publish_post(
                post, at=datetime.datetime(2026, 7, 3, 9, 0, tzinfo=datetime.UTC)
            )
            grow_thread(post, size, seed=SEED + size)
            post.refresh_from_db()
        made[str(size)] = {"id": post.pk, "path": post.get_absolute_url()}
    return made


def grow_thread(post: Post, size: int, *, seed: int) -> None:
    """``size`` visible comments, about a third replies, in a few bulk queries.

    The technique of tests/conversation/threads.py ``grow``, with realistic text
    rendered as intake renders it, authors and times.
    """
    from firsthand.blog.models import Post
    from firsthand.conversation import rules
    from firsthand.conversation.models import Response
    from firsthand.rendering import render_response_body

    assert post.published_at is not None
    rng = random.Random(seed)  # noqa: S311  # text, not secrets
    pool = sentences(1200, seed)
    rows: list[Response] = []
    by_number: dict[int, Response] = {}
    answers: dict[int, int] = {}
    ordinal = post.last_root_ordinal
    start = post.last_response_number
    for number in range(start + 1, start + size + 1):
        parent: Response | None = None
        if number > start + 1 and rng.random() < REPLY_SHARE:
            # Mostly answer a recent comment, now and then an old one.
            low = max(start + 1, number - 40) if rng.random() < 0.8 else start + 1
            parent = by_number[rng.randint(low, number - 1)]
        above = (parent.path, parent.root_ordinal) if parent is not None else None
        (path, root), ordinal = rules.place(number, above, ordinal)
        if parent is not None:
            answers[number] = parent.number or 0
        body = comment_text(rng, pool, number)
        name, email = author(rng, number)
        at = post.published_at + datetime.timedelta(minutes=3 * number)
        row = Response(
            post=post,
            number=number,
            path=path,
            root_ordinal=root,
            status=Response.Status.VISIBLE,
            author_name=name,
            author_email=email,
            body=body,
            body_html=render_response_body(body, "markdown"),
            ip_address=f"192.0.2.{number % 250 + 1}",
            created_at=at,
            status_changed_at=at,
        )
        rows.append(row)
        by_number[number] = row
    Response.objects.bulk_create(rows, batch_size=500)
    stored = dict(Response.objects.filter(post=post).values_list("number", "pk"))
    children = []
    for number, answered in answers.items():
        child = Response(pk=stored[number], parent_id=stored[answered])
        children.append(child)
    Response.objects.bulk_update(children, ["parent"], batch_size=500)
    Post.everything.filter(pk=post.pk).update(
        response_count=Response.objects.visible().filter(post=post).count(),
        last_response_number=start + size,
        last_root_ordinal=ordinal,
    )


def demo_article_id() -> int:
    from firsthand import demo_content
    from firsthand.blog.models import Post

    return Post.objects.get(slug=demo_content.ARTICLE_SLUG).pk


def count_responses(post_id: int) -> dict[str, int]:
    """The post's stored responses: total and by status."""
    from django.db.models import Count

    from firsthand.conversation.models import Response

    counts = {
        row["status"]: row["n"]
        for row in Response.objects.filter(post_id=post_id)
        .values("status")
        .annotate(n=Count("pk"))
    }
    return {"total": sum(counts.values()), **counts}


def mint_tickets(post_id: int, count: int, age: float = 30.0) -> list[str]:
    """``count`` signed, distinct form tickets issued ``age`` seconds ago.

    Signed with the site's secret key (the same data folder, so the same
    generated key): what the article page would have put in ``count`` forms, each
    old enough to pass the timing layer's "too fast" rule. Works with either
    version of ``tickets.issue`` (see http_bench.posting_plan).
    """
    from firsthand.conversation import tickets

    issue: Callable[..., str] = tickets.issue
    issued = time.time() - age
    # Until issue #8 moved the ticket into a cookie, a ticket named its post.
    if "post_id" in inspect.signature(issue).parameters:
        return [issue(post_id, now=issued) for _ in range(count)]
    return [issue(now=issued) for _ in range(count)]


def main(argv: Sequence[str]) -> int:
    django.setup()  # the caller set DJANGO_SETTINGS_MODULE and FIRSTHAND_DATA_DIR
    match list(argv):
        case ["grow"]:
            made = grow_articles()
            made["18"] = {"id": demo_article_id(), "path": ARTICLE_PATH}
            print(json.dumps(made))  # noqa: T201
        case ["count", post_id]:
            print(json.dumps(count_responses(int(post_id))))  # noqa: T201
        case ["tickets", post_id, count]:
            print("\n".join(mint_tickets(int(post_id), int(count))))  # noqa: T201
        case _:
            print(__doc__, file=sys.stderr)  # noqa: T201
            return 2
    return 0


if __name__ == "__main__":
    # The repository, last: a checkout named by PYTHONPATH (--source) comes first.
    sys.path.append(str(Path(__file__).resolve().parents[1]))
    sys.exit(main(sys.argv[1:]))
