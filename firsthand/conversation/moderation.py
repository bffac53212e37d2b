"""Moderators' write workflows: one verb each, each atomic.

Every "spam" / "not spam" decision also teaches the classifier (``learning``); the
count and numbering rules are kept by ``threadstate.set_status``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from firsthand.blog.models import Author
from firsthand.conversation import intake, learning
from firsthand.conversation.models import BlockRule, Response, ResponseEdit
from firsthand.conversation.submission import Submission
from firsthand.conversation.threadstate import lock_post, reparent, set_status
from firsthand.rendering import clean_text, render_response_body

# Who may moderate: Django's "can change response" permission (superusers have it).
PERMISSION = "firsthand_conversation.change_response"


def _move(response: Response, status: str, *, learn: str = "") -> Response:
    with transaction.atomic():
        post = lock_post(response.post_id)
        # Re-read under the lock: another moderator may have acted meanwhile.
        current = Response.objects.get(pk=response.pk)
        if current.status != status:
            current.status_changed_at = timezone.now()
            set_status(post, current, status)
        if learn:
            learning.learn_from(current, label=learn)
    return current


def approve(response: Response) -> Response:
    """Show the response to readers (numbering it if it never was visible).

    Approving what the filter held or called spam teaches it "not spam".
    """
    if response.kind in Response.THREADED_KINDS and not response.body.strip():
        raise ValueError(
            f"{response.author_name} withdrew this response: there is nothing to show."
        )
    was_flagged = response.status in {Response.Status.PENDING, Response.Status.SPAM}
    return _move(response, Response.Status.VISIBLE, learn="ham" if was_flagged else "")


def mark_spam(response: Response) -> Response:
    """Hide it as spam (kept for review, then purged); the classifier learns it."""
    return _move(response, Response.Status.SPAM, learn="spam")


def remove(response: Response) -> Response:
    """Hide it from readers (the trash); its text is kept and can be approved again."""
    return _move(response, Response.Status.REMOVED)


def hold(
    response: Response, *, reason: str = "", layer: str = "moderation"
) -> Response:
    """Take it back into the moderation queue; ``reason`` is shown to moderators
    beside the spam layers' reasons."""
    with transaction.atomic():
        held = _move(response, Response.Status.PENDING)
        if reason:
            verdict = {
                "layer": layer,
                "score": 0.0,
                "reasons": [reason],
                "certain": False,
                "hold": True,
            }
            held.reasons = [*held.reasons, verdict]
            Response.objects.filter(pk=held.pk).update(reasons=held.reasons)
    return held


@transaction.atomic
def edit_text(response: Response, body: str, *, editor: User | None) -> Response:
    """Change a response's text; the old text, who and when are recorded.

    ``editor`` is the moderator, or None when the commenter edits their own
    response (``own.edit_own``).
    """
    current = Response.objects.select_for_update().get(pk=response.pk)
    body = clean_text(body).strip("\n")
    if not body.strip():
        raise ValueError("The text cannot be empty: move the response to the trash.")
    if body == current.body:
        return current
    ResponseEdit.objects.create(
        response=current, editor=editor, old_body=current.body, new_body=body
    )
    current.body = body
    if current.kind in {Response.Kind.COMMENT, Response.Kind.REPLY}:
        current.body_html = render_response_body(body, current.body_format)
    current.edited_at = timezone.now()
    current.save(update_fields=["body", "body_html", "edited_at", "updated_at"])
    return current


def merge(newer: Response, *, editor: User) -> Response:
    """One response from a near-duplicate pair: the earlier keeps its place and
    number and takes the newer text; the newer goes to the trash."""
    earlier = newer.duplicate_of
    if earlier is None:
        raise ValueError("This response is not a near-duplicate of another one.")
    with transaction.atomic():
        merged = edit_text(earlier, newer.body, editor=editor)
        ResponseEdit.objects.filter(response=merged).update(note="merged")
        remove(newer)
    return merged


@transaction.atomic
def ban(kind: str, value: str, *, moderator: User, note: str = "") -> BlockRule:
    """From now on, responses from this email, IP or domain are spam."""
    value = value.strip().lower()
    if kind not in BlockRule.Kind.values or not value:
        raise ValueError(f"Cannot ban {kind!r} {value!r}.")
    rule, created = BlockRule.objects.get_or_create(
        kind=kind,
        value=value,
        defaults={
            "action": BlockRule.Action.SPAM,
            "created_by": moderator,
            "note": note,
        },
    )
    if not created and rule.action != BlockRule.Action.SPAM:
        rule.action = BlockRule.Action.SPAM
        rule.save(update_fields=["action"])
    return rule


def purge_spam(*, now: datetime.datetime | None = None) -> int:
    """Delete spam older than FIRSTHAND_SPAM_KEEP_DAYS; returns how many."""
    keep = datetime.timedelta(days=settings.FIRSTHAND_SPAM_KEEP_DAYS)
    cutoff = (now or timezone.now()) - keep
    old = Response.objects.filter(
        status=Response.Status.SPAM, status_changed_at__lt=cutoff
    )
    count = old.count()
    old.delete()
    return count


def reply(response: Response, body: str, *, moderator: User) -> Response:
    """Approve the response if needed, and answer it on the post as the moderator.

    The answer goes through intake like any response (as a trusted source, so no
    flood or spam checks) and names the response it answers.
    """
    with transaction.atomic():  # a refused answer leaves the response as it was
        if response.status != Response.Status.VISIBLE:
            response = approve(response)
        author = Author.objects.filter(user=moderator).first()
        name = author.display_name if author else (moderator.get_full_name() or "")
        return intake.receive(
            Submission(
                post_id=response.post_id,
                kind=Response.Kind.COMMENT,
                parent_id=response.pk,
                author_name=name or moderator.get_username(),
                author_email=moderator.email,
                author_url=author.website if author else "",
                body=body.strip(),
                source="moderator",
            )
        )


def make_reply(response: Response, parent: Response | None) -> Response:
    """Move a response (with its replies) under ``parent``, or back to the top
    level when ``parent`` is None: for threads made flat by an import."""
    with transaction.atomic():
        post = lock_post(response.post_id)
        current = Response.objects.get(pk=response.pk)
        target = Response.objects.get(pk=parent.pk) if parent is not None else None
        if not current.path:
            raise ValueError("Only a numbered comment or reply can be moved.")
        if target is not None:
            if target.post_id != current.post_id or not target.path:
                raise ValueError(
                    "A reply must answer a numbered comment of the same post."
                )
            if target.pk == current.pk or target.path.startswith(f"{current.path}."):
                raise ValueError(
                    "A comment cannot answer itself or one of its replies."
                )
            if target.pk == current.parent_id:
                return current
        elif current.parent_id is None:
            return current
        reparent(post, current, target)
    return current
