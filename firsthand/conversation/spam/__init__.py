"""Spam defence: layers that each judge a ``Submission``, and their combination.

``judge(submission, context)`` runs every layer in LAYERS and combines their
verdicts (``combine.py``) into a ``Judgement``: publish, hold or spam, with every
layer's verdict kept so a moderator can read why. The package is pure: it never
touches the database (the ``conversation`` app builds the ``JudgeContext``) and
never sends anything anywhere. How it works and how well: docs/spam.md.
"""

from __future__ import annotations

from collections.abc import Callable

from firsthand.conversation.spam.combine import combine
from firsthand.conversation.spam.context import JudgeContext
from firsthand.conversation.spam.layers import (
    blocklist,
    classifier,
    first_comment,
    honeypot,
    links,
    timing,
)
from firsthand.conversation.spam.verdict import Judgement, Verdict
from firsthand.conversation.submission import Submission

Layer = Callable[[Submission, JudgeContext], Verdict]

# Cheap, certain layers first; the order is also the order of the reasons shown.
LAYERS: tuple[Layer, ...] = (
    honeypot.check,
    blocklist.check,
    timing.check,
    links.check,
    first_comment.check,
    classifier.check,
)


def judge(submission: Submission, context: JudgeContext | None = None) -> Judgement:
    """Every layer's verdict on the submission, combined into one outcome."""
    context = context or JudgeContext()
    return combine(layer(submission, context) for layer in LAYERS)


__all__ = ["LAYERS", "JudgeContext", "Judgement", "Verdict", "judge"]
