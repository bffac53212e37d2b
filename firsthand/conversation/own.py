"""The commenter's own workflows: edit or withdraw what they wrote, for a while.

Issue #6, point 5: from the browser that posted it (the signed list in ``mine``)
and for FIRSTHAND_EDIT_MINUTES after posting, a person may change their mind.
After that only moderators can (``moderation.edit_text``, ``moderation.remove``).

An edit is judged again like a new comment, so a response approved for its
first text cannot turn into link spam afterwards: a doubtful new text goes back
to the moderation queue. A withdrawal erases what the person wrote and gives up
the response's number (numbers are never reused); replies by others stay.
"""

from __future__ import annotations

import datetime
import enum
import math
from collections.abc import Collection

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from firsthand.conversation import guard, intake, mine, moderation, rules, spam
from firsthand.conversation.models import Follow, Response, ResponseEdit
from firsthand.conversation.spam.verdict import Outcome
from firsthand.conversation.submission import Submission
from firsthand.conversation.threadstate import lock_post, set_status

EDIT_NOTE = "by its author"
HELD_REASON = "edited by its author; the new text is held"
WITHDRAWN_REASON = "withdrawn by its author"

# Nothing can be changed in a response that is hidden as spam or removed
# (trashed by a moderator, or already withdrawn).
CLOSED = frozenset({Response.Status.SPAM, Response.Status.REMOVED})


class Refusal(enum.StrEnum):
    """Why this browser may not change a response (the 403 page says it in words)."""

    OFF = "off"  # FIRSTHAND_EDIT_MINUTES is 0
    NOT_YOURS = "not_yours"  # not in this browser's signed list
    TOO_LATE = "too_late"  # the edit window has passed
    GONE = "gone"  # spam, trashed or withdrawn


class Refused(Exception):
    """The response cannot be changed any more (a moderator acted meanwhile)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(f"cannot change this response: {refusal}")
        self.refusal = refusal


def window() -> datetime.timedelta:
    return datetime.timedelta(minutes=max(0, settings.FIRSTHAND_EDIT_MINUTES))


def time_left(response: Response, now: datetime.datetime) -> datetime.timedelta:
    """How long the author may still change ``response`` (zero once it is over)."""
    if response.status in CLOSED or not window():
        return datetime.timedelta(0)
    return max(datetime.timedelta(0), response.created_at + window() - now)


def minutes_left(response: Response, now: datetime.datetime) -> int:
    """Whole minutes left, rounded up ("1 min left" for the last seconds)."""
    return math.ceil(time_left(response, now).total_seconds() / 60)


def refusal(
    request_or_ids: HttpRequest | Collection[int],
    response: Response,
    now: datetime.datetime,
) -> Refusal | None:
    """Why this browser may not change ``response`` now, or None if it may."""
    if isinstance(request_or_ids, Collection):
        ids = request_or_ids
    else:
        ids = mine.read(request_or_ids)
    if not window():
        return Refusal.OFF
    if response.pk not in ids:
        return Refusal.NOT_YOURS
    if response.status in CLOSED:
        return Refusal.GONE
    if not time_left(response, now):
        return Refusal.TOO_LATE
    return None


def may_change(
    request_or_ids: HttpRequest | Collection[int],
    response: Response,
    now: datetime.datetime,
) -> bool:
    """This browser posted ``response`` less than FIRSTHAND_EDIT_MINUTES ago, and
    it is neither spam nor removed."""
    return refusal(request_or_ids, response, now) is None


def _submission_of(response: Response, body: str) -> Submission:
    """The response as a new arrival with the new text, for the checks and layers.

    Its form age is the time since the response was posted: the edit form is only
    reachable from the browser that posted it, and a script that posts and rewrites
    within seconds is just what the timing layer is there to notice.
    """
    age = (timezone.now() - response.created_at).total_seconds()
    return Submission(
        post_id=response.post_id,
        kind=response.kind,
        author_name=response.author_name,
        body=body,
        author_email=response.author_email,
        author_url=response.author_url,
        author_title=response.author_title,
        parent_id=response.parent_id,
        ip_address=response.ip_address,
        user_agent=response.user_agent,
        source=response.source,
        form_age=age,
        # Only the browser that posted it may edit it (``refusal``).
        known_ids=(response.pk,),
    )


def edit_own(response: Response, body: str) -> Response:
    """Replace the text of the author's own response, judged again.

    Raises ``intake.Rejected`` for a text a new comment could not have (empty, too
    long), and ``Refused`` if the response became spam or was removed meanwhile.
    A new text the spam layers would hold or call spam takes the response back to
    the moderation queue (keeping its number); a clean one leaves it where it was.
    """
    submission = rules.normalized(_submission_of(response, body))
    errors = rules.validation_errors(
        submission, max_chars=settings.FIRSTHAND_RESPONSE_MAX_CHARS
    )
    if errors:
        raise intake.Rejected(errors)
    if submission.body == response.body:
        return response
    # Judged outside the transaction, as intake does: the write lock is held briefly.
    judgement = spam.judge(submission, guard.context_for(submission))
    with transaction.atomic():
        lock_post(response.post_id)  # one writer at a time: moderators, withdrawals
        current = Response.objects.get(pk=response.pk)
        if current.status in CLOSED:
            raise Refused(Refusal.GONE)
        if current.body == submission.body:
            return current
        edited = moderation.edit_text(current, submission.body, editor=None)
        # Moderators' edits name their editor; the author's edit is the one without.
        ResponseEdit.objects.filter(
            response=edited, editor__isnull=True, note=""
        ).update(note=EDIT_NOTE)
        # The layers' reasons now explain the new text, as for a Webmention update.
        edited.spam_score = judgement.score
        edited.reasons = [v.as_dict() for v in judgement.verdicts]
        edited.save(update_fields=["spam_score", "reasons", "updated_at"])
        if judgement.outcome != Outcome.PUBLISH:
            # Held, never marked spam here: a person looks at it before anyone
            # (the classifier included) draws a conclusion from an edit.
            edited = moderation.hold(edited, reason=HELD_REASON, layer="author")
    return edited


def withdraw_own(response: Response) -> None:
    """The author takes the response back: hidden, its number given up, and what
    they wrote erased (text, addresses, earlier versions, follows).

    Replies by others keep their place; the thread shows "#N is no longer shown"
    where it was. Raises ``Refused`` if it is already spam or removed.
    """
    with transaction.atomic():
        post = lock_post(response.post_id)
        current = Response.objects.get(pk=response.pk)
        if current.status in CLOSED:
            raise Refused(Refusal.GONE)
        current.body = ""
        current.body_html = ""
        current.author_name = "(withdrawn)"
        current.author_email = ""
        current.author_url = ""
        current.author_title = ""
        current.ip_address = None
        current.user_agent = ""
        # The layers' reasons quote the text ("new site: …", its words): they go too.
        current.reasons = [
            {
                "layer": "author",
                "score": 0.0,
                "reasons": [WITHDRAWN_REASON],
                "certain": False,
                "hold": False,
            }
        ]
        current.status_changed_at = timezone.now()
        set_status(post, current, Response.Status.REMOVED)
        ResponseEdit.objects.filter(response=current).delete()
        Follow.objects.filter(response=current).delete()
