"""The post-side invariants every response write keeps: numbers and the count.

Called only from inside the atomic write workflows (intake, moderation), after
they have locked the post row, so the number and the count change in the same
transaction as the response itself.
"""

from __future__ import annotations

from django.db.models import F

from firsthand.blog.models import Post
from firsthand.conversation import rules, signals
from firsthand.conversation.models import Response


def lock_post(post_id: int) -> Post:
    """The post row, locked for the rest of the transaction.

    On PostgreSQL this is SELECT … FOR UPDATE; on SQLite the IMMEDIATE transaction
    already holds the database's write lock.
    """
    return Post.everything.select_for_update().get(pk=post_id)


def _place(post: Post, response: Response) -> None:
    """Fix the newly numbered response's place in the thread: below its parent,
    or as the next top-level conversation."""
    assert response.number is not None
    above = None
    if response.parent_id is not None:
        above = (
            Response.objects.filter(pk=response.parent_id, post_id=post.pk)
            .values_list("path", "root_ordinal")
            .first()
        )
    (response.path, response.root_ordinal), post.last_root_ordinal = rules.place(
        response.number, above, post.last_root_ordinal
    )


def reparent(post: Post, response: Response, parent: Response | None) -> None:
    """Move a numbered response (and every reply below it) under ``parent``, or to
    the top level. Its top-level ordinal is given up (its page keeps a gap) rather
    than renumbering everyone else's pages."""
    old_prefix = response.path
    above = (parent.path, parent.root_ordinal) if parent is not None else None
    (new_path, ordinal), post.last_root_ordinal = rules.place(
        response.number or 0, above, post.last_root_ordinal
    )
    below = list(
        Response.objects.filter(
            post_id=post.pk, path__startswith=f"{old_prefix}."
        ).order_by("path")
    )
    response.parent = parent
    response.path = new_path
    response.root_ordinal = ordinal
    response.save(update_fields=["parent", "path", "root_ordinal", "updated_at"])
    placed = {old_prefix: new_path}
    for child in below:
        moved = rules.thread_path(
            child.number or 0, placed.get(rules.parent_path_of(child.path), new_path)
        )
        placed[child.path] = moved
        child.path = moved
        child.root_ordinal = ordinal
        child.save(update_fields=["path", "root_ordinal", "updated_at"])
    Post.everything.filter(pk=post.pk).update(last_root_ordinal=post.last_root_ordinal)


def set_status(post: Post, response: Response, status: str) -> None:
    """Move ``response`` to ``status``, numbering and counting as the rules say."""
    old = response.status if response.pk else None
    first_time_visible = rules.needs_number(response.number, status)
    if first_time_visible:
        post.last_response_number += 1
        response.number = post.last_response_number
        if response.kind in rules.THREADED_KINDS:
            _place(post, response)
    response.status = status
    delta = rules.count_delta(old, status)
    response.save()
    Post.everything.filter(pk=post.pk).update(
        last_response_number=post.last_response_number,
        last_root_ordinal=post.last_root_ordinal,
        response_count=F("response_count") + delta,
    )
    post.response_count += delta
    if first_time_visible:
        response_id, post_id = response.pk, post.pk
        signals.response_published.send(
            sender=Response, response_id=response_id, post_id=post_id
        )
