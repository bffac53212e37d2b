"""The learned classifier as a layer: the words and sites moderators taught it."""

from __future__ import annotations

from typing import Final

from firsthand.conversation.spam import learner
from firsthand.conversation.spam.context import JudgeContext
from firsthand.conversation.spam.verdict import Verdict
from firsthand.conversation.submission import Submission

NAME = "classifier"

# Below combine.SPAM_AT: the words alone may hold a response, never hide it.
CEILING: Final = 0.98
# Name the features that pushed towards spam only when the score is doubtful.
EXPLAIN_FROM: Final = 0.5


def check(submission: Submission, context: JudgeContext) -> Verdict:
    if context.counts is None:
        return Verdict(NAME)
    probability, top = learner.score(learner.features(submission), context.counts)
    if probability is None:
        return Verdict(NAME)
    score = min(probability, CEILING)
    reason = f"classifier {score:.2f}"
    if top and score >= EXPLAIN_FROM:
        reason += ": " + ", ".join(f"'{t}'" for t in top)
    return Verdict(NAME, score=score, reasons=(reason,))
