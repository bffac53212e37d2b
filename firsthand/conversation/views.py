"""The article page with its thread, and the comment form's endpoint.

The article page lives here rather than in ``blog`` because it shows the
conversation: blog knows nothing of responses (blog <- conversation).
"""

from __future__ import annotations

from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from firsthand.blog.models import Post
from firsthand.blog.views import article_context, find_post
from firsthand.conversation import intake
from firsthand.conversation.forms import ResponseForm
from firsthand.conversation.models import Response
from firsthand.conversation.submission import Submission


def _page_context(post: Post, form: ResponseForm) -> dict[str, Any]:
    thread = list(Response.objects.thread_of(post))
    return {
        **article_context(post),
        "comments": [r for r in thread if not r.is_link],
        "links": [r for r in thread if r.is_link],
        "form": form,
    }


def article(
    request: HttpRequest, year: int, month: int, day: int, slug: str
) -> HttpResponse:
    post = find_post(request, year, month, day, slug)
    return render(
        request, "conversation/article.html", _page_context(post, ResponseForm())
    )


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, post_id: int) -> HttpResponseBase:
    post = get_object_or_404(Post.objects.visible_to(request.user), pk=post_id)
    if request.method != "POST":
        return redirect(f"{post.get_absolute_url()}#respond")
    form = ResponseForm(request.POST)
    form.full_clean()
    data = form.cleaned_data
    submission = Submission(
        post_id=post.pk,
        kind=Response.Kind.COMMENT,
        author_name=data["author_name"],
        author_email=data["author_email"],
        author_url=data["author_url"],
        author_title=data["author_title"],
        body=data["body"],
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.headers.get("user-agent", ""),
    )
    try:
        response = intake.receive(submission)
    except intake.Rejected as rejection:
        # Show the fields as cleaned (what would be stored), not the raw bytes.
        form = ResponseForm(data)
        for field, messages in rejection.errors.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
        form.focus_first_error()
        return render(
            request, "conversation/article.html", _page_context(post, form), status=400
        )
    # Post/Redirect/Get: a reload shows the comment instead of posting it again.
    return HttpResponseRedirect(response.get_absolute_url())


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form still gives the person back what they wrote."""
    back = request.headers.get("referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    context = {"body": request.POST.get("body", ""), "back": back}
    return render(request, "conversation/csrf_failure.html", context, status=403)
