"""The feeds: posts (site, tag, author) and responses (site, post), each in RSS 2.0,
Atom 1.0 and, for the site's posts and a post's responses, JSON Feed 1.1.

Built on ``django.contrib.syndication``. A feed object is shared by every request,
so nothing request-specific is kept on it: ``get_object`` returns a ``Scope``
carrying the site's address and whatever the feed is about.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import escape

from firsthand.blog.models import Author, Post, Tag
from firsthand.blog.views import find_post
from firsthand.conversation.models import Response
from firsthand.site import absolute, site_url
from firsthand.syndication.generators import AtomFeed, JsonFeed, RssFeed

POSTS_PER_FEED = 20
RESPONSES_PER_FEED = 50
FORMATS = {"rss": RssFeed, "atom": AtomFeed, "json": JsonFeed}


@dataclasses.dataclass(frozen=True)
class Scope:
    base: str  # the site's address, e.g. https://blog.example.com
    path: str  # this feed's own path
    post: Post | None = None
    tag: Tag | None = None
    author: Author | None = None

    def url(self, path: str) -> str:
        return absolute(path) if not self.base else self.base + path


def hub_path() -> str:
    return reverse("syndication:websub-hub")


class BaseFeed(Feed[Any, Scope]):
    """What every Firsthand feed shares: absolute URLs, WebSub links, clean text."""

    def __init__(self, fmt: str = "rss") -> None:
        super().__init__()
        self.feed_type = FORMATS[fmt]

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Scope:
        return Scope(base=site_url(request), path=request.path)

    def feed_url(self, scope: Scope) -> str:
        return scope.url(scope.path)

    def feed_extra_kwargs(self, scope: Scope) -> dict[str, Any]:
        return {"hub_url": scope.url(hub_path())}

    def item_guid_is_permalink(self, item: Any) -> bool:
        return False


class PostsFeed(BaseFeed):
    """The site's latest posts, in full."""

    def title(self, scope: Scope) -> str:
        return str(settings.FIRSTHAND_SITE_NAME)

    def link(self, scope: Scope) -> str:
        return scope.url(reverse("blog:home"))

    def description(self, scope: Scope) -> str:
        return str(settings.FIRSTHAND_SITE_TAGLINE)

    def items(self, scope: Scope) -> list[Post]:
        return list(
            Post.objects.published()
            .for_listing()
            .order_by("-published_at", "-pk")[:POSTS_PER_FEED]
        )

    def item_title(self, post: Post) -> str:
        return post.title

    def item_description(self, post: Post) -> str:
        # The summary is plain text (entities decoded, escaped where it is shown);
        # RSS and Atom readers take a description as HTML, so it is escaped into
        # HTML here: "&lt;script&gt;" in a post stays text in a reader too.
        return str(escape(post.summary))

    def item_link(self, post: Post) -> str:
        return self._scope.url(post.get_absolute_url())

    def item_guid(self, post: Post) -> str:
        return f"urn:uuid:{post.uid}"

    def item_pubdate(self, post: Post) -> datetime.datetime | None:
        return post.published_at

    def item_updateddate(self, post: Post) -> datetime.datetime:
        return post.updated_at

    def item_author_name(self, post: Post) -> str:
        return post.author.display_name

    def item_author_link(self, post: Post) -> str:
        return self._scope.url(post.author.get_absolute_url())

    def item_categories(self, post: Post) -> list[str]:
        return [tag.name for tag in post.tags.all()]

    def item_extra_kwargs(self, post: Post) -> dict[str, Any]:
        # JSON Feed's summary is plain text: the summary itself.
        return {"content_html": post.body_html, "summary_text": post.summary}

    def get_feed(self, obj: Scope, request: HttpRequest) -> Any:
        # item_* methods get only the item; the scope they need is set here, on a
        # per-call copy of the feed so concurrent requests never share it.
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        clone._scope = obj
        return Feed.get_feed(clone, obj, request)

    _scope: Scope


class TagPostsFeed(PostsFeed):
    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Scope:
        tag = get_object_or_404(Tag, slug=kwargs["slug"])
        return Scope(base=site_url(request), path=request.path, tag=tag)

    def title(self, scope: Scope) -> str:
        assert scope.tag is not None
        return f"{settings.FIRSTHAND_SITE_NAME}: posts tagged “{scope.tag.name}”"

    def link(self, scope: Scope) -> str:
        assert scope.tag is not None
        return scope.url(scope.tag.get_absolute_url())

    def items(self, scope: Scope) -> list[Post]:
        assert scope.tag is not None
        return list(
            scope.tag.posts.published()
            .for_listing()
            .order_by("-published_at", "-pk")[:POSTS_PER_FEED]
        )


class AuthorPostsFeed(PostsFeed):
    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Scope:
        author = get_object_or_404(Author, slug=kwargs["slug"])
        return Scope(base=site_url(request), path=request.path, author=author)

    def title(self, scope: Scope) -> str:
        assert scope.author is not None
        return f"{settings.FIRSTHAND_SITE_NAME}: posts by {scope.author.display_name}"

    def link(self, scope: Scope) -> str:
        assert scope.author is not None
        return scope.url(scope.author.get_absolute_url())

    def items(self, scope: Scope) -> list[Post]:
        assert scope.author is not None
        return list(
            scope.author.posts.published()
            .for_listing()
            .order_by("-published_at", "-pk")[:POSTS_PER_FEED]
        )


class ResponsesFeed(BaseFeed):
    """The site's latest visible responses, every kind."""

    def title(self, scope: Scope) -> str:
        return f"{settings.FIRSTHAND_SITE_NAME}: latest comments"

    def link(self, scope: Scope) -> str:
        return scope.url(reverse("blog:home"))

    def description(self, scope: Scope) -> str:
        return f"The conversation on {settings.FIRSTHAND_SITE_NAME}."

    def items(self, scope: Scope) -> list[Response]:
        return list(
            Response.objects.visible()
            .filter(post__in=Post.everything.published())
            .select_related("post")
            .order_by("-created_at", "-pk")[:RESPONSES_PER_FEED]
        )

    def item_title(self, response: Response) -> str:
        if response.is_link:
            source = response.source_title or response.author_name
            who = f"{response.get_kind_display()} from {source}"
        elif response.kind == Response.Kind.LIKE:
            who = f"{response.author_name} liked"
        elif response.kind == Response.Kind.REPOST:
            who = f"{response.author_name} reblogged"
        else:
            who = response.author_name
        return f"#{response.number} {who} on “{response.post.title}”"

    def item_description(self, response: Response) -> str:
        # Feed readers treat descriptions as HTML: comments are their sanitised
        # HTML; a link's excerpt is plain text, so it is escaped into HTML here
        # (the XML escaping the generator adds on top is undone by the reader).
        if response.is_link:
            return str(escape(response.body))
        return response.body_html

    def item_link(self, response: Response) -> str:
        return self._scope.url(response.get_absolute_url())

    def item_guid(self, response: Response) -> str:
        return f"urn:uuid:{response.uid}"

    def item_pubdate(self, response: Response) -> datetime.datetime:
        return response.created_at

    def item_updateddate(self, response: Response) -> datetime.datetime:
        return response.edited_at or response.created_at

    def item_author_name(self, response: Response) -> str:
        return response.author_name

    def item_author_link(self, response: Response) -> str | None:
        return (
            response.source_url if response.is_link else response.author_url
        ) or None

    def item_extra_kwargs(self, response: Response) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if not response.is_link:
            extra["content_html"] = response.body_html
        if response.is_link and response.source_url:
            extra["external_url"] = response.source_url
        return extra

    get_feed = PostsFeed.get_feed
    _scope: Scope


class PostResponsesFeed(ResponsesFeed):
    """One post's latest visible responses."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Scope:
        post = find_post(request, **kwargs)
        if not post.is_public:
            raise Http404("Drafts have no feed.")
        return Scope(base=site_url(request), path=request.path, post=post)

    def title(self, scope: Scope) -> str:
        assert scope.post is not None
        return f"Comments on “{scope.post.title}”"

    def link(self, scope: Scope) -> str:
        assert scope.post is not None
        return scope.url(f"{scope.post.get_absolute_url()}#responses")

    def description(self, scope: Scope) -> str:
        assert scope.post is not None
        site = settings.FIRSTHAND_SITE_NAME
        return f"The conversation under “{scope.post.title}” on {site}."

    def items(self, scope: Scope) -> list[Response]:
        assert scope.post is not None
        post = scope.post
        latest = list(
            Response.objects.visible()
            .filter(post=post)
            .order_by("-number")[:RESPONSES_PER_FEED]
        )
        for response in latest:
            response.post = post  # no query per item for its post
        return latest
