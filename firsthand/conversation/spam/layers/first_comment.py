"""A first-time commenter: held when the site asks for it, otherwise only noted.

The note ("new commenter") gives moderators context in the queue but no score:
most honest readers comment for the first time once, and a penalty for it would
mostly hold them.
"""

from __future__ import annotations

from firsthand.conversation.spam.context import JudgeContext
from firsthand.conversation.spam.verdict import Verdict
from firsthand.conversation.submission import Submission

NAME = "first_comment"
REASON = "new commenter"


def check(submission: Submission, context: JudgeContext) -> Verdict:
    if not context.first_comment:
        return Verdict(NAME)
    return Verdict(NAME, reasons=(REASON,), hold=context.policy.hold_first_comments)
