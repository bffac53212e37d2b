"""The moderation queue for staff (``/moderate/``), and one endpoint per action.

Thin views: each action is a CSRF-protected POST that checks the permission, calls
exactly one workflow in ``moderation`` and redirects back to the queue where the
moderator was (Post/Redirect/Get), with a message saying what happened.

Who may moderate is Django's "can change response" permission: anonymous people
are sent to the admin login, everyone else without it gets 403.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from firsthand.conversation import intake, moderation
from firsthand.conversation.models import Response, ResponseEdit

MODERATE = moderation.PERMISSION
PER_PAGE = 50

# The queue's filter tabs: which statuses each one shows.
FILTERS: dict[str, tuple[str, ...]] = {
    "all": (Response.Status.PENDING, Response.Status.SPAM),
    "held": (Response.Status.PENDING,),
    "spam": (Response.Status.SPAM,),
}

View = Callable[..., HttpResponseBase]


def moderators_only(view: View) -> View:
    """Anonymous people go to the admin login; others without the permission get 403.

    The login check wraps the permission check: ``permission_required`` alone would
    answer 403 to someone who merely has not logged in yet.
    """
    checked = permission_required(MODERATE, raise_exception=True)(view)
    return login_required(checked, login_url="admin:login")


@dataclasses.dataclass(frozen=True)
class Item:
    """One response in the queue, with what the template cannot work out itself."""

    response: Response
    ban_domain: str
    edits: list[ResponseEdit]

    @property
    def last_edit(self) -> ResponseEdit | None:
        return self.edits[0] if self.edits else None


def ban_domain(response: Response) -> str:
    """The domain "Ban domain" bans: the author's website's, else their email's."""
    try:
        host = urlsplit(response.author_url).hostname or ""
    except ValueError:  # a malformed address, such as an unclosed "[" of IPv6
        host = ""
    if not host and "@" in response.author_email:
        host = response.author_email.rsplit("@", 1)[1]
    return host.lower().rstrip(".").removeprefix("www.")


@require_safe
@moderators_only
def queue(request: HttpRequest) -> HttpResponse:
    """Held and spam responses, newest first, 50 a page.

    Four queries whatever the page holds: the count, the page, its edits (with
    their editors) and the tab counts (from ``moderation_counts``, shared with the
    site header).
    """
    show = request.GET.get("show", "all")
    if show not in FILTERS:
        show = "all"
    responses = (
        Response.objects.for_review()
        .filter(status__in=FILTERS[show])
        .prefetch_related(
            Prefetch("edits", queryset=ResponseEdit.objects.select_related("editor"))
        )
    )
    # get_page, not page: after clearing the last page, land on the new last one.
    page = Paginator(responses, PER_PAGE).get_page(request.GET.get("page"))
    items = [Item(r, ban_domain(r), list(r.edits.all())) for r in page]
    context = {
        "page_obj": page,
        "items": items,
        "show": show,
        "here": request.get_full_path(),
    }
    return render(request, "conversation/moderate.html", context)


def _moderator(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # moderators_only has let only users through
        raise PermissionDenied
    return user


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the queue page the action came from (its filter, page and item):
    a path on this site only, never an address elsewhere nor a relative one."""
    target = request.POST.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("moderate:queue")
    return HttpResponseRedirect(target)


def _response(pk: int) -> Response:
    return get_object_or_404(
        Response.objects.select_related("post", "duplicate_of"), pk=pk
    )


def label(response: Response) -> str:
    """How messages name a response: "#12 by Cindy" once it has a number."""
    if response.number is not None:
        return f"#{response.number} by {response.author_name}"
    return f"the response by {response.author_name}"


def _one_click(workflow: Callable[[Response], Response], done: str) -> View:
    """An endpoint that moves one response with ``workflow`` and says ``done``."""

    @require_POST
    @moderators_only
    def action(request: HttpRequest, pk: int) -> HttpResponseBase:
        try:
            moved = workflow(_response(pk))
        except ValueError as error:
            messages.error(request, str(error))
            return _back(request)
        messages.success(request, done.format(label=label(moved)))
        return _back(request)

    return action


approve = _one_click(moderation.approve, "Approved {label}.")
spam = _one_click(moderation.mark_spam, "Marked {label} as spam.")
trash = _one_click(moderation.remove, "Moved {label} to the trash.")


# Bulk actions: the same workflows, one response at a time (each its own
# transaction, so one that another moderator moved meanwhile is simply re-read).
BULK: dict[str, tuple[Callable[[Response], Response], str]] = {
    "approve": (moderation.approve, "Approved"),
    "spam": (moderation.mark_spam, "Marked as spam:"),
    "trash": (moderation.remove, "Moved to the trash:"),
}


@require_POST
@moderators_only
def bulk(request: HttpRequest) -> HttpResponseBase:
    chosen = BULK.get(request.POST.get("action", ""))
    if chosen is None:
        return HttpResponseBadRequest("Choose approve, spam or trash.")
    workflow, done = chosen
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    responses = list(Response.objects.filter(pk__in=ids).order_by("created_at", "pk"))
    if not responses:
        messages.warning(request, "Tick the responses to act on first.")
        return _back(request)
    count = 0
    for response in responses:
        try:
            workflow(response)
        except ValueError as error:
            messages.error(request, str(error))
        else:
            count += 1
    messages.success(request, f"{done} {count} response{'s' * (count != 1)}.")
    return _back(request)


@require_POST
@moderators_only
def reply(request: HttpRequest, pk: int) -> HttpResponseBase:
    response = _response(pk)
    body = request.POST.get("body", "")
    if not body.strip():
        messages.error(request, f"Write your reply to {label(response)} first.")
        return _back(request)
    try:
        answer = moderation.reply(response, body, moderator=_moderator(request))
    except (ValueError, intake.Rejected) as error:
        messages.error(request, f"Your reply was not posted: {error}")
    else:
        response.refresh_from_db(fields=["number"])  # numbered if it was just approved
        messages.success(
            request, f"Replied to {label(response)}: your reply is #{answer.number}."
        )
    return _back(request)


@require_POST
@moderators_only
def edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    response = _response(pk)
    body = request.POST.get("body", "")
    try:
        edited = moderation.edit_text(response, body, editor=_moderator(request))
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Saved the new text of {label(edited)}; the old one is kept."
        )
    return _back(request)


@require_POST
@moderators_only
def merge(request: HttpRequest, pk: int) -> HttpResponseBase:
    newer = _response(pk)
    try:
        merged = moderation.merge(newer, editor=_moderator(request))
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Merged: {label(merged)} now has the newer text; "
            "the copy is in the trash.",
        )
    return _back(request)


# What each "Ban …" button bans, read from the response itself rather than from
# the form, so a ban can only name what the queue showed.
BAN_VALUES: dict[str, Callable[[Response], str]] = {
    "email": lambda r: r.author_email,
    "ip": lambda r: r.ip_address or "",
    "domain": ban_domain,
}


@require_POST
@moderators_only
def ban(request: HttpRequest, pk: int) -> HttpResponseBase:
    response = _response(pk)
    kind = request.POST.get("kind", "")
    value_of = BAN_VALUES.get(kind)
    if value_of is None:
        return HttpResponseBadRequest("Choose email, ip or domain.")
    try:
        rule = moderation.ban(
            kind,
            value_of(response),
            moderator=_moderator(request),
            note=f"From the moderation queue, response {response.pk}.",
        )
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Banned {rule.get_kind_display().lower()} {rule.value}: "
            "new responses from it will be marked as spam.",
        )
    return _back(request)
