"""The comment form asks whom a new comment addresses (docs/addressing.md).

``GET <post>/addressee/?text=…&name=…&email=…`` answers
``{"number": 7, "name": "Mina Okafor", "url": "…/comments/7/", "why": "…"}`` or
``{}``; the form's script then offers "Make this a reply to #7 Mina Okafor?".
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, Max, Q, Value
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from firsthand import ratelimit
from firsthand.blog.models import Post
from firsthand.blog.views import find_post
from firsthand.client import client_ip
from firsthand.conversation import addressing, mine, rules
from firsthand.conversation.models import Response

# A person typing triggers a request every pause; a minute of typing stays far below.
PER_ADDRESS_PER_MINUTE = 120
_NAME_MAX = 200
_EMAIL_MAX = 254


@require_GET
def addressee(
    request: HttpRequest, year: int, month: int, day: int, slug: str
) -> JsonResponse:
    """The earlier commenter the typed opening addresses, or ``{}``."""
    if not ratelimit.allow(
        f"addressee:ip:{client_ip(request) or 'unknown'}", PER_ADDRESS_PER_MINUTE
    ):
        refused = JsonResponse(
            {"error": "Too many requests from your address; try again in a minute."},
            status=429,
        )
        refused["Retry-After"] = str(ratelimit.rest_of_window())
        return refused
    post = find_post(request, year, month, day, slug)
    text = request.GET.get("text", "")[: addressing.READ_CHARS]
    if not text.strip() or not (post.comments_open and post.is_public):
        return JsonResponse({})
    mine_ids = mine.read(request)
    commenters, proven_emails = _commenters(post, mine_ids)
    email = request.GET.get("email", "")[:_EMAIL_MAX].strip()
    found = addressing.addressee(
        text,
        commenters,
        writer_name=request.GET.get("name", "")[:_NAME_MAX],
        # Skipping by address only when this browser wrote as that address:
        # otherwise anyone could test whether an address is a commenter's.
        writer_email=email if email.casefold() in proven_emails else "",
    )
    if found is None:
        return JsonResponse({})
    url = reverse(
        "blog:response",
        kwargs={
            "year": year,
            "month": month,
            "day": day,
            "slug": post.slug,
            "number": found.number,
        },
    )
    return JsonResponse(
        {"number": found.number, "name": found.name, "url": url, "why": found.why}
    )


def _commenters(
    post: Post, mine_ids: list[int]
) -> tuple[list[addressing.Commenter], set[str]]:
    """Everyone in the post's visible thread with their latest number (one query),
    and the addresses this browser is known to have written as."""
    rows = (
        Response.objects.visible()
        .filter(post=post, kind__in=rules.THREADED_KINDS, number__isnull=False)
        .values("author_name", "author_email")
        .annotate(
            latest=Max("number"),
            mine=Count("pk", filter=Q(pk__in=mine_ids))
            if mine_ids
            else Value(0, output_field=IntegerField()),
        )
        .order_by()
    )
    commenters: list[addressing.Commenter] = []
    proven: set[str] = set()
    for row in rows:
        commenters.append(
            addressing.Commenter(
                name=row["author_name"],
                email=row["author_email"],
                latest=row["latest"],
            )
        )
        if row["mine"] and row["author_email"]:
            proven.add(row["author_email"].strip().casefold())
    return commenters, proven
