"""Who a new comment answers, from the way it opens (issue #6, point 2b).

Commenters on old blogs address each other by name at the start of a comment
("Cindy while I agree with you, Kyle…", "I agree with Chris Theisen and…"). The
rule here finds that name, so the comment form can offer to make the comment a
reply, and ``firsthand propose-replies`` can propose reply links for threads an
import left flat. People decide; the rule only suggests, and says why in one line.

The rule, in plain words (docs/addressing.md):

1. Read the first 300 characters. Skip leading greetings ("Hi", "Hello", "Hey",
   "Dear", "Thanks", "Thank you") and tokens without a letter or digit ("@", "-"),
   then look at the next 8 words only.
2. The writer is never addressed: earlier commenters with the writer's name, or
   with the writer's email address (compared without case), are left out.
3. An earlier commenter is named by their full name, or by their first name when
   no other remaining earlier commenter has that first name. Names match as
   whole words, with their exact case (a name is a proper noun: "will" is not
   "Will"); a name or first name of fewer than 2 letters never matches.
4. The name nearest the start wins; at the same place, the longer name (a full
   name beats a first name).
5. The answer is that commenter's latest response (the highest number). Several
   commenters with the same name are one person to the reader: the latest wins.

No ORM, no I/O: the callers give the earlier commenters.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Iterator

# Only so much of the text is read: the endpoint gets no more than this.
READ_CHARS = 300
# People name whom they answer at the very start; later, a name is a mention.
OPENING_WORDS = 8
# "J" or "A." is too short to tell a name from an initial or a word.
MIN_LETTERS = 2
_GREETINGS = frozenset({"hi", "hello", "hey", "dear", "thanks"})
_EDGE_PUNCTUATION = ".,;:!?'\"()[]*_~-–—…"  # noqa: RUF001 (typographic dashes)


@dataclasses.dataclass(frozen=True)
class Commenter:
    """Someone who answered the post earlier, and the number of their latest
    visible comment or reply."""

    name: str
    email: str
    latest: int


@dataclasses.dataclass(frozen=True)
class Addressee:
    """Whom the comment answers: the number of the response to reply to."""

    number: int
    name: str
    why: str


@dataclasses.dataclass(frozen=True)
class _Match:
    start: int
    length: int
    word: int
    named: str
    person: Commenter
    by_first_name: bool


def addressee(
    opening: str,
    commenters: Iterable[Commenter],
    *,
    writer_name: str = "",
    writer_email: str = "",
) -> Addressee | None:
    """The earlier commenter the ``opening`` of a new comment addresses, or None."""
    window, first_word = _window(opening[:READ_CHARS])
    if not window:
        return None
    people = _people(commenters, writer_name=writer_name, writer_email=writer_email)
    first_names = Counter(_first_name(name) for name in people)
    text = " ".join(window)
    matches: list[_Match] = []
    for name, person in people.items():
        first = _first_name(name)
        candidates = [(name, False)]
        if first != name and first_names[first] == 1:
            candidates.append((first, True))
        for named, by_first_name in candidates:
            found = _find(named, text)
            if found is not None:
                word = first_word + text[:found].count(" ") + 1
                matches.append(
                    _Match(found, len(named), word, named, person, by_first_name)
                )
    if not matches:
        return None
    best = min(matches, key=lambda m: (m.start, -m.length, -m.person.latest))
    return Addressee(number=best.person.latest, name=best.person.name, why=_why(best))


def _window(opening: str) -> tuple[list[str], int]:
    """The words looked at, and how many words of the text come before them."""
    words = opening.split()
    skip = 0
    while skip < len(words):
        bare = _bare(words[skip])
        if not bare or bare in _GREETINGS:
            skip += 1
        elif (
            bare == "thank"
            and skip + 1 < len(words)
            and _bare(words[skip + 1]) == "you"
        ):
            skip += 2
        else:
            break
    return words[skip : skip + OPENING_WORDS], skip


def _bare(word: str) -> str:
    """A word without the punctuation around it, in lower case ("Hi," -> "hi")."""
    return word.lstrip("@").strip(_EDGE_PUNCTUATION).casefold()


def _people(
    commenters: Iterable[Commenter], *, writer_name: str, writer_email: str
) -> dict[str, Commenter]:
    """Earlier commenters other than the writer, one per name (the latest)."""
    own_name = _same(writer_name)
    own_email = writer_email.strip().casefold()
    people: dict[str, Commenter] = {}
    for commenter in commenters:
        name = " ".join(commenter.name.split())
        if not name or (own_name and _same(name) == own_name):
            continue
        # An empty address is nobody's: two commenters without one are not the same.
        if own_email and commenter.email.strip().casefold() == own_email:
            continue
        known = people.get(name)
        if known is None or commenter.latest > known.latest:
            people[name] = dataclasses.replace(commenter, name=name)
    return people


def _same(name: str) -> str:
    return " ".join(name.split()).casefold()


def _first_name(name: str) -> str:
    return name.split(" ", 1)[0]


def _find(named: str, text: str) -> int | None:
    """Where ``named`` first appears in ``text`` as whole words, with its case."""
    if sum(char.isalpha() for char in named) < MIN_LETTERS:
        return None
    found = re.search(rf"(?<!\w){re.escape(named)}(?!\w)", text)
    return found.start() if found is not None else None


def _why(match: _Match) -> str:
    """One line a moderator can read out to explain the suggestion."""
    person = match.person
    if match.by_first_name:
        return (
            f"Word {match.word} of the opening is {match.named}, and {person.name} "
            f"is the only earlier commenter called {match.named}; "
            f"their latest response is #{person.latest}."
        )
    return (
        f"Word {match.word} of the opening names {person.name}, "
        f"an earlier commenter; their latest response is #{person.latest}."
    )


# --- Flat threads (firsthand propose-replies) -------------------------------------


@dataclasses.dataclass(frozen=True)
class Entry:
    """One visible response of a thread, as the walk needs it."""

    number: int
    name: str
    email: str
    body: str
    # Only top-level comments are proposed; replies and remote kinds stay.
    proposable: bool


def proposals(thread: Iterable[Entry]) -> Iterator[tuple[Entry, Addressee]]:
    """Walk a thread in number order; each top-level comment that addresses an
    earlier commenter, with whom it addresses (their latest response before it)."""
    latest: dict[tuple[str, str], int] = {}
    for entry in sorted(thread, key=lambda e: e.number):
        if entry.proposable:
            found = addressee(
                entry.body,
                [Commenter(name, email, n) for (name, email), n in latest.items()],
                writer_name=entry.name,
                writer_email=entry.email,
            )
            if found is not None:
                yield entry, found
        latest[(entry.name, entry.email)] = entry.number
