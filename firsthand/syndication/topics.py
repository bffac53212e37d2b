"""Which feeds change when something is published: the WebSub topics to notify.

Topics are feed paths; a subscription's topic URL is matched by its path, so a
reader who subscribed through another host name for the same site still counts.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from firsthand.blog.models import Post


def _formats(name: str, formats: tuple[str, ...], **kwargs: object) -> list[str]:
    return [
        reverse(f"syndication:{name}-{fmt}", kwargs=kwargs or None) for fmt in formats
    ]


def post_date_kwargs(post: Post) -> dict[str, object]:
    """The permalink's parts, for the post's own feed URLs."""
    day = timezone.localtime(post.permalink_time).date()
    return {"year": day.year, "month": day.month, "day": day.day, "slug": post.slug}


def for_post(post: Post) -> list[str]:
    """A new post changes the site's posts feeds, its tags' and its author's
    (a page is in none of them)."""
    if post.kind == Post.Kind.PAGE:
        return []
    paths = _formats("posts", ("rss", "atom", "json"))
    for tag in post.tags.all():
        paths += _formats("tag", ("rss", "atom"), slug=tag.slug)
    paths += _formats("author", ("rss", "atom"), slug=post.author.slug)
    return paths


def for_response(post: Post) -> list[str]:
    """A new visible response changes the site's and its post's response feeds
    (a page has only the site's)."""
    if post.kind == Post.Kind.PAGE:
        return _formats("responses", ("rss", "atom"))
    return _formats("responses", ("rss", "atom")) + _formats(
        "post-responses", ("rss", "atom", "json"), **post_date_kwargs(post)
    )
