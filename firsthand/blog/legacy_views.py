"""Old WordPress addresses, answered with a permanent redirect (301).

A site moved from WordPress keeps every link anyone ever made to it: ``/?p=123``,
its dated permalinks, its feeds, categories, tags and authors each lead to the
Firsthand address of the same thing (docs/pages-and-old-urls.md). Only what
exists and is published is redirected; everything else is a 404, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import (
    Http404,
    HttpRequest,
    HttpResponseBase,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from firsthand.blog.models import Author, Post, Tag


class PostMoved(Http404):
    """The slug is a post's, but the date in the address is not its date.

    A 404 wherever nobody catches it; ``follow_moves`` turns it into a permanent
    redirect to the post's real address (WordPress wrote the date in the old
    site's time zone, which may be a day off Firsthand's).
    """

    def __init__(self, post: Post) -> None:
        super().__init__("No post at this date.")
        self.post = post


def follow_moves(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Wrap a view of a dated address: a wrong date redirects to the right one.

    The same route with the post's real date: ``/2009/03/01/slug/reply/4/``
    becomes ``/2009/02/28/slug/reply/4/``, the query string kept.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, **kwargs)
        except PostMoved as moved:
            match = request.resolver_match
            if match is None or match.view_name is None:
                raise
            target = reverse(match.view_name, kwargs={**kwargs, **dated(moved.post)})
            return _moved(request, target, keep_query=True)

    return wrapped


def dated(post: Post) -> dict[str, Any]:
    """A post's permalink parts (year, month, day, slug) for ``reverse``."""
    day = timezone.localtime(post.permalink_time).date()
    return {"year": day.year, "month": day.month, "day": day.day, "slug": post.slug}


def _moved(
    request: HttpRequest, target: str, *, keep_query: bool = False
) -> HttpResponsePermanentRedirect:
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(
        f"{target}?{query}" if keep_query and query else target
    )


def by_wordpress_id(request: HttpRequest) -> HttpResponseBase:
    """``/?p=123`` and ``/?page_id=123``: the published post or page with that
    WordPress id (``Post.legacy_id``, kept by the importer)."""
    wants_page = "page_id" in request.GET and "p" not in request.GET
    raw = request.GET.get("page_id" if wants_page else "p", "")
    if not raw.isdigit():
        raise Http404("No such post.")
    # WordPress numbers posts and pages in one sequence; should two imported
    # sites share a number, the kind asked for wins ("page" sorts before "post").
    found = (
        Post.everything.published()
        .filter(legacy_id=int(raw))
        .order_by("kind" if wants_page else "-kind", "pk")
        .first()
    )
    if found is None:
        raise Http404("No such post.")
    return _moved(request, found.get_absolute_url())


def _published_post(slug: str) -> Post:
    return get_object_or_404(Post.objects.published(), slug=slug)


@require_safe
def month_post(
    request: HttpRequest, year: int, month: int, slug: str
) -> HttpResponseBase:
    """``/YYYY/MM/slug/`` (WordPress's "Month and name" permalinks)."""
    return _moved(request, _published_post(slug).get_absolute_url())


@require_safe
def post_feed(
    request: HttpRequest, year: int, month: int, day: int, slug: str
) -> HttpResponseBase:
    """``/YYYY/MM/DD/slug/feed/``: the post's comments feed (RSS)."""
    post = _published_post(slug)
    return _moved(
        request, reverse("syndication:post-responses-rss", kwargs=dated(post))
    )


@require_safe
def slug_feed(request: HttpRequest, path: str) -> HttpResponseBase:
    """``/slug/feed/``: the comments feed of the post with that slug (RSS).

    Pages have no comments feed of their own, so their old feed is a 404.
    """
    if "/" in path:
        raise Http404("No feed here.")
    post = _published_post(path)
    return _moved(
        request, reverse("syndication:post-responses-rss", kwargs=dated(post))
    )


def to_route(name: str) -> Callable[[HttpRequest], HttpResponseBase]:
    """A view redirecting to the route ``name`` (one without arguments)."""

    @require_safe
    def view(request: HttpRequest) -> HttpResponseBase:
        return _moved(request, reverse(name))

    view.__name__ = f"to_{name.replace(':', '_').replace('-', '_')}"
    return view


def _tag(path: str) -> Tag:
    # WordPress categories nest (/category/news/local/); the importer makes each
    # one a tag, so the last part names it.
    return get_object_or_404(Tag, slug=path.rstrip("/").rsplit("/", 1)[-1])


@require_safe
def tag(request: HttpRequest, path: str) -> HttpResponseBase:
    """``/category/<slug>/`` and ``/tag/<slug>/``: the tag page."""
    return _moved(request, _tag(path).get_absolute_url())


@require_safe
def tag_feed(request: HttpRequest, path: str) -> HttpResponseBase:
    """``/category/<slug>/feed/`` and ``/tag/<slug>/feed/``: the tag's feed (RSS)."""
    found = _tag(path)
    return _moved(request, reverse("syndication:tag-rss", kwargs={"slug": found.slug}))


@require_safe
def author(request: HttpRequest, login: str) -> HttpResponseBase:
    """``/author/<login>/``: the author page of the author with that slug or, for
    an author imported from WordPress, that old login (which WordPress published
    in these addresses). This site's own account names are never looked up: an
    address must not tell whether an account exists."""
    found = (
        Author.objects.filter(slug=login).first()
        or Author.objects.exclude(legacy_login="").filter(legacy_login=login).first()
    )
    if found is None:
        raise Http404("No such author.")
    return _moved(request, found.get_absolute_url())
