"""The count on the post stays exact through every moderation move."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from firsthand.blog.models import Post
from firsthand.conversation import moderation
from firsthand.conversation.models import Response
from tests.conftest import THREE_OPINIONS

pytestmark = pytest.mark.django_db


def assert_count_is_exact(post: Post) -> None:
    post.refresh_from_db()
    visible = Response.objects.visible().filter(post=post).count()
    assert post.response_count == visible


def test_count_stays_right_through_add_approve_spam_remove(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    first, second, third = (comment_on(post, body=text) for text in THREE_OPINIONS)
    assert_count_is_exact(post)
    assert post.response_count == 3

    moderation.mark_spam(second)
    assert_count_is_exact(post)
    assert post.response_count == 2

    moderation.remove(first)
    assert_count_is_exact(post)
    assert post.response_count == 1

    moderation.approve(second)  # a false positive comes back
    assert_count_is_exact(post)
    assert post.response_count == 2

    moderation.remove(second)
    moderation.remove(second)  # twice changes nothing
    assert_count_is_exact(post)
    assert post.response_count == 1

    moderation.hold(third)
    assert_count_is_exact(post)
    assert post.response_count == 0


def test_numbers_are_never_reused(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    first = comment_on(post, body="one")
    second = comment_on(post, body="two")
    moderation.remove(second)
    third = comment_on(post, body="three")
    assert (first.number, third.number) == (1, 3)
    restored = moderation.approve(second)
    assert restored.number == 2


def test_a_held_response_is_numbered_when_first_approved(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    comment_on(post, body="one")
    held = moderation.hold(comment_on(post, body="two"))
    assert held.number == 2  # it was visible once: it keeps its number
    fresh = Response.objects.create(
        post=post, author_name="Cy", body="never shown yet", status="pending"
    )
    assert fresh.number is None
    approved = moderation.approve(fresh)
    assert approved.number == 3
    assert_count_is_exact(post)


def test_a_stale_copy_cannot_double_count(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    response = comment_on(post)
    stale = Response.objects.get(pk=response.pk)
    moderation.mark_spam(response)
    moderation.mark_spam(stale)  # another moderator, same click, older page
    assert_count_is_exact(post)
    assert post.response_count == 0
