"""What the layers may know besides the submission: the site's policy and state.

Built by ``conversation`` from settings and the database, or by a benchmark from
files; the spam package itself never touches the database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Protocol


class TokenCounts(Protocol):
    """Where the learned classifier keeps its counts (database, or memory)."""

    def counts(self, tokens: Iterable[str]) -> Mapping[str, tuple[int, int]]:
        """(spam count, ham count) for each token that has been seen."""
        ...

    def totals(self) -> tuple[int, int]:
        """(spam documents, ham documents) learned so far."""
        ...


@dataclasses.dataclass(frozen=True)
class BlockRule:
    kind: str  # "word", "domain", "email" or "ip"
    value: str
    action: str  # "hold" or "spam"


@dataclasses.dataclass(frozen=True)
class Policy:
    hold_links_at: int = 2  # hold a response with this many links or more (0: off)
    hold_first_comments: bool = False
    min_form_seconds: float = 3.0  # a form sent faster than this is suspicious
    max_form_age_seconds: float = 7 * 24 * 3600  # older forms are suspicious


@dataclasses.dataclass(frozen=True)
class JudgeContext:
    policy: Policy = Policy()
    block_rules: tuple[BlockRule, ...] = ()
    counts: TokenCounts | None = None  # None: the classifier layer abstains
    first_comment: bool = False  # no earlier visible response from this author
