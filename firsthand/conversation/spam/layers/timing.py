"""The form's signed timestamp: people take seconds to write, bots milliseconds.

Only the comment form carries a timestamp; other sources (pingbacks, imports, …)
abstain. A missing or forged token is as suspicious as a too-fast sending: both
mean the form was not filled in as served. A very old form is only mildly
suspicious: a tab left open for a week is unusual, not wrong.
"""

from __future__ import annotations

from typing import Final

from firsthand.conversation.spam.context import JudgeContext
from firsthand.conversation.spam.verdict import Verdict
from firsthand.conversation.submission import Submission

NAME = "timing"

# Each alone reaches the hold threshold (combine.HOLD_AT); with a doubtful
# classifier score, the spam one.
NO_TOKEN_SCORE: Final = 0.9
TOO_FAST_SCORE: Final = 0.9
TOO_OLD_SCORE: Final = 0.3


def _age(seconds: float) -> str:
    days = seconds / 86400
    if days >= 2:
        return f"{days:.0f} days"
    return f"{seconds / 3600:.0f} hours"


def check(submission: Submission, context: JudgeContext) -> Verdict:
    if submission.source != "form":
        return Verdict(NAME)
    age = submission.form_age
    policy = context.policy
    if age is None:
        return Verdict(NAME, NO_TOKEN_SCORE, ("no valid form timing token",))
    if age < policy.min_form_seconds:
        reason = f"sent {max(age, 0.0):.1f} s after the form was shown"
        return Verdict(NAME, TOO_FAST_SCORE, (reason,))
    if age > policy.max_form_age_seconds:
        reason = f"sent {_age(age)} after the form was shown"
        return Verdict(NAME, TOO_OLD_SCORE, (reason,))
    return Verdict(NAME)
