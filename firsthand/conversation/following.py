"""Email follows: replies to a response, or new responses on a post.

One atomic function per verb. Nothing is emailed from here: the confirmation and
the news go out from the worker (``notify`` via ``tasks``), and only once the
response that asked for a follow is visible (docs/notifications.md).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from firsthand.blog.models import Author
from firsthand.conversation import tasks
from firsthand.conversation.models import Follow, Response


def follow_from_form(response: Response, *, replies: bool, post: bool) -> None:
    """Record what the commenter ticked; nothing is sent before confirmation.

    "replies" follows the response itself; "post" follows its post (and is not
    asked again by an address that already confirmed it).
    """
    email = response.author_email.strip().lower()
    if not email or not (replies or post):
        return
    with transaction.atomic():
        if replies:
            Follow.objects.get_or_create(
                email=email,
                scope=Follow.Scope.REPLIES,
                response=response,
                defaults={"post_id": response.post_id},
            )
        confirmed = Follow.objects.filter(
            email=email,
            scope=Follow.Scope.POST,
            post_id=response.post_id,
            confirmed_at__isnull=False,
        )
        if post and not confirmed.exists():
            Follow.objects.get_or_create(
                email=email,
                scope=Follow.Scope.POST,
                response=response,
                defaults={"post_id": response.post_id},
            )
        if response.status == Response.Status.VISIBLE:
            # Visible on arrival: response_published has (outside a request's
            # transaction) already been sent, before these rows existed. Ask
            # again once they are committed; a second ask finds nothing new.
            response_id = response.pk
            transaction.on_commit(
                lambda: tasks.request_confirmation_task.enqueue(response_id)
            )


def waiting_for(email: str) -> list[Follow]:
    """The follows this address asked for that wait for its confirmation."""
    return list(
        Follow.objects.filter(
            email=email, requested_at__isnull=False, confirmed_at__isnull=True
        )
        .select_related("post")
        .order_by("pk")
    )


@transaction.atomic
def confirm(email: str, follow_ids: list[int]) -> list[Follow]:
    """Confirm the follows shown to the address (only its own, only requested
    ones); returns those confirmed now."""
    now = timezone.now()
    shown = Follow.objects.filter(
        email=email,
        pk__in=follow_ids,
        requested_at__isnull=False,
        confirmed_at__isnull=True,
    )
    ids = list(shown.values_list("pk", flat=True))
    Follow.objects.filter(pk__in=ids, confirmed_at__isnull=True).update(
        confirmed_at=now
    )
    return list(
        Follow.objects.filter(pk__in=ids, confirmed_at=now)
        .select_related("post")
        .order_by("pk")
    )


def unfollow(follow_id: int, email: str) -> int:
    """End one follow, if it is still there and still that address's; returns
    how many ended (0 or 1)."""
    deleted, _ = Follow.objects.filter(pk=follow_id, email=email).delete()
    return deleted


def unfollow_all(email: str) -> int:
    """End every follow of the address, confirmed or not; returns how many."""
    deleted, _ = Follow.objects.filter(email=email).delete()
    return deleted


def stop_author_emails(author_id: int, email: str) -> bool:
    """Turn off an author's emails about responses, if ``email`` is still their
    address (a link sent to an old address does nothing); True if it matched."""
    matched = Author.objects.filter(pk=author_id, user__email__iexact=email).update(
        notify_by_email=False
    )
    return matched > 0
