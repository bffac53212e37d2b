"""The one pipeline every response passes, whatever its source.

validate -> double submit -> duplicate -> flood -> spam layers -> store, number and
count (in one transaction). Every source (the form, pingbacks, Webmentions,
reblogs, imports) hands in a ``Submission``; what differs by source is decided in
``rules`` from ``submission.source``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from firsthand.blog.models import Post
from firsthand.conversation import flood, guard, rules, signals, spam
from firsthand.conversation.models import Response, written_by
from firsthand.conversation.spam.verdict import Judgement, Outcome
from firsthand.conversation.submission import Submission
from firsthand.conversation.threadstate import lock_post, set_status
from firsthand.rendering import render_response_body


class Rejected(Exception):
    """The submission was refused; ``errors`` says why, field by field.

    ``existing`` is the earlier response a duplicate repeats, for a link to it.
    """

    def __init__(self, errors: rules.Errors, existing: Response | None = None) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors
        self.existing = existing


class _SameSource(Exception):
    """Another worker stored this source's response first (found under the lock)."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"the source already made response {response.pk}")
        self.response = response


class AlreadyReceived(Exception):
    """This exact form was posted before (a double submit): here is what it made."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"already received as response {response.pk}")
        self.response = response


def receive(submission: Submission) -> Response:
    """Check, judge, store, number and count one response.

    Trusted sources (the demo, moderators) skip flood control and the spam layers.
    History from another site (imports) comes in through ``history`` instead.
    Raises ``Rejected`` (with every reason) or ``AlreadyReceived``.
    """
    submission = rules.normalized(submission)
    errors = rules.validation_errors(
        submission, max_chars=settings.FIRSTHAND_RESPONSE_MAX_CHARS
    )
    if submission.status or submission.number or submission.import_key:
        errors.setdefault("__all__", []).append(
            "A status, number or import key comes only with an import "
            "(conversation.history.receive_history)."
        )
    if errors:
        raise Rejected(errors)
    if submission.parent_id is not None:
        _check_parent(submission)
    if submission.source in rules.UPDATABLE_SOURCES:
        earlier = _same_source(submission)
        if earlier is not None:
            return _revise(earlier, submission)

    now = timezone.now()
    trusted = submission.source in rules.TRUSTED_SOURCES
    # History replays keep what they carry, double posts included: nothing is lost.
    history = [] if trusted else _author_history(submission)
    # A double submit is nearly always the same author again, so the ticket is
    # looked for in their history (no query of its own). From another address
    # and email, the ticket's unique index refuses the copy when it is stored.
    if submission.ticket and (
        trusted or any(earlier.ticket == submission.ticket for earlier in history)
    ):
        _raise_if_received(submission.ticket)
    duplicate = rules.find_duplicate(submission.body, history)
    near = None
    judgement: Judgement | None = None
    if duplicate is not None and duplicate.status != Response.Status.SPAM:
        existing = Response.objects.select_related("post").get(pk=duplicate.pk)
        raise Rejected(
            {"__all__": ["You already said that — here it is:"]}, existing=existing
        )
    if duplicate is None:
        near = rules.find_near_duplicate(submission.body, history, now)

    if not trusted:
        try:
            wait = flood.seconds_to_wait(submission.ip_address, submission.author_email)
            unchecked = False
        except flood.Unavailable:  # the shared cache is down: keep it, held
            wait, unchecked = 0, True
        if wait:
            raise Rejected({"__all__": [rules.wait_message(wait)]})
        judgement = spam.judge(submission, guard.context_for(submission))
        if unchecked:
            judgement = flood.held(judgement)
    status: str
    if duplicate is not None:  # the same text as an earlier spam: spam again
        status, reasons = Response.Status.SPAM, [_repeat_of_spam(duplicate)]
    else:
        outcome = judgement.outcome if judgement else Outcome.PUBLISH
        status = rules.initial_status(outcome, near_duplicate=near is not None)
        reasons = [v.as_dict() for v in judgement.verdicts] if judgement else []
        if near is not None:
            reasons.append(_near_duplicate_of(near))

    # Render outside the transaction: the write lock is held as briefly as possible.
    body_html = html_of(submission)
    try:
        with transaction.atomic():
            post = lock_post(submission.post_id)
            if not trusted and not (post.is_public and post.comments_open):
                raise Rejected(
                    {"__all__": ["This post is not open for comments any more."]}
                )
            # Checked again under the post's lock: two workers verifying two pings
            # from one page at the same moment both passed the checks above.
            if submission.source in rules.ONE_PER_SOURCE:
                first = _same_source(submission)
                if first is not None:
                    raise _SameSource(first)
            response = new_response(
                post,
                submission,
                judgement,
                body_html=body_html,
                now=now,
                ticket=submission.ticket,
                reasons=reasons,
                duplicate_of_id=near.pk if near else None,
            )
            set_status(post, response, status)
            stored_id, stored_status = response.pk, response.status
            # Inside the transaction: the tasks its receivers queue are rows
            # that commit with the response (one commit; none lost in between).
            signals.response_stored.send(
                sender=Response,
                response_id=stored_id,
                post_id=submission.post_id,
                status=stored_status,
            )
    except IntegrityError:
        # Two copies of one form raced past the first check; the other one won.
        if submission.ticket:
            _raise_if_received(submission.ticket)
        raise
    except _SameSource as raced:
        if submission.source in rules.UPDATABLE_SOURCES:
            return _revise(raced.response, submission)
        raise AlreadyReceived(raced.response) from None
    return response


def _same_source(submission: Submission) -> Response | None:
    """The response this source page already made on the post, if any. For a
    Webmention one taken down counts too (sent again, it comes back); a pingback or
    trackback whose response was taken down may make a new one."""
    found = Response.objects.filter(
        post_id=submission.post_id,
        source=submission.source,
        source_url=submission.source_url,
    )
    if submission.source not in rules.UPDATABLE_SOURCES:
        found = found.exclude(status=Response.Status.REMOVED)
    return found.order_by("pk").first()


def new_response(
    post: Post,
    submission: Submission,
    judgement: Judgement | None,
    *,
    body_html: str,
    now: datetime.datetime,
    **fields: Any,
) -> Response:
    """An unsaved response with what ``submission`` says and what the spam layers
    said of it (live intake and history both store responses through this);
    ``fields``: what only one of them sets."""
    fields.setdefault(
        "reasons", [v.as_dict() for v in judgement.verdicts] if judgement else []
    )
    return Response(
        post=post,
        kind=submission.kind,
        parent_id=submission.parent_id,
        body_format=submission.body_format,
        author_name=submission.author_name,
        author_email=submission.author_email,
        author_url=submission.author_url,
        author_photo=submission.author_photo,
        author_title=submission.author_title,
        body=submission.body,
        body_html=body_html,
        source_url=submission.source_url,
        source_title=submission.source_title,
        ip_address=submission.ip_address,
        user_agent=submission.user_agent,
        source=submission.source,
        spam_score=judgement.score if judgement else None,
        created_at=submission.created_at or now,
        status_changed_at=now,
        **fields,
    )


def html_of(submission: Submission) -> str:
    """Comments and replies are Markdown (or imported HTML) made safe; excerpts
    stay plain text."""
    if submission.kind in rules.RENDERED_KINDS:
        return render_response_body(submission.body, submission.body_format)
    return ""


def _revise(earlier: Response, submission: Submission) -> Response:
    """A source that sends again has changed its page: the new version replaces the
    old one in place (same number), judged again like a new arrival."""
    judgement = spam.judge(submission, guard.context_for(submission))
    status = rules.initial_status(judgement.outcome, near_duplicate=False)
    body_html = html_of(submission)
    with transaction.atomic():
        post = lock_post(submission.post_id)
        current = Response.objects.select_for_update().get(pk=earlier.pk)
        current.kind = submission.kind
        current.author_name = submission.author_name
        current.author_url = submission.author_url
        current.author_photo = submission.author_photo
        current.body = submission.body
        current.body_html = body_html
        current.source_title = submission.source_title
        current.spam_score = judgement.score
        current.reasons = [v.as_dict() for v in judgement.verdicts]
        current.edited_at = timezone.now()
        # A response readers already saw stays unless the new text is doubtful;
        # one that was taken down (its source had gone) comes back as judged.
        keep = current.status == Response.Status.VISIBLE and status == rules.VISIBLE
        if keep:
            current.save()
        else:
            current.status_changed_at = timezone.now()
            set_status(post, current, status)
    return current


def _check_parent(submission: Submission) -> None:
    """A reply answers a response readers can see, on the same post."""
    parent = (
        Response.objects.filter(
            pk=submission.parent_id or 0, post_id=submission.post_id
        )
        .values_list("status", "kind")
        .first()
    )
    if parent is None or parent[1] not in rules.THREADED_KINDS:
        raise Rejected({"__all__": ["There is no such comment to reply to here."]})
    if parent[0] != Response.Status.VISIBLE:
        raise Rejected(
            {
                "__all__": [
                    "The comment you are replying to is no longer shown. Your text is "
                    "still here: post it as a new comment instead."
                ]
            }
        )


def _raise_if_received(ticket: str) -> None:
    # The NOT-empty term lets SQLite use the partial unique index on tickets
    # (it cannot infer it from the equality); without it, a scan of every row.
    found = (
        Response.objects.exclude(ticket="")
        .filter(ticket=ticket)
        .values_list("pk", flat=True)
        .first()
    )
    if found is not None:
        raise AlreadyReceived(Response.objects.select_related("post").get(pk=found))


def _author_history(submission: Submission) -> list[rules.Earlier]:
    """The same author's earlier responses on this post (by email or by IP)."""
    # The post in each alternative, so that SQLite looks each one up in its own
    # index (a "multi-index OR"); with the post outside the OR it read every
    # response of the post (1.3 ms on a thread of 1,000, growing with it).
    post = submission.post_id
    same_author = Q()
    if submission.author_email:
        same_author |= Q(written_by(submission.author_email), post_id=post)
    if submission.ip_address:
        same_author |= Q(ip_address=submission.ip_address, post_id=post)
    if not same_author:
        return []
    rows = (
        Response.objects.filter(same_author)
        .exclude(status=Response.Status.REMOVED)
        .order_by("-created_at")
        .values_list("pk", "body", "created_at", "status", "ticket")[:200]
    )
    return [rules.Earlier(*row) for row in rows]


def _near_duplicate_of(earlier: rules.Earlier) -> dict[str, object]:
    return {
        "layer": "duplicates",
        "score": 0.0,
        "reasons": [f"very like this author's response {earlier.pk} of minutes ago"],
        "certain": False,
        "hold": True,
    }


def _repeat_of_spam(earlier: rules.Earlier) -> dict[str, object]:
    return {
        "layer": "duplicates",
        "score": 1.0,
        "reasons": [f"repeats response {earlier.pk}, which was spam"],
        "certain": True,
        "hold": False,
    }
