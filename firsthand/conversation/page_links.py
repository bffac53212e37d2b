"""The addresses an article page links to about its own post, computed once per
request: its comment feeds and the comment form's action.

Reversed here rather than by ``{% url %}`` tags, which the page repeated (each
feed twice) at a measurable cost of its render time, and kept once reversed
(``blog.addresses``) (issue #8).
"""

from __future__ import annotations

import dataclasses

from django.utils import timezone

from firsthand.blog.addresses import address
from firsthand.blog.models import Post


@dataclasses.dataclass(frozen=True)
class CommentFeeds:
    rss: str
    atom: str
    json: str


def comment_feeds(post: Post) -> CommentFeeds | None:
    """The post's comment feeds; None for what has none (pages, drafts, posts
    scheduled ahead: a feed would tell what readers may not see yet)."""
    if post.kind == Post.Kind.PAGE or not post.is_public or post.published_at is None:
        return None
    day = timezone.localtime(post.published_at).date()
    dated: dict[str, str | int] = {
        "year": day.year,
        "month": day.month,
        "day": day.day,
        "slug": post.slug,
    }
    return CommentFeeds(
        rss=address("syndication:post-responses-rss", **dated),
        atom=address("syndication:post-responses-atom", **dated),
        json=address("syndication:post-responses-json", **dated),
    )


def respond_url(post: Post) -> str:
    """Where the comment form posts."""
    return address("conversation:respond", post_id=post.pk)
