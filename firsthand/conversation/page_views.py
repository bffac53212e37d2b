"""Pages ("About", "About / Team") at the site's root, with their conversation.

A page is a ``Post`` row of kind "page" (blog.models), so its comments, reply
form and comment permalinks work as a post's do: the same context, the same
thread templates, the same ``conversation:respond`` endpoint. Only the page
itself looks different (no date, byline, tags or neighbours).
"""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from firsthand.blog.models import Page, Post
from firsthand.conversation import tickets
from firsthand.conversation.forms import ResponseForm
from firsthand.conversation.models import Response
from firsthand.conversation.views import (
    _page_context,
    _visible_response,
    thread_page,
)


def find_page(request: HttpRequest, path: str) -> Post:
    """The page at ``/<path>/``, followed slug by slug through its parents.

    One query for the whole path. Drafts (and pages under a draft) exist only
    for staff, as posts' do in ``blog.views.find_post``.
    """
    slugs = path.split("/")
    rows = {
        row.slug: row
        for row in Page.objects.visible_to(request.user)
        .filter(slug__in=slugs)
        .select_related("author")
    }
    above: Post | None = None
    for slug in slugs:
        row = rows.get(slug)
        if row is None or row.parent_id != (above.pk if above else None):
            raise Http404("No page here.")
        # Already loaded: the page's address is built without asking again.
        row.parent = above
        above = row
    assert above is not None  # the converter never gives an empty path
    return above


def page(request: HttpRequest, path: str) -> HttpResponseBase:
    """A page and, when it has or takes comments, its thread and form."""
    try:
        found = find_page(request, path)
    except Http404:
        if "/" in path:
            raise
        # WordPress sites with "/%postname%/" permalinks had their posts here.
        post = get_object_or_404(Post.objects.published(), slug=path)
        return HttpResponsePermanentRedirect(post.get_absolute_url())
    return thread_page(request, found, "conversation/page.html")


@require_safe
def reply_form(request: HttpRequest, path: str, number: int) -> HttpResponse:
    """The form for answering response ``number`` on a page (no script needed)."""
    found = find_page(request, path)
    parent = _visible_response(found, number)
    form = ResponseForm(initial={"in_reply_to": number})
    context = _page_context(
        request, found, form, page=parent.thread_page, replying_to=parent
    )
    response = render(request, "conversation/reply.html", context)
    tickets.hand_out(response)
    return response


@require_safe
def permalink(request: HttpRequest, path: str, number: int) -> HttpResponseBase:
    """A page's response's lasting address: the thread page it is on now."""
    found = find_page(request, path)
    response = get_object_or_404(Response.objects.visible(), post=found, number=number)
    response.post = found
    return redirect(response.get_absolute_url())
