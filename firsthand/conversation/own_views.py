"""The commenter's own pages: edit or withdraw a response from the browser that
posted it, within FIRSTHAND_EDIT_MINUTES (workflows in ``own``).

Thin views: find the response (404), check that this browser may change it now
(403 with the reason otherwise), show a form on GET (no state change) or call one
workflow on a CSRF-protected POST and redirect (Post/Redirect/Get).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from firsthand.conversation import intake, own
from firsthand.conversation.models import Response


def _response(pk: int) -> Response:
    return get_object_or_404(Response.objects.select_related("post__author"), pk=pk)


def _refused(
    request: HttpRequest, response: Response, refusal: own.Refusal
) -> HttpResponse:
    context = {
        "response": response,
        "refusal": refusal,
        "edit_minutes": settings.FIRSTHAND_EDIT_MINUTES,
    }
    return render(request, "conversation/own/refused.html", context, status=403)


def _form_page(
    request: HttpRequest,
    response: Response,
    body: str,
    errors: list[str] | None = None,
) -> HttpResponse:
    context = {
        "response": response,
        "body": body,
        "errors": errors or [],
        "max_chars": settings.FIRSTHAND_RESPONSE_MAX_CHARS,
        "minutes_left": own.minutes_left(response, timezone.now()),
    }
    status = 400 if errors else 200
    return render(request, "conversation/own/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    response = _response(pk)
    refusal = own.refusal(request, response, timezone.now())
    if refusal is not None:
        return _refused(request, response, refusal)
    if request.method != "POST":
        return _form_page(request, response, response.body)
    body = request.POST.get("body", "")
    try:
        edited = own.edit_own(response, body)
    except intake.Rejected as rejection:
        reasons = [m for messages in rejection.errors.values() for m in messages]
        return _form_page(request, response, body, reasons)
    except own.Refused as refused:
        return _refused(request, response, refused.refusal)
    edited.post = response.post
    return redirect(edited.get_absolute_url())


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponseBase:
    response = _response(pk)
    refusal = own.refusal(request, response, timezone.now())
    if refusal is not None:
        return _refused(request, response, refusal)
    if request.method != "POST":
        context = {
            "response": response,
            "minutes_left": own.minutes_left(response, timezone.now()),
        }
        return render(request, "conversation/own/withdraw.html", context)
    try:
        own.withdraw_own(response)
    except own.Refused as refused:
        return _refused(request, response, refused.refusal)
    return redirect(f"{response.post.get_absolute_url()}#responses")
