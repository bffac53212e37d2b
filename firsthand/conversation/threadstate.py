"""The post-side invariants every response write keeps: numbers and the count.

Called only from inside the atomic write workflows (intake, moderation), after
they have locked the post row, so the number and the count change in the same
transaction as the response itself.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from firsthand.blog.models import Post
from firsthand.conversation import rules, signals
from firsthand.conversation.models import Response


def lock_post(post_id: int) -> Post:
    """The post row, locked for the rest of the transaction.

    On PostgreSQL this is SELECT … FOR UPDATE; on SQLite the IMMEDIATE transaction
    already holds the database's write lock.
    """
    return Post.objects.select_for_update().get(pk=post_id)


def set_status(post: Post, response: Response, status: str) -> None:
    """Move ``response`` to ``status``, numbering and counting as the rules say."""
    old = response.status if response.pk else None
    first_time_visible = rules.needs_number(response.number, status)
    if first_time_visible:
        post.last_response_number += 1
        response.number = post.last_response_number
    response.status = status
    delta = rules.count_delta(old, status)
    response.save()
    Post.objects.filter(pk=post.pk).update(
        last_response_number=post.last_response_number,
        response_count=F("response_count") + delta,
    )
    post.response_count += delta
    if first_time_visible:
        response_id, post_id = response.pk, post.pk
        transaction.on_commit(
            lambda: signals.response_published.send(
                sender=Response, response_id=response_id, post_id=post_id
            )
        )
