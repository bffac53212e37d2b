"""Writing the whole site as a WordPress eXtended RSS (WXR 1.2) file.

The file is what WordPress's own exporter writes (wp-admin/includes/export.php:
the same elements, in the same order), so WordPress's importer (Tools → Import →
WordPress) takes it: posts, pages, authors, tags and every response as a comment,
with its thread (``comment_parent``) and its state (``comment_approved``).
What WordPress has no field for (the text as written, the response's kind and
number, remote authors' details) rides along as ``_firsthand_*`` meta
(``names``): WordPress keeps it and ignores it; Firsthand's importer reads it back,
so importing the file into an empty Firsthand gives the same site.

It is written as a stream: one post with its responses at a time, read with
``.iterator()``, so memory stays flat whatever the site's size. Inside one
transaction, so the file is one moment of the site (on PostgreSQL a repeatable-read
snapshot; on SQLite a read transaction is one already).
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import html
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from firsthand.blog.models import Author, Post, Tag
from firsthand.conversation.models import Response
from firsthand.portability import names
from firsthand.rendering import clean_text

WXR_VERSION = "1.2"
# WordPress's own date format in WXR, and its "no date yet" for undated drafts.
WP_DATE = "%Y-%m-%d %H:%M:%S"
NO_DATE = "0000-00-00 00:00:00"
CHUNK = 500

# The comment types WordPress knows ("comment", "pingback", "trackback"); IndieWeb
# kinds it has no type for arrive as "webmention", as the Webmention plugin does.
COMMENT_TYPES: dict[str, str] = {
    Response.Kind.COMMENT: "comment",
    Response.Kind.REPLY: "comment",
    Response.Kind.PINGBACK: "pingback",
    Response.Kind.TRACKBACK: "trackback",
    Response.Kind.LIKE: "webmention",
    Response.Kind.REPOST: "webmention",
    Response.Kind.MENTION: "webmention",
}
_LINKBACK_KINDS = frozenset({Response.Kind.PINGBACK, Response.Kind.TRACKBACK})
_REACTION_WORDS: dict[str, str] = {
    Response.Kind.LIKE: "Liked",
    Response.Kind.REPOST: "Reblogged",
}

# What PHP's unserialize() could take for a serialized value: a letter, a colon,
# and a last character ";" or "}" (or "N;"), after PHP's trim(). A wider net than
# WordPress's is_serialized(), on purpose (see ``meta_value``).
_LOOKS_SERIALIZED = re.compile(r"\A(?:N;|[A-Za-z]:.*[;}])\Z", re.DOTALL)
_PHP_TRIM = " \t\n\r\0\x0b"

HEADER = """\
<?xml version="1.0" encoding="UTF-8" ?>
<!-- A WordPress eXtended RSS file: an export of a Firsthand site. -->
<!-- It holds the posts, pages, authors, tags and every response -->
<!-- (comments, replies, pingbacks, trackbacks and Webmentions), -->
<!-- with their threads and moderation states. -->
<!-- Into WordPress: Tools, Import, WordPress (install the importer -->
<!-- if asked), upload this file, map its authors to users. -->
<!-- Into Firsthand: firsthand import-wxr FILE -->
"""


@dataclasses.dataclass
class ExportReport:
    """What the file holds."""

    posts: int = 0
    pages: int = 0
    authors: int = 0
    tags: int = 0
    # Responses by kind ("comment", "like", …) and by status ("visible", "spam", …).
    responses: Counter[str] = dataclasses.field(default_factory=Counter)
    statuses: Counter[str] = dataclasses.field(default_factory=Counter)
    bytes: int = 0

    @property
    def response_total(self) -> int:
        return sum(self.responses.values())


class _Sink:
    """UTF-8 bytes to ``out``, counted."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.written = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.out.write(data)
        self.written += len(data)


def export_wxr(
    out: BinaryIO,
    *,
    site_url: str,
    progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write the whole site to ``out`` as WXR 1.2; links start with ``site_url``
    (``https://blog.example.com``). ``progress(done, total)`` is called after
    each post or page."""
    site_url = site_url.rstrip("/")
    report = ExportReport()
    sink = _Sink(out)
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Every query of the export sees the same moment of the site.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        total = Post.everything.count()
        sink.write(HEADER)
        sink.write(_channel_start(site_url))
        for author in Author.objects.select_related("user").order_by("pk").iterator():
            sink.write(_author(author))
            report.authors += 1
        for tag in Tag.objects.order_by("pk").iterator():
            sink.write(_tag(tag))
            report.tags += 1
        sink.write("\n\t<generator>Firsthand</generator>\n")
        now = timezone.now()
        for done, (post, responses) in enumerate(_posts_with_responses(), start=1):
            sink.write(_item(post, responses, site_url=site_url, now=now))
            if post.kind == Post.Kind.PAGE:
                report.pages += 1
            else:
                report.posts += 1
            for response in responses:
                report.responses[response.kind] += 1
                report.statuses[response.status] += 1
            if progress is not None:
                progress(done, total)
        sink.write("</channel>\n</rss>\n")
    report.bytes = sink.written
    return report


def _posts_with_responses() -> Iterator[tuple[Post, list[Response]]]:
    """Every post and page by id, each with its responses in thread order
    (numbered ones by number, then the never-numbered by arrival): two streams
    walked side by side, so the whole export is a handful of queries."""
    posts = (
        Post.everything.select_related("author__user", "parent")
        .prefetch_related("tags")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    )
    responses = (
        Response.objects.defer("reasons")
        .order_by("post_id", F("number").asc(nulls_last=True), "pk")
        .iterator(chunk_size=CHUNK)
    )
    groups = itertools.groupby(responses, key=lambda response: response.post_id)
    pending = next(groups, None)
    for post in posts:
        mine: list[Response] = []
        # Responses of posts not in this stream cannot exist (a foreign key, one
        # snapshot); skipping them keeps the two streams in step regardless.
        while pending is not None and pending[0] < post.pk:
            pending = next(groups, None)
        if pending is not None and pending[0] == post.pk:
            mine = list(pending[1])
            pending = next(groups, None)
        yield post, mine


# --- Pieces of XML ---------------------------------------------------------------


def cdata(text: str) -> str:
    """``text`` as a CDATA section that nothing in it can end early: each "]]>"
    is split across two sections ("]]" ends one, ">" starts the next)."""
    safe = clean_text(text).replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{safe}]]>"


def _text(text: str) -> str:
    return escape(clean_text(text))


def meta_value(text: str) -> str:
    """A meta value WordPress's importer gives back exactly as written.

    WordPress's importer passes every meta value through ``maybe_unserialize()``:
    a commenter's text that looks like PHP serialization ('O:8:"stdClass":…')
    would be turned into a PHP object on the importing site. Such a value is
    written as a serialized PHP string, as WordPress itself stores one
    (``maybe_serialize``): unserializing gives back the text, nothing else.
    Firsthand's importer undoes it the same way (``s:<bytes>:"…";``).
    """
    text = clean_text(text)
    if _LOOKS_SERIALIZED.match(text.strip(_PHP_TRIM)):
        return f's:{len(text.encode("utf-8"))}:"{text}";'
    return text


def _element(name: str, inner: str | int, indent: int = 2) -> str:
    tabs = "\t" * indent
    return f"{tabs}<{name}>{inner}</{name}>\n"


def _meta(tag: str, key: str, value: str, indent: int) -> str:
    tabs = "\t" * indent
    return (
        f"{tabs}<{tag}>\n"
        + _element("wp:meta_key", cdata(key), indent + 1)
        + _element("wp:meta_value", cdata(meta_value(value)), indent + 1)
        + f"{tabs}</{tag}>\n"
    )


def _local_date(moment: datetime.datetime) -> str:
    """The site's time zone, as WordPress's ``post_date`` is."""
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime(WP_DATE)


def _gmt_date(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime(WP_DATE)


def _rss_date(moment: datetime.datetime) -> str:
    """RFC 2822, in UTC, as WordPress writes it: "Wed, 05 Jun 2024 16:04:48 +0000"."""
    return email.utils.format_datetime(moment.astimezone(datetime.UTC))


def _channel_start(site_url: str) -> str:
    return (
        '<rss version="2.0"\n'
        f"\txmlns:excerpt={quoteattr(names.EXPORT_EXCERPT_NAMESPACE)}\n"
        f"\txmlns:content={quoteattr(names.CONTENT_NAMESPACE)}\n"
        f"\txmlns:wfw={quoteattr(names.WFW_NAMESPACE)}\n"
        f"\txmlns:dc={quoteattr(names.DC_NAMESPACE)}\n"
        f"\txmlns:wp={quoteattr(names.EXPORT_WP_NAMESPACE)}\n"
        ">\n<channel>\n"
        + _element("title", _text(settings.FIRSTHAND_SITE_NAME), 1)
        + _element("link", _text(site_url), 1)
        + _element("description", _text(settings.FIRSTHAND_SITE_TAGLINE), 1)
        + _element("pubDate", _rss_date(timezone.now()), 1)
        + _element("language", _text(settings.LANGUAGE_CODE), 1)
        + _element("wp:wxr_version", WXR_VERSION, 1)
        + _element("wp:base_site_url", _text(site_url), 1)
        + _element("wp:base_blog_url", _text(site_url), 1)
        + "\n"
    )


def _author(author: Author) -> str:
    user = author.user
    # WordPress stores display names HTML-escaped ("Tom &amp; Jerry") and its
    # importer shows them as HTML: escape, so "&" arrives as "&".
    return (
        "\t<wp:author>\n"
        + _element("wp:author_id", author.pk)
        + _element("wp:author_login", cdata(user.get_username()))
        + _element("wp:author_email", cdata(user.email))
        + _element("wp:author_display_name", cdata(_html(author.display_name)))
        + _element("wp:author_first_name", cdata(user.first_name))
        + _element("wp:author_last_name", cdata(user.last_name))
        + "\t</wp:author>\n"
    )


def _tag(tag: Tag) -> str:
    return (
        "\t<wp:tag>\n"
        + _element("wp:term_id", tag.pk)
        + _element("wp:tag_slug", cdata(tag.slug))
        + _element("wp:tag_name", cdata(_html(tag.name)))
        + "\t</wp:tag>\n"
    )


def _html(text: str) -> str:
    """Plain text as HTML text (WordPress shows names and comments as HTML)."""
    return html.escape(text, quote=False)


def _wp_status(post: Post, now: datetime.datetime) -> str:
    if post.status != Post.Status.PUBLISHED:
        return "draft"
    if post.published_at is not None and post.published_at > now:
        return "future"
    return "publish"


def _open(flag: bool) -> str:
    return cdata("open" if flag else "closed")


def _item(
    post: Post,
    responses: Iterable[Response],
    *,
    site_url: str,
    now: datetime.datetime,
) -> str:
    when = post.published_at or post.created_at
    # A draft never given a date has none in WordPress either ("0000-00-00"):
    # its local date is when it was written, as WordPress's own drafts show.
    gmt = _gmt_date(post.published_at) if post.published_at else NO_DATE
    parts = [
        "\n\t<item>\n",
        # WordPress shows titles, excerpts and names as HTML; Firsthand's are text.
        _element("title", cdata(_html(post.title))),
        _element("link", _text(site_url + post.get_absolute_url())),
        _element("pubDate", _rss_date(when)),
        _element("dc:creator", cdata(post.author.user.get_username())),
        f'\t\t<guid isPermaLink="false">urn:uuid:{post.uid}</guid>\n',
        _element("description", ""),
        _element("content:encoded", cdata(post.body_html)),
        _element("excerpt:encoded", cdata(_html(post.excerpt))),
        _element("wp:post_id", post.pk),
        _element("wp:post_date", cdata(_local_date(when))),
        _element("wp:post_date_gmt", cdata(gmt)),
        _element("wp:post_modified", cdata(_local_date(post.updated_at))),
        _element("wp:post_modified_gmt", cdata(_gmt_date(post.updated_at))),
        _element("wp:comment_status", _open(post.comments_open)),
        _element("wp:ping_status", _open(post.pings_open)),
        _element("wp:post_name", cdata(post.slug)),
        _element("wp:status", cdata(_wp_status(post, now))),
        _element("wp:post_parent", post.parent_id or 0),
        _element("wp:menu_order", post.menu_order),
        _element("wp:post_type", cdata(post.kind)),
        _element("wp:post_password", cdata("")),
        _element("wp:is_sticky", 0),
    ]
    parts.extend(
        f'\t\t<category domain="post_tag" nicename={quoteattr(clean_text(tag.slug))}>'
        f"{cdata(_html(tag.name))}</category>\n"
        for tag in post.tags.all()
    )
    parts.extend(
        _meta("wp:postmeta", key, value, 2)
        for key, value in (
            (names.META_BODY, post.body),
            (names.META_FORMAT, post.body_format),
            (names.META_UID, str(post.uid)),
        )
    )
    parts.extend(_comment(response) for response in responses)
    parts.append("\t</item>\n")
    return "".join(parts)


def _comment(response: Response) -> str:
    created = response.created_at
    parts = [
        "\t\t<wp:comment>\n",
        _element("wp:comment_id", response.pk, 3),
        _element("wp:comment_author", cdata(_html(response.author_name)), 3),
        _element("wp:comment_author_email", cdata(response.author_email), 3),
        _element("wp:comment_author_url", _text(_author_url(response)), 3),
        _element("wp:comment_author_IP", cdata(response.ip_address or ""), 3),
        _element("wp:comment_date", cdata(_local_date(created)), 3),
        _element("wp:comment_date_gmt", cdata(_gmt_date(created)), 3),
        _element("wp:comment_content", cdata(_comment_content(response)), 3),
        _element(
            "wp:comment_approved", cdata(names.STATUS_TO_APPROVED[response.status]), 3
        ),
        _element("wp:comment_type", cdata(COMMENT_TYPES[response.kind]), 3),
        _element("wp:comment_parent", response.parent_id or 0, 3),
        _element("wp:comment_user_id", 0, 3),
    ]
    metas: list[tuple[str, str]] = [(names.META_KIND, response.kind)]
    if response.number is not None:
        metas.append((names.META_NUMBER, str(response.number)))
    metas += [
        (names.META_FORMAT, response.body_format),
        (names.META_BODY, response.body),
        (names.META_UID, str(response.uid)),
    ]
    optional = (
        (names.META_SOURCE_URL, response.source_url),
        (names.META_SOURCE_TITLE, response.source_title),
        (names.META_AUTHOR_TITLE, response.author_title),
        (names.META_AUTHOR_PHOTO, response.author_photo),
    )
    metas += [(key, value) for key, value in optional if value]
    if response.edited_at is not None:
        edited = response.edited_at.astimezone(datetime.UTC)
        metas.append((names.META_EDITED_AT, edited.isoformat()))
    parts.extend(_meta("wp:commentmeta", key, value, 3) for key, value in metas)
    parts.append("\t\t</wp:comment>\n")
    return "".join(parts)


def _author_url(response: Response) -> str:
    """WordPress links a pingback's or trackback's name to the page that linked
    (its ``comment_author_url``); Firsthand keeps that page in ``source_url``."""
    if not response.author_url and response.kind in _LINKBACK_KINDS:
        return response.source_url
    return response.author_url


def _comment_content(response: Response) -> str:
    """What WordPress shows: the rendered, sanitised HTML of comments and replies;
    the excerpt of a linking page (HTML already if it came from WordPress); a
    sentence for a like or reblog, which has no text of its own."""
    if response.kind in (Response.Kind.COMMENT, Response.Kind.REPLY):
        return response.body_html
    if response.body_format == Post.Format.HTML:
        return response.body
    if not response.body.strip() and response.kind in _REACTION_WORDS:
        where = response.source_url or response.author_url
        return _html(f"{_REACTION_WORDS[response.kind]} this at {where}")
    return _html(response.body)
