"""The hidden form field people never see and form-filling bots fill in."""

from __future__ import annotations

from firsthand.conversation.spam.context import JudgeContext
from firsthand.conversation.spam.verdict import Verdict
from firsthand.conversation.submission import Submission

NAME = "honeypot"


def check(submission: Submission, context: JudgeContext) -> Verdict:
    if not submission.honeypot.strip():
        return Verdict(NAME)
    return Verdict(
        NAME, score=1.0, reasons=("filled in the hidden field",), certain=True
    )
