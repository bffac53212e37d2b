"""Serving feeds: conditional GET (ETag, Last-Modified, 304) and a cache that is
never stale, because its key is the state of what the feed shows.

Each feed has a *state*: the newest change time and the number of rows of what it
is built from (two cheap aggregate queries). A new post, an edit, a response
approved, marked spam or removed changes the state, so the ETag changes and the
cached body under the old key is simply never asked for again.

The cache (Django's default: Redis when REDIS_URL is set) is a help, never a
dependency: with it away, each feed is built for its request, and the outage is
logged once, not once a request.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import redis
from django.core.cache import cache
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from firsthand import pagecache
from firsthand.blog.models import Author, Post, Tag
from firsthand.blog.views import find_post
from firsthand.conversation.models import Response
from firsthand.site import site_url
from firsthand.syndication import feeds

CACHE_SECONDS = 24 * 3600
# What a cache that cannot be reached raises (as in ratelimit._reachable).
CACHE_AWAY = (OSError, redis.RedisError)

logger = logging.getLogger(__name__)
_cache_away = threading.Event()


@dataclasses.dataclass(frozen=True)
class State:
    changed: datetime.datetime | None
    version: str


def _state(*parts: QuerySet[Any]) -> State:
    """Newest change and row count over the querysets a feed is built from."""
    newest: list[datetime.datetime] = []
    counts: list[str] = []
    for queryset in parts:
        field = "updated_at"
        row = queryset.aggregate(newest=Max(field), count=Count("pk"))
        if row["newest"]:
            newest.append(row["newest"])
        counts.append(f"{row['newest']}/{row['count']}")
    changed = max(newest) if newest else None
    return State(changed=changed, version="|".join(counts))


def posts_state(**kwargs: Any) -> State:
    return _state(Post.objects.published())


def tag_state(slug: str, **kwargs: Any) -> State:
    tag = get_object_or_404(Tag, slug=slug)
    return _state(tag.posts.published())


def author_state(slug: str, **kwargs: Any) -> State:
    author = get_object_or_404(Author, slug=slug)
    return _state(author.posts.published())


def responses_state(**kwargs: Any) -> State:
    # Post titles appear in the items, so posts count too.
    return _state(Response.objects.all(), Post.everything.published())


def post_responses_state(post_id: int, **kwargs: Any) -> State:
    return _state(
        Response.objects.filter(post_id=post_id), Post.everything.filter(pk=post_id)
    )


def serve(
    feed: feeds.BaseFeed, state_of: Callable[..., State]
) -> Callable[..., HttpResponseBase]:
    """A view for ``feed`` answering 304 when the reader is up to date."""

    @require_safe
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        extra: dict[str, Any] = {}
        if "day" in kwargs:  # a post's feed: find it once, for state and 404
            post = find_post(request, **kwargs)
            extra["post_id"] = post.pk
        state = state_of(**kwargs, **extra)
        base = site_url(request)
        digest = hashlib.sha256(
            f"{request.path}|{base}|{state.version}".encode()
        ).hexdigest()[:32]
        etag = quote_etag(digest)
        last_modified = (
            int(state.changed.timestamp()) if state.changed is not None else None
        )
        not_modified = get_conditional_response(
            request, etag=etag, last_modified=last_modified
        )
        if not_modified is not None:
            return _headers(not_modified, etag, last_modified, request)
        key = f"firsthand:feed:{digest}"
        cached = _cached(key)
        if cached is None:
            response = feed(request, **kwargs)
            if response.status_code != 200:
                return response
            cached = (response.content, response["Content-Type"])
            _keep(key, cached)
        content, content_type = cached
        answer = _headers(
            HttpResponse(content, content_type=content_type),
            etag,
            last_modified,
            request,
        )
        if not request.user.is_authenticated:
            if "post_id" in extra:
                pagecache.mark(answer, "site", f"post:{extra['post_id']}")
            else:
                pagecache.mark(answer, "site", "responses")
        return answer

    return view


def _cached(key: str) -> tuple[bytes, str] | None:
    try:
        found: tuple[bytes, str] | None = cache.get(key)
    except CACHE_AWAY as error:
        _away(error)
        return None
    if _cache_away.is_set():
        _cache_away.clear()
        logger.info("feed cache reachable again")
    return found


def _keep(key: str, value: tuple[bytes, str]) -> None:
    if _cache_away.is_set():
        return  # the look-up just failed: no second wait for the same answer
    try:
        cache.set(key, value, CACHE_SECONDS)
    except CACHE_AWAY as error:
        _away(error)


def _away(error: Exception) -> None:
    """Log the first failure of an outage; the feeds go on, built uncached."""
    if not _cache_away.is_set():
        _cache_away.set()
        logger.warning("feed cache unavailable, serving feeds uncached: %s", error)


def _headers(
    response: HttpResponseBase,
    etag: str,
    last_modified: int | None,
    request: HttpRequest,
) -> HttpResponseBase:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    # Readers may keep it a little, but must ask again (cheaply: 304) after that.
    patch_cache_control(response, public=True, max_age=60)
    base = site_url(request)
    hub = base + reverse("syndication:websub-hub")
    response["Link"] = f'<{hub}>; rel="hub", <{base}{request.path}>; rel="self"'
    return response
