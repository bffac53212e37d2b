"""The one pipeline every response passes, whatever its source.

validate -> store, number and count, in one transaction. The guard rails
(duplicates, floods, spam) join this pipeline in later steps.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from firsthand.conversation import rules
from firsthand.conversation.models import Response
from firsthand.conversation.submission import Submission
from firsthand.conversation.threadstate import lock_post, set_status
from firsthand.rendering import render_response


class Rejected(Exception):
    """The submission was refused; ``errors`` says why, field by field."""

    def __init__(self, errors: rules.Errors) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def receive(submission: Submission) -> Response:
    """Check, store, number and count one response. Raises ``Rejected``."""
    submission = rules.normalized(submission)
    errors = rules.validation_errors(
        submission, max_chars=settings.FIRSTHAND_RESPONSE_MAX_CHARS
    )
    if errors:
        raise Rejected(errors)
    # Render outside the transaction: the write lock is held as briefly as possible.
    body_html = (
        render_response(submission.body) if submission.kind == rules.COMMENT else ""
    )
    with transaction.atomic():
        post = lock_post(submission.post_id)
        live = submission.created_at is None
        if live and not (post.is_public and post.comments_open):
            raise Rejected(
                {"__all__": ["This post is not open for comments any more."]}
            )
        response = Response(
            post=post,
            kind=submission.kind,
            author_name=submission.author_name,
            author_email=submission.author_email,
            author_url=submission.author_url,
            author_title=submission.author_title,
            body=submission.body,
            body_html=body_html,
            source_url=submission.source_url,
            source_title=submission.source_title,
            ip_address=submission.ip_address,
            user_agent=submission.user_agent,
            created_at=submission.created_at or timezone.now(),
        )
        set_status(post, response, Response.Status.VISIBLE)
    return response
