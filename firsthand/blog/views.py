"""Readers' pages for posts: thin views over ``Post.objects.published()``."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.generic.dates import (
    DayArchiveView,
    MonthArchiveView,
    YearArchiveView,
)

from firsthand.blog import legacy_views
from firsthand.blog.models import Author, Post, PostQuerySet, Tag


def _page(request: HttpRequest, posts: PostQuerySet) -> Page[Post]:
    paginator = Paginator(posts, settings.FIRSTHAND_POSTS_PER_PAGE)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("No such page.") from error


def home(request: HttpRequest) -> HttpResponseBase:
    if "p" in request.GET or "page_id" in request.GET:
        # An old WordPress link, /?p=123 (docs/pages-and-old-urls.md).
        return legacy_views.by_wordpress_id(request)
    page = _page(request, Post.objects.published().for_listing())
    return render(request, "blog/home.html", {"page_obj": page})


def find_post(request: HttpRequest, year: int, month: int, day: int, slug: str) -> Post:
    """The post at a permalink, or 404. Drafts exist only for staff."""
    post = get_object_or_404(
        Post.objects.visible_to(request.user).select_related("author"), slug=slug
    )
    date = timezone.localtime(post.permalink_time).date()
    if (date.year, date.month, date.day) != (year, month, day):
        raise legacy_views.PostMoved(post)
    return post


def article_context(post: Post) -> dict[str, Any]:
    """Everything the article page shows about the post itself (three queries:
    its tags and its two neighbours in time; none for a page, which has neither).

    ``post_url`` is the post's own address and ``author_url`` its author's (a
    post's page shows both more than once), reversed once for the whole page."""
    post_url = post.get_absolute_url()
    if post.kind == Post.Kind.PAGE:
        return {
            "post": post,
            "post_url": post_url,
            "tags": [],
            "older": None,
            "newer": None,
        }
    return {
        "post": post,
        "post_url": post_url,
        "author_url": post.author.get_absolute_url(),
        "tags": list(post.tags.all()),
        **_neighbours(post),
    }


def _neighbours(post: Post) -> dict[str, Post | None]:
    """The previous and next published posts in time (ties broken by id), for the
    prev/next links; none for a post that is not public itself."""
    if not post.is_public:
        return {"older": None, "newer": None}
    # Both from one QuerySet of the published posts, built once: building and
    # compiling a query costs Django more than SQLite takes to answer it (issue #8).
    published = Post.objects.published().only("title", "slug", "published_at", "kind")
    at, pk = post.published_at, post.pk
    older = published.filter(
        Q(published_at__lt=at) | Q(published_at=at, pk__lt=pk)
    ).order_by("-published_at", "-pk")[:1]
    newer = published.filter(
        Q(published_at__gt=at) | Q(published_at=at, pk__gt=pk)
    ).order_by("published_at", "pk")[:1]
    return {"older": next(iter(older), None), "newer": next(iter(newer), None)}


def tag(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    page = _page(request, tag.posts.published().for_listing())
    return render(request, "blog/tag.html", {"tag": tag, "page_obj": page})


def tag_index(request: HttpRequest) -> HttpResponse:
    published = Q(posts__status=Post.Status.PUBLISHED) & Q(
        posts__published_at__lte=timezone.now()
    )
    tags = (
        Tag.objects.annotate(post_count=Count("posts", filter=published))
        .filter(post_count__gt=0)
        .order_by("name")
    )
    return render(request, "blog/tag_index.html", {"tags": tags})


def author(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author, slug=slug)
    page = _page(request, author.posts.published().for_listing())
    return render(request, "blog/author.html", {"author": author, "page_obj": page})


def archive_index(request: HttpRequest) -> HttpResponse:
    months: list[datetime.date] = list(
        Post.objects.published().dates("published_at", "month", order="DESC")
    )
    return render(request, "blog/archive_index.html", {"months": months})


class _Archive:
    date_field: str | None = "published_at"
    allow_future: bool = False
    allow_empty: bool = False
    paginate_by: int | None = 50

    def get_queryset(self) -> PostQuerySet:
        return Post.objects.published().for_listing()


class YearArchive(_Archive, YearArchiveView):
    make_object_list = True
    template_name = "blog/archive.html"


class MonthArchive(_Archive, MonthArchiveView):
    month_format = "%m"
    template_name = "blog/archive.html"


class DayArchive(_Archive, DayArchiveView):
    month_format = "%m"
    template_name = "blog/archive.html"
