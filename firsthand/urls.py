"""The whole URL map of the site, grouped by room."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import include, path, register_converter

from firsthand import login, pagecache
from firsthand.blog import legacy_views as legacy, views as blog
from firsthand.conversation import (
    addressing_views,
    following_views as following,
    moderation_views as moderate,
    own_views,
    page_views as pages,
    privacy_views as privacy,
    views as conversation,
)
from firsthand.crosstalk import reblog_views, views as crosstalk
from firsthand.crosstalk.advertise import advertised
from firsthand.syndication import feed_views, feeds, websub_views
from firsthand.syndication.views import sitemap_patterns


class TwoDigits:
    """A month or day in a URL: 07. ``reverse`` pads 7 back to 07."""

    width = 2
    regex = "[0-9]{2}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):0{self.width}d}"


class FourDigits(TwoDigits):
    """A year in a URL: 2009."""

    width = 4
    regex = "[0-9]{4}"


class PagePath:
    """A page's slugs from the top, "about" or "about/team" (slug characters only,
    so /favicon.ico or /feeds/posts.rss never look like a page)."""

    regex = r"[-\w]+(?:/[-\w]+)*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


listing = pagecache.cacheable("site", "responses")

register_converter(FourDigits, "yyyy")
register_converter(TwoDigits, "dd")
register_converter(PagePath, "pagepath")

# --- Old WordPress addresses: permanent redirects (blog.legacy_views) ---------------
# In the blog list, after its own dated routes (so /2024/05/17/ stays a day) and
# before the pages' catch-all; docs/pages-and-old-urls.md.
legacy_patterns = [
    path(
        "<yyyy:year>/<dd:month>/<dd:day>/<str:slug>/feed/",
        legacy.post_feed,
        name="legacy-post-feed",
    ),
    path(
        "<yyyy:year>/<dd:month>/<str:slug>/",
        legacy.month_post,
        name="legacy-month-post",
    ),
    *[
        path(old, legacy.to_route("syndication:posts-rss"))
        for old in ("feed/", "feed/rss2/", "feed/rss/", "feed/rdf/", "rss/")
    ],
    path("feed/atom/", legacy.to_route("syndication:posts-atom")),
    path("comments/feed/", legacy.to_route("syndication:responses-rss")),
    path("category/<pagepath:path>/feed/", legacy.tag_feed),
    path("tag/<pagepath:path>/feed/", legacy.tag_feed),
    path("category/<pagepath:path>/", legacy.tag),
    path("tag/<pagepath:path>/", legacy.tag),
    path("author/<str:login>/", legacy.author),
    path("<pagepath:path>/feed/", legacy.slug_feed),
]

blog_patterns = (
    [
        # Lists of posts, kept by the page cache until a post, tag, author or
        # response changes (firsthand/pagecache.py).
        path("", listing(blog.home), name="home"),
        path("archive/", listing(blog.archive_index), name="archive"),
        path("tags/", listing(blog.tag_index), name="tags"),
        path("tags/<str:slug>/", listing(blog.tag), name="tag"),
        path("authors/<slug:slug>/", listing(blog.author), name="author"),
        path("<yyyy:year>/", listing(blog.YearArchive.as_view()), name="year"),
        path(
            "<yyyy:year>/<dd:month>/",
            listing(blog.MonthArchive.as_view()),
            name="month",
        ),
        path(
            "<yyyy:year>/<dd:month>/<dd:day>/",
            listing(blog.DayArchive.as_view()),
            name="day",
        ),
        # The article page shows the post and its conversation (see conversation.views).
        # Wrapped to send the Webmention and Pingback discovery headers.
        # A wrong date (old WordPress links) redirects to the right one.
        path(
            "<yyyy:year>/<dd:month>/<dd:day>/<str:slug>/",
            legacy.follow_moves(advertised(conversation.article)),
            name="post",
        ),
        # Threads: the reply form for one response (works without script), and a
        # response's lasting address, which redirects to the page it is on.
        path(
            "<yyyy:year>/<dd:month>/<dd:day>/<str:slug>/reply/<int:number>/",
            legacy.follow_moves(conversation.reply_form),
            name="reply",
        ),
        path(
            "<yyyy:year>/<dd:month>/<dd:day>/<str:slug>/comments/<int:number>/",
            legacy.follow_moves(conversation.permalink),
            name="response",
        ),
        # Whom a comment being typed addresses, for the form's script
        # (conversation.addressing_views; docs/addressing.md).
        path(
            "<yyyy:year>/<dd:month>/<dd:day>/<str:slug>/addressee/",
            addressing_views.addressee,
            name="addressee",
        ),
        *legacy_patterns,
        # Pages at the root (/about/, /about/team/), LAST of the whole map so every
        # other route wins; a page's reply form and comment permalinks as a post's
        # (conversation.page_views; docs/pages-and-old-urls.md).
        path(
            "<pagepath:path>/reply/<int:number>/",
            pages.reply_form,
            name="page-reply",
        ),
        path(
            "<pagepath:path>/comments/<int:number>/",
            pages.permalink,
            name="page-response",
        ),
        path("<pagepath:path>/", pages.page, name="page"),
    ],
    "blog",
)

conversation_patterns = (
    [path("respond/<int:post_id>/", conversation.respond, name="respond")],
    "conversation",
)

# --- Following: email follows, confirmation and one-click unsubscribe -----------
# (conversation.following_views; docs/notifications.md)
following_patterns: tuple[list[Any], str] = (
    [
        path("follow/confirm/<str:token>/", following.confirm, name="confirm"),
        path(
            "follow/unsubscribe/<str:token>/",
            following.unsubscribe,
            name="unsubscribe",
        ),
        path(
            "follow/author-unsubscribe/<str:token>/",
            following.author_unsubscribe,
            name="author-unsubscribe",
        ),
    ],
    "following",
)

# --- Privacy: a commenter's own responses by email address --------------------
# (conversation.privacy_views; docs/privacy.md)
privacy_patterns: tuple[list[Any], str] = (
    [
        path("privacy/", privacy.about, name="about"),
        path("privacy/responses/<str:token>/", privacy.responses, name="responses"),
        path(
            "privacy/responses/<str:token>/export.json",
            privacy.export,
            name="export",
        ),
        path("privacy/responses/<str:token>/delete/", privacy.delete, name="delete"),
    ],
    "privacy",
)

# --- Own responses: the commenter edits or withdraws within the edit window ----
# (conversation.own_views)
own_patterns: tuple[list[Any], str] = (
    [
        path("respond/<int:pk>/edit/", own_views.edit, name="edit"),
        path("respond/<int:pk>/withdraw/", own_views.withdraw, name="withdraw"),
    ],
    "own",
)

# --- Moderation queue -----------------------------------------------------------
# Staff with the "can change response" permission; every action is a POST that
# calls one workflow in conversation.moderation (see conversation.moderation_views).
moderate_patterns = (
    [
        path("", moderate.queue, name="queue"),
        path("bulk/", moderate.bulk, name="bulk"),
        path("<int:pk>/approve/", moderate.approve, name="approve"),
        path("<int:pk>/spam/", moderate.spam, name="spam"),
        path("<int:pk>/trash/", moderate.trash, name="trash"),
        path("<int:pk>/reply/", moderate.reply, name="reply"),
        path("<int:pk>/edit/", moderate.edit, name="edit"),
        path("<int:pk>/merge/", moderate.merge, name="merge"),
        path("<int:pk>/ban/", moderate.ban, name="ban"),
    ],
    "moderate",
)

# --- Syndication: feeds ------------------------------------------------------------
# Every feed in RSS 2.0 and Atom 1.0; the site's posts and a post's responses also in
# JSON Feed 1.1. Served with ETag / Last-Modified and a state-keyed cache.
_POST = "<yyyy:year>/<dd:month>/<dd:day>/<str:slug>"
syndication_patterns = (
    [
        *[
            path(
                f"feeds/posts.{fmt}",
                feed_views.serve(feeds.PostsFeed(fmt), feed_views.posts_state),
                name=f"posts-{fmt}",
            )
            for fmt in ("rss", "atom", "json")
        ],
        *[
            path(
                f"feeds/comments.{fmt}",
                feed_views.serve(feeds.ResponsesFeed(fmt), feed_views.responses_state),
                name=f"responses-{fmt}",
            )
            for fmt in ("rss", "atom")
        ],
        *[
            path(
                f"tags/<str:slug>/feed.{fmt}",
                feed_views.serve(feeds.TagPostsFeed(fmt), feed_views.tag_state),
                name=f"tag-{fmt}",
            )
            for fmt in ("rss", "atom")
        ],
        *[
            path(
                f"authors/<slug:slug>/feed.{fmt}",
                feed_views.serve(feeds.AuthorPostsFeed(fmt), feed_views.author_state),
                name=f"author-{fmt}",
            )
            for fmt in ("rss", "atom")
        ],
        *[
            path(
                f"{_POST}/comments.{fmt}",
                legacy.follow_moves(
                    feed_views.serve(
                        feeds.PostResponsesFeed(fmt), feed_views.post_responses_state
                    )
                ),
                name=f"post-responses-{fmt}",
            )
            for fmt in ("rss", "atom", "json")
        ],
        # WebSub: Firsthand is its own hub (firsthand.syndication.websub_views).
        path("websub/", websub_views.hub, name="websub-hub"),
    ],
    "syndication",
)

# --- Crosstalk: sending and reblog ----------------------------------------------------
# "Reblog this post" sends a reader to <their site>/reblog/?url=<the post>
# (crosstalk.reblog_views; docs/reblog.md).
reblog_patterns = (
    [
        path("reblog/", reblog_views.compose, name="compose"),
        path("reblog/out/<int:post_id>/", reblog_views.out, name="out"),
    ],
    "reblog",
)

# --- Crosstalk: receiving -------------------------------------------------------------
# Webmention, Pingback (XML-RPC, also at WordPress's address) and TrackBack
# endpoints; each stores the ping and answers at once, the worker verifies it
# (crosstalk.views, docs/protocols/webmention.md, pingback.md, trackback.md).
crosstalk_patterns = (
    [
        path("webmention/", crosstalk.webmention, name="webmention"),
        path(
            "webmention/status/<str:token>/",
            crosstalk.webmention_status,
            name="webmention-status",
        ),
        path("xmlrpc/", crosstalk.xmlrpc, name="xmlrpc"),
        path("xmlrpc.php", crosstalk.xmlrpc),
        path("trackback/<int:post_id>/", crosstalk.trackback, name="trackback"),
    ],
    "crosstalk",
)

urlpatterns = [
    # Sign-in attempts are counted before a password is hashed (firsthand/login.py).
    path("admin/login/", login.admin_login),
    path("admin/", admin.site.urls),
    # --- Syndication: sitemap and robots, at the root where crawlers look for them.
    path("", include(sitemap_patterns)),
    path("", include(syndication_patterns)),
    path("moderate/", include(moderate_patterns)),
    path("", include(conversation_patterns)),
    path("", include(following_patterns)),
    path("", include(privacy_patterns)),
    path("", include(own_patterns)),
    path("", include(reblog_patterns)),
    path("", include(crosstalk_patterns)),
    # Last: it ends with the pages' catch-all.
    path("", include(blog_patterns)),
]

admin.site.login_form = login.ThrottledAuthenticationForm
# A request too big to read says so (413), naming the limit (firsthand.errors).
handler400 = "firsthand.errors.bad_request"

admin.site.site_header = "Firsthand"
admin.site.site_title = "Firsthand admin"
admin.site.index_title = "Write and moderate"
