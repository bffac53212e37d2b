"""``firsthand propose-replies``: reply links for threads an import left flat.

Proposes, for every top-level comment that opens by addressing an earlier
commenter by name, to make it a reply to that person's latest response (the
rule: ``conversation.addressing``, docs/addressing.md). The proposals go to an
editable tab-separated file; ``--apply FILE`` makes the replies the file still
lists, all or none, through ``moderation.make_reply``.
"""

from __future__ import annotations

import dataclasses
import itertools
from argparse import ArgumentParser
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from django.core.management.base import (
    CommandError,
)
from django.db import transaction

from firsthand.blog.models import Post
from firsthand.commands import ExampleCommand
from firsthand.conversation import addressing, moderation, rules
from firsthand.conversation.models import Response

COLUMNS = (
    "post_id",
    "number",
    "proposed_parent_number",
    "author",
    "parent_author",
    "why",
    "opening",
)
OPENING_CHARS = 60
HOW_TO = (
    "# Reply links proposed by `firsthand propose-replies` (docs/addressing.md).\n"
    "# Delete the lines you do not want (or change proposed_parent_number), then run\n"
    "#   firsthand propose-replies --apply THIS_FILE\n"
    "# Only the first three columns are read; the others are there to help you.\n"
)
EPILOG = """\
examples:
  firsthand propose-replies --slug is-outsourcing-social-media-okay -o replies.tsv
  (review replies.tsv: delete the lines you disagree with)
  firsthand propose-replies --apply replies.tsv

The file is tab-separated, one proposal a line, with the columns
  post_id, number, proposed_parent_number, author, parent_author, why, opening
Lines starting with # and blank lines are ignored. Applying twice changes nothing
more; a comment that has become a reply to someone else meanwhile is left alone.
"""


class _Writer(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclasses.dataclass(frozen=True)
class Proposal:
    post_id: int
    number: int
    parent_number: int
    author: str
    parent_author: str
    why: str
    opening: str

    def line(self) -> str:
        fields = (
            self.post_id,
            self.number,
            self.parent_number,
            self.author,
            self.parent_author,
            self.why,
            self.opening,
        )
        return "\t".join(_cell(field) for field in fields)


@dataclasses.dataclass(frozen=True)
class Link:
    """One line of a review file: make ``number`` answer ``parent_number``."""

    line: int
    post_id: int
    number: int
    parent_number: int


class Command(ExampleCommand):
    epilog = EPILOG
    help = (
        "Propose reply links for flat threads: a top-level comment that opens by\n"
        "naming an earlier commenter of the same post (in its first 8 words) is\n"
        "proposed as a reply to that person's latest response. Proposals go to a\n"
        "tab-separated file to review and edit; --apply FILE then makes the\n"
        "replies it lists, all or none. The rule: docs/addressing.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--post", type=int, metavar="ID", help="Only the post with this id."
        )
        which.add_argument("--slug", help="Only the post with this slug.")
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            metavar="FILE",
            help="Write the proposals to FILE instead of the standard output.",
        )
        which.add_argument(
            "--apply",
            type=Path,
            metavar="FILE",
            help="Make the replies listed in FILE (a reviewed proposals file) "
            "instead of proposing. Nothing is changed if any line is malformed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["apply"] is not None:
            if options["output"] is not None:
                raise CommandError("-o is for proposing; --apply writes no file.")
            self._apply(options["apply"])
            return
        posts = _selected_posts(options["post"], options["slug"])
        proposals = list(propose(posts))
        output: Path | None = options["output"]
        summary = f"Proposed {len(proposals)} reply link(s)"
        if output is None:
            _write(proposals, self.stdout)
            # The standard output holds the file: the summary goes beside it.
            self.stderr.write(f"{summary}.", style_func=str)
            return
        with output.open("w", encoding="utf-8", newline="\n") as file:
            _write(proposals, file)
        self.stdout.write(f"{summary}; review {output}, then --apply it.")

    def _apply(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        links = parse(text, path.name)
        applied = unchanged = skipped = 0
        with transaction.atomic():
            for link, response, parent in _resolve(links, path.name):
                if response.parent_id == parent.pk:
                    unchanged += 1
                    continue
                if response.parent_id is not None:
                    self.stdout.write(
                        f"{path.name} line {link.line}: #{link.number} already "
                        "answers another response; left as it is."
                    )
                    skipped += 1
                    continue
                try:
                    moderation.make_reply(response, parent)
                except ValueError as error:
                    raise CommandError(
                        f"{path.name} line {link.line}: {error} Nothing was applied."
                    ) from error
                applied += 1
        self.stdout.write(
            f"Applied {applied} reply link(s); {unchanged} already in place, "
            f"{skipped} left alone."
        )


def propose(posts: list[Post] | None) -> Iterator[Proposal]:
    """Each post's proposals, walking its visible thread in number order (one
    query for all posts)."""
    thread = (
        Response.objects.visible()
        .filter(kind__in=rules.THREADED_KINDS, number__isnull=False)
        .only("post", "number", "kind", "parent", "author_name", "author_email", "body")
        .order_by("post_id", "number")
    )
    if posts is not None:
        thread = thread.filter(post__in=[post.pk for post in posts])
    for post_id, rows in itertools.groupby(thread.iterator(), key=lambda r: r.post_id):
        entries = [
            addressing.Entry(
                number=row.number or 0,
                name=row.author_name,
                email=row.author_email,
                body=row.body,
                proposable=row.kind == Response.Kind.COMMENT and row.parent_id is None,
            )
            for row in rows
        ]
        names = {entry.number: entry.name for entry in entries}
        for entry, found in addressing.proposals(entries):
            yield Proposal(
                post_id=post_id,
                number=entry.number,
                parent_number=found.number,
                author=entry.name,
                parent_author=names[found.number],
                why=found.why,
                opening=" ".join(entry.body.split())[:OPENING_CHARS],
            )


def parse(text: str, source: str) -> list[Link]:
    """The links a review file lists; a malformed line names itself and stops."""
    links: list[Link] = []
    seen: dict[tuple[int, int], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = raw.split("\t")
        if fields[0].strip() == COLUMNS[0]:
            continue  # the header
        where = f"{source} line {number}"
        if len(fields) < 3:
            raise CommandError(
                f"{where}: expected post_id, number and proposed_parent_number "
                f"separated by tabs, found {len(fields)} field(s). Fix or delete "
                "the line; nothing was applied."
            )
        values: list[int] = []
        for column, value in zip(COLUMNS[:3], fields[:3], strict=True):
            try:
                values.append(int(value.strip()))
            except ValueError:
                raise CommandError(
                    f"{where}: {column} is {value.strip()!r}, not a whole number. "
                    "Fix or delete the line; nothing was applied."
                ) from None
        post_id, response_number, parent_number = values
        earlier = seen.get((post_id, response_number))
        if earlier is not None:
            raise CommandError(
                f"{where}: #{response_number} of post {post_id} is already on line "
                f"{earlier}. Keep one of the two lines; nothing was applied."
            )
        seen[(post_id, response_number)] = number
        links.append(Link(number, post_id, response_number, parent_number))
    return links


def _resolve(links: list[Link], source: str) -> list[tuple[Link, Response, Response]]:
    """Each link with the two responses it names; every line is checked before
    the first is applied, so a wrong number anywhere applies nothing."""
    return [
        (
            link,
            _numbered(link, link.number, source),
            _numbered(link, link.parent_number, source),
        )
        for link in links
    ]


def _numbered(link: Link, number: int, source: str) -> Response:
    found = (
        Response.objects.visible()
        .filter(post_id=link.post_id, number=number, kind__in=rules.THREADED_KINDS)
        .first()
    )
    if found is None:
        raise CommandError(
            f"{source} line {link.line}: post {link.post_id} has no visible "
            f"comment #{number}. Fix or delete the line; nothing was applied."
        )
    return found


def _selected_posts(post_id: int | None, slug: str | None) -> list[Post] | None:
    """The one post asked for, or None for all posts."""
    if slug is not None:
        post, which = Post.everything.filter(slug=slug).first(), f"slug {slug!r}"
    elif post_id is not None:
        post, which = Post.everything.filter(pk=post_id).first(), f"id {post_id}"
    else:
        return None
    if post is None:
        raise CommandError(f"There is no post with {which}.")
    return [post]


def _write(proposals: list[Proposal], out: _Writer) -> None:
    out.write(HOW_TO)
    out.write("\t".join(COLUMNS) + "\n")
    for proposal in proposals:
        out.write(proposal.line() + "\n")


def _cell(value: object) -> str:
    """A field kept on its line: no tabs or line breaks inside."""
    return " ".join(str(value).split())
