"""How the layers' verdicts become one outcome: publish, hold, or spam.

Each verdict's score is read as the chance that its evidence alone means spam, and
the scores combine as independent signs ("noisy OR"):

    combined = 1 - (1 - s1) * (1 - s2) * ...

so a clean verdict (score 0) changes nothing and any strong sign raises the whole.
Then, in order:

1. any ``certain`` verdict (honeypot, a block rule set to "spam"): SPAM;
2. combined >= SPAM_AT: SPAM, hidden and kept for review;
3. combined >= HOLD_AT, or any verdict asking to ``hold``: HOLD for a moderator;
4. otherwise PUBLISH.

The classifier's score never exceeds ``layers.classifier.CEILING`` (0.98), below
SPAM_AT: words alone can hold a response, but hiding it unseen takes a second
sign, such as a link to an unknown site or a form sent too fast. Both thresholds
were chosen once, for all three benchmark rotations (docs/spam.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from firsthand.conversation.spam.verdict import Judgement, Outcome, Verdict

HOLD_AT: Final = 0.8
SPAM_AT: Final = 0.99


def combined_score(verdicts: Iterable[Verdict]) -> float:
    clean = 1.0
    for verdict in verdicts:
        clean *= 1.0 - min(1.0, max(0.0, verdict.score))
    return 1.0 - clean


def combine(verdicts: Iterable[Verdict]) -> Judgement:
    verdicts = tuple(verdicts)
    score = combined_score(verdicts)
    if any(v.certain for v in verdicts):
        outcome, score = Outcome.SPAM, 1.0
    elif score >= SPAM_AT:
        outcome = Outcome.SPAM
    elif score >= HOLD_AT or any(v.hold for v in verdicts):
        outcome = Outcome.HOLD
    else:
        outcome = Outcome.PUBLISH
    return Judgement(outcome=outcome, score=round(score, 4), verdicts=verdicts)
