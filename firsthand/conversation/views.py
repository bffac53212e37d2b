"""The article page with its thread, and the comment form's endpoint.

The article page lives here rather than in ``blog`` because it shows the
conversation: blog knows nothing of responses (blog <- conversation).
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from firsthand.blog.models import Post
from firsthand.blog.views import article_context, find_post
from firsthand.client import client_ip
from firsthand.conversation import intake, tickets
from firsthand.conversation.forms import ResponseForm
from firsthand.conversation.models import Response
from firsthand.conversation.submission import Submission

# The signed cookie that lets a person see their own held responses.
MINE_COOKIE = "firsthand_mine"
MINE_SALT = "firsthand.conversation.mine"
MINE_MAX_AGE = 30 * 24 * 3600
MINE_KEEP = 20


def _mine(request: HttpRequest) -> list[int]:
    """Ids of the responses this browser posted that may still be held."""
    try:
        value = request.get_signed_cookie(
            MINE_COOKIE, salt=MINE_SALT, max_age=MINE_MAX_AGE
        )
        ids = [int(part) for part in str(value).split(".") if part]
    except (KeyError, signing.BadSignature, ValueError):
        return []
    return ids[-MINE_KEEP:]


def _page_context(
    request: HttpRequest, post: Post, form: ResponseForm, ticket: str
) -> dict[str, Any]:
    thread = list(Response.objects.thread_of(post))
    mine = _mine(request)
    pending = (
        list(Response.objects.awaiting_moderation().filter(post=post, pk__in=mine))
        if mine
        else []
    )
    return {
        **article_context(post),
        "comments": [r for r in thread if not (r.is_link or r.is_reaction)],
        "links": [r for r in thread if r.is_link],
        "likes": [r for r in thread if r.kind == Response.Kind.LIKE],
        "reposts": [r for r in thread if r.kind == Response.Kind.REPOST],
        "pending": pending,
        "form": form,
        "ticket": ticket,
    }


def article(
    request: HttpRequest, year: int, month: int, day: int, slug: str
) -> HttpResponse:
    post = find_post(request, year, month, day, slug)
    context = _page_context(request, post, ResponseForm(), tickets.issue(post.pk))
    return render(request, "conversation/article.html", context)


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, post_id: int) -> HttpResponseBase:
    post = get_object_or_404(Post.objects.visible_to(request.user), pk=post_id)
    if request.method != "POST":
        return redirect(f"{post.get_absolute_url()}#respond")
    form = ResponseForm(request.POST)
    form.full_clean()
    data = form.cleaned_data
    ticket = tickets.read(data["ticket"], post.pk)
    submission = Submission(
        post_id=post.pk,
        kind=Response.Kind.COMMENT,
        author_name=data["author_name"],
        author_email=data["author_email"],
        author_url=data["author_url"],
        author_title=data["author_title"],
        body=data["body"],
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        source="form",
        ticket=ticket.nonce if ticket else "",
        form_age=ticket.age if ticket else None,
        honeypot=data["leave_blank"],
    )
    try:
        response = intake.receive(submission)
    except intake.AlreadyReceived as received:
        # A double submit: show the first one instead of posting it twice.
        return redirect(received.response.get_absolute_url())
    except intake.Rejected as rejection:
        # Show the fields as cleaned (what would be stored), not the raw bytes.
        form = ResponseForm(data)
        for field, messages in rejection.errors.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
        form.focus_first_error()
        # The same ticket again: fixing a typo must not look like a bot's speed.
        again = data["ticket"] if ticket else tickets.issue(post.pk)
        context = _page_context(request, post, form, again)
        context["duplicate_of"] = rejection.existing
        return render(request, "conversation/article.html", context, status=400)
    # Post/Redirect/Get: a reload shows the comment instead of posting it again.
    http_response = redirect(response.get_absolute_url())
    if response.status == Response.Status.PENDING:
        mine = [*_mine(request), response.pk][-MINE_KEEP:]
        http_response.set_signed_cookie(
            MINE_COOKIE,
            ".".join(map(str, mine)),
            salt=MINE_SALT,
            max_age=MINE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return http_response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form still gives the person back what they wrote."""
    back = request.headers.get("referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    context = {"body": request.POST.get("body", ""), "back": back}
    return render(request, "conversation/csrf_failure.html", context, status=403)
