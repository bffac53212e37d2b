"""The two ends of a reblog (docs/reblog.md).

- ``out``: the "Reblog this post" form under every article sends the reader here
  with their site's address; the answer is a redirect to
  ``<their site>/reblog/?url=<this post>``, and nowhere else: only the scheme, host
  and port they typed are kept (``reblog.reblog_address``). A link to this view
  made elsewhere (``Sec-Fetch-Site`` other than same-origin, or no same-origin
  ``Referer``) gets a page asking to confirm instead of the redirect, so the site
  cannot be used to bounce people to a host someone else chose.
- ``compose``: ``/reblog/`` on the reblogger's own site, for staff who may add
  posts. GET reads the page named by ``?url=`` and shows the prefilled form with a
  preview of the quote; POST publishes through ``reblog.publish_reblog`` and
  redirects to the new post. Anonymous people go to the admin login; others get 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import URLValidator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from firsthand.blog.models import Author, Post
from firsthand.crosstalk import reblog
from firsthand.site import absolute, site_url

ADD_POST = "firsthand_blog.add_post"
_web_address = URLValidator(schemes=["http", "https"])

View = Callable[..., HttpResponseBase]


class ReblogForm(forms.Form):
    url = forms.URLField(
        max_length=reblog.URL_MAX,
        assume_scheme="https",
        validators=[_web_address],
        widget=forms.HiddenInput,
        label="Address of the original",
    )
    title = forms.CharField(max_length=reblog.TITLE_MAX, label="Title")
    own_words = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Your words",
        help_text="Markdown. Shown under the quote.",
    )
    excerpt = forms.CharField(
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Quoted excerpt",
        help_text="Plain text. Keep it short: a quote, not a copy.",
    )
    source_title = forms.CharField(
        max_length=reblog.TITLE_MAX, label="Title of the original"
    )
    author_name = forms.CharField(
        required=False, max_length=reblog.NAME_MAX, label="Its author"
    )
    author_url = forms.URLField(
        required=False,
        max_length=reblog.URL_MAX,
        assume_scheme="https",
        validators=[_web_address],
        label="Its author's web address",
    )

    def citation(self) -> reblog.Citation:
        """The citation as the form says it (valid or not, for the preview)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else None
        values = data or {
            name: self[name].value() or "" for name in self.fields if name != "title"
        }
        return reblog.Citation(
            url=reblog.web_address(str(values["url"])),
            title=" ".join(str(values["source_title"]).split()),
            author_name=" ".join(str(values["author_name"]).split()),
            author_url=reblog.web_address(str(values["author_url"])),
            excerpt=" ".join(str(values["excerpt"]).split()),
        )


def staff_authors_only(view: View) -> View:
    """Anonymous people go to the admin login; others need staff and "add post"
    (the login check wraps the permission check, as in the moderation views)."""

    @functools.wraps(view)
    def check(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (user.is_staff and user.has_perm(ADD_POST)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(check, login_url="admin:login")


@require_safe
def out(request: HttpRequest, post_id: int) -> HttpResponse:
    """From a reader's "Reblog this post" form to their own site's reblog page."""
    post = get_object_or_404(Post.objects.published(), pk=post_id)
    site = request.GET.get("site", "")
    try:
        address = reblog.reblog_address(
            site, absolute(post.get_absolute_url(), request)
        )
    except reblog.ReblogError as error:
        context = {"post": post, "site": site, "error": str(error)}
        return render(request, "crosstalk/reblog_out.html", context, status=400)
    if _from_this_site(request):
        return HttpResponseRedirect(address)
    host = urlsplit(address).netloc
    context = {"post": post, "address": address, "host": host}
    return render(request, "crosstalk/reblog_out.html", context)


@staff_authors_only
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    author = (
        Author.objects.filter(user=request.user).first()
        if request.user.is_authenticated
        else None
    )
    context: dict[str, Any] = {"author": author, "url": "", "error": ""}
    if request.method == "POST":
        form = ReblogForm(request.POST)
        if author is None:
            form.add_error(None, "Publishing needs an author profile: add yours first.")
        if form.is_valid() and author is not None:
            post = reblog.publish_reblog(
                author,
                form.citation(),
                title=form.cleaned_data["title"],
                own_words=form.cleaned_data["own_words"],
                site=site_url(request),
            )
            return redirect(post.get_absolute_url())
        context.update(form=form, citation=form.citation(), url=form["url"].value())
        return render(request, "crosstalk/reblog_compose.html", context, status=400)
    url = request.GET.get("url", "").strip()
    context["url"] = url
    if url:
        try:
            draft = reblog.reblog_draft(url)
        except reblog.ReblogError as error:
            context["error"] = str(error)
        else:
            citation = draft.citation
            form = ReblogForm(
                initial={
                    "url": citation.url,
                    "title": draft.title,
                    "excerpt": citation.excerpt,
                    "source_title": citation.title,
                    "author_name": citation.author_name,
                    "author_url": citation.author_url,
                }
            )
            context.update(form=form, citation=citation)
    return render(request, "crosstalk/reblog_compose.html", context)


def _from_this_site(request: HttpRequest) -> bool:
    """Did the reader press the button on one of our pages (not follow a link made
    elsewhere)? Fetch Metadata when the browser sends it, else the Referer, which
    the site's ``Referrer-Policy: same-origin`` sends only to itself."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    referer = request.headers.get("Referer", "")
    try:
        parts = urlsplit(referer)
    except ValueError:
        return False
    return (
        f"{parts.scheme}://{parts.netloc}" == f"{request.scheme}://{request.get_host()}"
    )
