"""The one contract every spam layer keeps: judge a submission, return a Verdict."""

from __future__ import annotations

import dataclasses
import enum


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One layer's opinion of one submission.

    ``score`` runs from 0.0 (looks clean) to 1.0 (certainly spam). ``reasons`` are
    short phrases a moderator reads in the queue ("3 links", "new commenter",
    "classifier 0.91: 'free', 'subscribe', 'http'"); an empty tuple means the layer
    found nothing to say. ``certain`` marks a verdict that settles the matter on its
    own (a filled honeypot, a banned address): the response is spam, whatever the
    other layers think. ``hold`` asks for a human look whatever the score (a rule
    the site owner set, such as "hold comments with 2 links or more").
    """

    layer: str
    score: float = 0.0
    reasons: tuple[str, ...] = ()
    certain: bool = False
    hold: bool = False

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


class Outcome(enum.StrEnum):
    PUBLISH = "publish"
    HOLD = "hold"
    SPAM = "spam"


@dataclasses.dataclass(frozen=True)
class Judgement:
    """What the layers decided together, with every layer's verdict kept."""

    outcome: Outcome
    score: float
    verdicts: tuple[Verdict, ...]

    def explain(self) -> str:
        """All reasons in words, layer by layer: "3 links; new commenter; …"."""
        return "; ".join(r for v in self.verdicts for r in v.reasons)
