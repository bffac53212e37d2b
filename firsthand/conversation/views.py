"""The article page with its thread, and the comment form's endpoint.

The article page lives here rather than in ``blog`` because it shows the
conversation: blog knows nothing of responses (blog <- conversation).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from firsthand import pagecache
from firsthand.blog.models import Post
from firsthand.blog.views import article_context, find_post
from firsthand.client import client_ip
from firsthand.conversation import (
    following,
    intake,
    mine,
    page_links,
    rules,
    thread,
    tickets,
)
from firsthand.conversation.forms import ResponseForm
from firsthand.conversation.models import Response, ResponseQuerySet
from firsthand.conversation.submission import Submission


def _page_number(request: HttpRequest, pages: int) -> int:
    """The thread page asked for (?page=N); 404 for one that does not exist."""
    raw = request.GET.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        raise Http404("No such page of comments.") from None
    if not 1 <= page <= pages:
        raise Http404("No such page of comments.")
    return page


# The columns of a response the article page reads (thread, reactions, links,
# this browser's own links, JSON-LD); reading any other would cost a query per row.
_SHOWN = (
    "post_id",
    "number",
    "parent_id",
    "path",
    "root_ordinal",
    "kind",
    "status",
    "author_name",
    "author_url",
    "author_title",
    "body",
    "body_html",
    "source_url",
    "source_title",
    "created_at",
    "edited_at",
)


def _thread_query(post: Post, page: int, size: int) -> ResponseQuerySet:
    """One page of the post's thread, in thread order: its visible responses whose
    conversation (top-level ordinal) is on the page and, on the first page, the
    links and reactions (which have no ordinal)."""
    first, last = rules.ordinals_on_page(page, size)
    # The post and status in each alternative: SQLite then finds both kinds of
    # rows through the (post, status, root_ordinal) index; with them outside the
    # OR it read every visible response of the post (1 ms on a thread of 10,000).
    visible = Q(post=post, status=Response.Status.VISIBLE)
    on_page = visible & Q(root_ordinal__gte=first, root_ordinal__lte=last)
    if page == 1:
        on_page |= visible & Q(root_ordinal__isnull=True)
    return (
        Response.objects.filter(on_page)
        .order_by("path", "number")
        # What the page shows, and no more: reading and converting the columns it
        # never shows (the spam layers' reasons, the IP address, timestamps) was a
        # fifth of this query's time on a long thread (issue #8).
        .only(*_SHOWN)
    )


def _thread_rows(post: Post, page: int, size: int) -> list[Response]:
    rows = list(_thread_query(post, page, size))
    for row in rows:
        row.post = post  # permalinks need the post; it is already loaded
    return rows


def _page_context(
    request: HttpRequest,
    post: Post,
    form: ResponseForm,
    *,
    page: int = 1,
    replying_to: Response | None = None,
) -> dict[str, Any]:
    size = settings.FIRSTHAND_THREAD_PAGE_SIZE
    pages = rules.thread_pages(post.last_root_ordinal, size)
    rows = _thread_rows(post, page, size)
    threaded = [r for r in rows if r.path]
    mine_ids = mine.read(request)
    pending = (
        list(
            Response.objects.awaiting_moderation()
            .filter(post=post, pk__in=mine_ids)
            .select_related("parent")
        )
        if mine_ids
        else []
    )
    context = article_context(post)
    post_url: str = context["post_url"]
    return {
        **context,
        "thread": thread.entries(threaded),
        "comments": [r for r in threaded if not r.parent_id],
        "links": [r for r in rows if r.is_link],
        "likes": [r for r in rows if r.kind == Response.Kind.LIKE],
        "reposts": [r for r in rows if r.kind == Response.Kind.REPOST],
        "pending": pending,
        "mine": set(mine_ids),
        # What only this reader may see (their own held responses, links to edit
        # them, moderators' controls): such a page is never cached for others.
        "personal": bool(mine_ids) or request.user.is_authenticated,
        "form": form,
        "replying_to": replying_to,
        "replies_open": post.comments_open and post.is_public,
        "reply_base": f"{post_url}reply/",
        "respond_url": page_links.respond_url(post),
        "comment_feeds": page_links.comment_feeds(post),
        "thread_page": page,
        "thread_pages": pages,
        "thread_page_numbers": rules.page_links(page, pages),
    }


# Blank comment forms by length limit (a setting), one per process. Making a form
# deep-copies its nine fields, a twentieth of the article page's time (issue #8),
# and a blank form is the same object for every reader: nothing changes it once
# made (a form shown again with what someone typed, or an initial value, is
# always a new one; the template only reads it).
_blank_forms: dict[int, ResponseForm] = {}


def blank_form() -> ResponseForm:
    """The comment form as every reader of a page first gets it."""
    limit: int = settings.FIRSTHAND_RESPONSE_MAX_CHARS
    form = _blank_forms.get(limit)
    if form is None:
        form = _blank_forms[limit] = ResponseForm()
    return form


def article(
    request: HttpRequest, year: int, month: int, day: int, slug: str
) -> HttpResponse:
    post = find_post(request, year, month, day, slug)
    return thread_page(request, post, "conversation/article.html")


def thread_page(request: HttpRequest, post: Post, template: str) -> HttpResponse:
    """A post or page with the thread page the query asks for and a blank form:
    a fresh form ticket for the reader, and kept for other anonymous readers
    unless something on it is this reader's own."""
    size = settings.FIRSTHAND_THREAD_PAGE_SIZE
    page = _page_number(request, rules.thread_pages(post.last_root_ordinal, size))
    context = _page_context(request, post, blank_form(), page=page)
    response = render(request, template, context)
    tickets.hand_out(response)
    if not context["personal"]:
        pagecache.mark(response, "site", f"post:{post.pk}", ticket=True)
    return response


def _visible_response(post: Post, number: int) -> Response:
    response = get_object_or_404(
        Response.objects.visible().filter(kind__in=rules.THREADED_KINDS),
        post=post,
        number=number,
    )
    response.post = post
    return response


def reply_form(
    request: HttpRequest, year: int, month: int, day: int, slug: str, number: int
) -> HttpResponse:
    """The form for answering response ``number``: its own page, no script needed."""
    post = find_post(request, year, month, day, slug)
    parent = _visible_response(post, number)
    form = ResponseForm(initial={"in_reply_to": number})
    context = _page_context(
        request, post, form, page=parent.thread_page, replying_to=parent
    )
    response = render(request, "conversation/reply.html", context)
    tickets.hand_out(response)
    return response


def permalink(
    request: HttpRequest, year: int, month: int, day: int, slug: str, number: int
) -> HttpResponseBase:
    """A response's lasting address: sends the reader to the page it is on now."""
    post = find_post(request, year, month, day, slug)
    response = get_object_or_404(Response.objects.visible(), post=post, number=number)
    response.post = post
    return redirect(response.get_absolute_url())


# Django's CSRF token is not used here: the form's ticket cookie (SameSite=Strict)
# and the Origin check do that job, so the article page holds no per-reader token
# and can be cached whole for every anonymous reader (see tickets.py).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, post_id: int) -> HttpResponseBase:
    if request.method != "POST":
        return redirect(
            f"{_post_shown_to(request, post_id).get_absolute_url()}#respond"
        )
    ticket = tickets.read(request.COOKIES.get(tickets.COOKIE, ""))
    if ticket is None or not _same_origin(request):
        return csrf_failure(request, "no form ticket from this site")
    form = ResponseForm(request.POST)
    form.full_clean()
    data = form.cleaned_data
    number = data.get("in_reply_to")
    parent = (
        Response.objects.filter(post_id=post_id, number=number).first()
        if number
        else None
    )
    submission = Submission(
        post_id=post_id,
        kind=Response.Kind.COMMENT,
        parent_id=parent.pk if parent else None,
        author_name=data["author_name"],
        author_email=data["author_email"],
        author_url=data["author_url"],
        author_title=data["author_title"],
        body=data["body"],
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        source="form",
        ticket=ticket.nonce,
        form_age=ticket.age,
        honeypot=data["leave_blank"],
        known_ids=tuple(mine.read(request)),
    )
    try:
        if number and parent is None:
            raise intake.Rejected(
                {"__all__": ["There is no such comment to reply to here."]}
            )
        # Intake reads (and locks) the post itself: on the way that stores a
        # comment, the post is read once. Whether this reader may see it is
        # asked only when the answer is not a comment stored.
        response = intake.receive(submission)
    except Post.DoesNotExist as missing:
        raise Http404("No such post.") from missing
    except intake.AlreadyReceived as received:
        # A double submit: show the first one instead of posting it twice.
        return redirect(received.response.get_absolute_url())
    except intake.Rejected as rejection:
        post = _post_shown_to(request, post_id)  # one they can't see: 404
        # Show the fields as cleaned (what would be stored), not the raw bytes.
        form = ResponseForm(data)
        for field, messages in rejection.errors.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
        form.focus_first_error()
        # The ticket cookie stays as it is: fixing a typo must not look like a
        # bot's speed.
        shown = parent if parent and parent.status == Response.Status.VISIBLE else None
        if shown is not None:
            shown.post = post
        context = _page_context(
            request,
            post,
            form,
            page=shown.thread_page if shown else 1,
            replying_to=shown,
        )
        context["duplicate_of"] = rejection.existing
        if shown:
            template = "conversation/reply.html"
        elif post.kind == Post.Kind.PAGE:
            template = "conversation/page.html"
        else:
            template = "conversation/article.html"
        return render(request, template, context, status=400)
    following.follow_from_form(
        response, replies=data["notify_replies"], post=data["notify_post"]
    )
    # Post/Redirect/Get: a reload shows the comment instead of posting it again.
    http_response = redirect(response.get_absolute_url())
    mine.remember(request, http_response, response.pk)
    draft = request.POST.get("draft", "")
    if draft and len(draft) <= 40 and draft.isalnum():
        # Tells the page's script that this draft was posted, so it can forget it.
        http_response.set_cookie("firsthand_posted", draft, max_age=120, samesite="Lax")
    return http_response


def _post_shown_to(request: HttpRequest, post_id: int) -> Post:
    return get_object_or_404(
        Post.everything.visible_to(request.user).select_related("author"), pk=post_id
    )


def _same_origin(request: HttpRequest) -> bool:
    """A browser names where a POST comes from (``Origin``); from another site, it
    is refused. Old browsers that send no Origin rely on the SameSite ticket."""
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form still gives the person back what they wrote."""
    back = request.headers.get("referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    context = {"body": request.POST.get("body", ""), "back": back}
    return render(request, "conversation/csrf_failure.html", context, status=403)
