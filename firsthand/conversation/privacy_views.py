"""The privacy pages: what is stored, asking for the link, and what it opens.

Each view parses, checks the signed link and calls one function of ``privacy``.
The pages the link opens are the person's own data: never cached on the way,
never indexed, and no Referer carries the link to another site.
"""

from __future__ import annotations

import time

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_safe

from firsthand.client import client_ip
from firsthand.conversation import privacy
from firsthand.conversation.privacy_tasks import send_link_task
from firsthand.site import site_url

TEMPLATES = "conversation/privacy"


class AskForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    # The link is the key to these pages: no Referer takes it anywhere.
    response["Referrer-Policy"] = "no-referrer"
    return response


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _private(render(request, f"{TEMPLATES}/bad_link.html", status=400))


@require_http_methods(["GET", "POST"])
def about(request: HttpRequest) -> HttpResponse:
    """What is stored about commenters, and the form asking for the link.

    A valid address always gets the same answer, whether it wrote anything here
    or not, and whether or not a rate limit held the email back.
    """
    if request.method != "POST":
        return render(request, f"{TEMPLATES}/about.html", {"form": AskForm()})
    form = AskForm(request.POST)
    if not form.is_valid():
        return render(request, f"{TEMPLATES}/about.html", {"form": form}, status=400)
    address = privacy.normalized(form.cleaned_data["email"])
    if privacy.may_send_link(client_ip(request), address):
        base, asked_at = site_url(request), int(time.time())
        transaction.on_commit(lambda: send_link_task.enqueue(address, base, asked_at))
    context = {"form": AskForm(), "asked": True}
    return render(request, f"{TEMPLATES}/about.html", context)


@require_safe
def responses(request: HttpRequest, token: str) -> HttpResponse:
    try:
        address = privacy.address_in(token)
    except privacy.BadLink:
        return _bad_link(request)
    context = {"address": address, "token": token, "rows": privacy.listing(address)}
    return _private(render(request, f"{TEMPLATES}/responses.html", context))


@require_safe
def export(request: HttpRequest, token: str) -> HttpResponse:
    try:
        address = privacy.address_in(token)
    except privacy.BadLink:
        return _bad_link(request)
    data = privacy.export(address, site_url(request))
    answer = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    answer["Content-Disposition"] = 'attachment; filename="my-responses.json"'
    return _private(answer)


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm and changes nothing; POST (with its CSRF token) erases."""
    try:
        address = privacy.address_in(token)
    except privacy.BadLink:
        return _bad_link(request)
    if request.method != "POST":
        context = {
            "address": address,
            "token": token,
            "count": privacy.responses_of(address).count(),
        }
        return _private(render(request, f"{TEMPLATES}/confirm_delete.html", context))
    erased = privacy.erase_by_email(address)
    context = {"address": address, "erased": erased}
    return _private(render(request, f"{TEMPLATES}/deleted.html", context))
