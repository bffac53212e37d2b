"""schema.org JSON-LD for the article page: a ``BlogPosting`` and its ``Comment``s.

Built from what the article view already loaded (the post with its author, its
tags, the visible thread), so describing the page costs no query. Rendered by the
``blog_posting_json_ld`` template tag (``syndication.templatetags.syndication``).
Vocabulary: https://schema.org/BlogPosting, https://schema.org/Comment.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from firsthand.blog.models import Post, Tag
from firsthand.conversation.models import Response
from firsthand.site import absolute


def modified_at(post: Post) -> datetime.datetime:
    """When the post's page last changed.

    ``updated_at`` alone is too early for a post scheduled ahead: it was saved
    before it appeared, and appearing is a change too.
    """
    if post.published_at is None:
        return post.updated_at
    return max(post.updated_at, post.published_at)


def iso_time(moment: datetime.datetime) -> str:
    """ISO 8601 in the site's time zone, to the second: 2026-07-02T10:30:00+02:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


# A tag as the sanitiser (nh3, html5ever's serialiser) writes it: attribute values
# always double-quoted, where a ">" may stand unescaped; no comments left.
_TAG = re.compile(r'<(?:[^>"]|"[^"]*")*>')


def plain_text(body_html: str) -> str:
    """Readable text of our own sanitised HTML (tags dropped, entities decoded).

    A regular expression rather than ``strip_tags``, whose HTML parser took most of
    the JSON-LD's time on a page of a hundred comments (issue #8); it is exact for
    what the sanitiser writes, which is all ``body_html`` ever holds."""
    return html.unescape(_TAG.sub("", body_html)).strip()


def person(name: str, url: str = "") -> dict[str, str]:
    described = {"@type": "Person", "name": name}
    if url:
        described["url"] = url
    return described


def comment(response: Response, post_url: str) -> dict[str, Any]:
    # The permalink is built from the post's URL: ``response.get_absolute_url()``
    # would load the post again, once per comment.
    return {
        "@type": "Comment",
        "url": f"{post_url}#{response.anchor}",
        "dateCreated": iso_time(response.created_at),
        "author": person(response.author_name, response.author_url),
        "text": plain_text(response.body_html),
    }


def blog_posting(
    post: Post,
    tags: Iterable[Tag],
    responses: Iterable[Response],
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """The post as a ``BlogPosting``, with its visible comments.

    ``responses`` is the visible thread the page shows; pingbacks and trackbacks
    are left out of ``comment`` (they are links, not comments) but counted in
    ``commentCount``, which is the post's count of visible responses, the number
    the page's heading shows.
    """
    url = absolute(post.get_absolute_url(), request)
    author = person(
        post.author.display_name, absolute(post.author.get_absolute_url(), request)
    )
    if post.author.website:
        author["sameAs"] = post.author.website
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "url": url,
        "mainEntityOfPage": url,
        "description": post.summary,
        "author": author,
    }
    if post.published_at is not None:
        data["datePublished"] = iso_time(post.published_at)
    data["dateModified"] = iso_time(modified_at(post))
    data["keywords"] = [tag.name for tag in tags]
    data["commentCount"] = post.response_count
    data["comment"] = [
        comment(response, url)
        for response in responses
        if response.kind == Response.Kind.COMMENT
        and response.status == Response.Status.VISIBLE
    ]
    return data
