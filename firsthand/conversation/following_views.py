"""Confirming a follow, and unsubscribing from follow or author emails.

Every address here comes from a signed link (``notify``), never from the request:
the link is the authority. GET only shows what a button would do: mail scanners
fetch links, and fetching must change nothing. The unsubscribe views also take
RFC 8058 one-click POSTs, which mail providers send without cookies, so they
are exempt from CSRF (a forged request would need the signed link anyway).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from firsthand.blog.models import Author
from firsthand.conversation import following, notify
from firsthand.conversation.models import Follow

_BAD_CONFIRM = (
    "This confirmation link is older than {days} days or was changed on the way. "
    "Nothing was changed. To follow comments, tick the box again the next time "
    "you comment: a new link will be emailed to you."
)
_BAD_UNSUBSCRIBE = (
    "This unsubscribe link was changed on the way, so it cannot be used. Nothing "
    "was changed. Use the link in the latest email you received, unchanged."
)


def _bad_link(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request,
        "conversation/following/bad_link.html",
        {"message": message},
        status=400,
    )


def _ids(request: HttpRequest) -> list[int]:
    return [int(v) for v in request.POST.getlist("follow") if v.isdigit()]


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        email = notify.read_confirm_token(token)
    except notify.BadToken:
        days = notify.CONFIRM_MAX_AGE.days
        return _bad_link(request, _BAD_CONFIRM.format(days=days))
    if request.method == "POST":
        confirmed = following.confirm(email, _ids(request))
        context = {
            "email": email,
            "confirmed": [notify.describe(f) for f in confirmed],
        }
        return render(request, "conversation/following/confirmed.html", context)
    waiting = [(f.pk, notify.describe(f)) for f in following.waiting_for(email)]
    return render(
        request,
        "conversation/following/confirm.html",
        {"email": email, "waiting": waiting},
    )


def _one_click(request: HttpRequest) -> bool:
    """RFC 8058 section 3.1: the provider POSTs List-Unsubscribe=One-Click."""
    return request.POST.get("List-Unsubscribe") == "One-Click"


@csrf_exempt  # RFC 8058 one-click POSTs carry no cookie; the signed token decides
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = notify.read_unsubscribe_token(token)
    except notify.BadToken:
        return _bad_link(request, _BAD_UNSUBSCRIBE)
    follow = (
        Follow.objects.filter(pk=link.follow_id, email=link.email)
        .select_related("post")
        .first()
    )
    if request.method == "POST":
        every = link.every if _one_click(request) else "all" in request.POST
        if every:
            following.unfollow_all(link.email)
        else:
            following.unfollow(link.follow_id, link.email)
        context = {
            "email": link.email,
            "every": every,
            "stopped": notify.describe(follow) if follow else "",
        }
        return render(request, "conversation/following/unsubscribed.html", context)
    context = {
        "email": link.email,
        "every": link.every,
        "follow": notify.describe(follow) if follow else "",
        "others": Follow.objects.filter(email=link.email)
        .exclude(pk=link.follow_id)
        .exists(),
    }
    return render(request, "conversation/following/unsubscribe.html", context)


@csrf_exempt  # RFC 8058 one-click POSTs carry no cookie; the signed token decides
@require_http_methods(["GET", "POST"])
def author_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        author_id, email = notify.read_author_unsubscribe_token(token)
    except notify.BadToken:
        return _bad_link(request, _BAD_UNSUBSCRIBE)
    author = Author.objects.filter(pk=author_id).first()
    context: dict[str, object] = {"email": email, "author": author}
    if request.method == "POST":
        context["stopped"] = following.stop_author_emails(author_id, email)
        return render(request, "conversation/following/author_stopped.html", context)
    return render(request, "conversation/following/author_unsubscribe.html", context)
