"""Bringing a WordPress blog in: posts, pages, authors, tags and every response.

One transaction for the whole file: a file that breaks halfway writes nothing.
Posts are written through ``blog.publishing`` and responses through
``conversation.intake`` (as the trusted source "import": numbered and counted,
not rate-limited, not judged unless asked, telling no one). Running the same file
again changes nothing: every post and response keeps a key from the export
(``import_key``) and is skipped when it is already here; a newer export of the
same blog adds only what is new. Nothing already on the site is ever changed.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime
import html
import ipaddress
import re
import uuid
import zoneinfo
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.html import strip_tags

from firsthand import pagecache
from firsthand.blog import publishing
from firsthand.blog.models import Author, Post, Tag
from firsthand.blog.rules import slug_for
from firsthand.conversation import history, intake, rules
from firsthand.conversation.models import Response
from firsthand.conversation.submission import Submission
from firsthand.portability import names, wxr
from firsthand.rendering import clean_text

IMPORTED_TYPES = frozenset({"post", "page"})
# WordPress comment types and the Firsthand kinds they become.
COMMENT_TYPES = {
    "": "comment",
    "comment": "comment",
    "pingback": "pingback",
    "trackback": "trackback",
    "webmention": "mention",
}
# What the WordPress Webmention plugin records a mention as (comment meta).
SEMANTIC_KINDS = {"like": "like", "repost": "repost", "reply": "reply"}


class ImportFailed(wxr.LineError):
    """The file could not be imported; nothing was written. ``line`` says where."""


@dataclasses.dataclass
class Skip:
    line: int
    what: str
    reason: str


@dataclasses.dataclass
class Report:
    """What an import did (or, with ``dry_run``, would do)."""

    dry_run: bool = False
    counts: collections.Counter[str] = dataclasses.field(
        default_factory=collections.Counter
    )
    skipped: list[Skip] = dataclasses.field(default_factory=list)
    # Small repairs made on the way ("an invalid email address was left out").
    notes: collections.Counter[str] = dataclasses.field(
        default_factory=collections.Counter
    )

    def skip(self, line: int, what: str, reason: str) -> None:
        self.skipped.append(Skip(line, what, reason))
        self.counts["skipped"] += 1

    def lines(self) -> list[str]:
        """The report in words, one fact per line."""
        out = [
            "Dry run: nothing was written. This is what the import would do."
            if self.dry_run
            else "Imported."
        ]
        order = [
            ("posts", "posts"),
            ("pages", "pages"),
            ("drafts", "of them drafts"),
            ("scheduled", "of them scheduled"),
            ("posts already here", "posts and pages already here (left as they are)"),
            ("authors", "authors added"),
            ("authors matched", "authors matched to existing accounts"),
            ("tags", "tags added"),
            ("categories read", "categories in the file (they become tags)"),
            ("tags read", "tags in the file"),
        ]
        out += [
            f"  {self.counts[k]:>7,} {label}" for k, label in order if self.counts[k]
        ]
        kinds = sorted(k for k in self.counts if k.startswith("responses: "))
        out += [
            f"  {self.counts[k]:>7,} {k.removeprefix('responses: ')}" for k in kinds
        ]
        if self.counts["responses already here"]:
            out.append(
                f"  {self.counts['responses already here']:>7,} responses already "
                "here (left as they are)"
            )
        for note, count in sorted(self.notes.items()):
            out.append(f"  {count:>7,}: {note}")
        if self.skipped:
            out.append(f"Skipped {len(self.skipped):,}:")
            reasons = collections.Counter(s.reason for s in self.skipped)
            for reason, count in reasons.most_common():
                example = next(s for s in self.skipped if s.reason == reason)
                out.append(
                    f"  {count:>7,}: {reason} (first: line {example.line}, "
                    f"{example.what})"
                )
        return out


def import_wxr(
    path: Path,
    *,
    dry_run: bool = False,
    judge_spam: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Import the WXR file at ``path``; see the module's docstring.

    Raises ``ImportFailed`` (nothing written) when the file is not a readable
    WordPress export.
    """
    report = Report(dry_run=dry_run)
    importer = _Importer(report, judge_spam=judge_spam)
    try:
        with transaction.atomic():
            for record in wxr.read(path, local_time=_site_time, progress=progress):
                importer.take(record)
            importer.finish()
            pagecache.bump_on_commit("site")  # page parents are set in bulk
            if dry_run:
                transaction.set_rollback(True)
    except wxr.WxrError as error:
        raise ImportFailed(error.reason, error.line) from None
    return report


def _site_time(text: str) -> datetime.datetime:
    """A WordPress local date, read in this site's time zone."""
    naive = datetime.datetime.fromisoformat(text)
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def plain(text: str) -> str:
    """Text from a bit of WordPress HTML: tags dropped, entities decoded (most
    names and titles have no tags: Django's strip_tags is skipped for them)."""
    if "<" in text:
        text = strip_tags(text)
    return " ".join(html.unescape(text).split())


class _Importer:
    def __init__(self, report: Report, *, judge_spam: bool) -> None:
        self.report = report
        self.judge = judge_spam
        self.channel = wxr.Channel()
        self.authors: dict[str, Author] = {}
        self.tags: dict[str, Tag] = {}
        # Pages whose parent is named by its WordPress id, resolved at the end.
        self.page_parents: list[tuple[int, int, int]] = []
        self.by_wp_id: dict[int, int] = {}

    # --- records -------------------------------------------------------------------

    def take(self, record: wxr.Record) -> None:
        if isinstance(record, wxr.Channel):
            self.channel = record
        elif isinstance(record, wxr.Author):
            if record.login:
                self.author(record.login, record)
        elif isinstance(record, wxr.Term):
            if record.taxonomy == "category":
                self.report.counts["categories read"] += 1
            elif record.taxonomy == "post_tag":
                self.report.counts["tags read"] += 1
                self.tag(record.slug, record.name)  # used by no post, still the site's
        else:
            self.item(record)

    def finish(self) -> None:
        for page_pk, parent_wp_id, _line in self.page_parents:
            parent_pk = self.by_wp_id.get(parent_wp_id)
            if parent_pk is None:
                self.report.notes["a page's parent was not in the file: top level"] += 1
                continue
            if parent_pk != page_pk:
                Post.everything.filter(pk=page_pk).update(parent_id=parent_pk)

    # --- authors and tags ----------------------------------------------------------

    def author(self, login: str, given: wxr.Author | None = None) -> Author:
        login = login.strip()[:150] or "imported"
        if login in self.authors:
            return self.authors[login]
        user = User.objects.filter(username=login).first()
        if user is None:
            user = User(
                username=login,
                email=self.email_or_blank(given.email if given else ""),
                first_name=(given.first_name if given else "")[:150],
                last_name=(given.last_name if given else "")[:150],
                is_active=False,
            )
            user.set_unusable_password()
            user.save()
        author = Author.objects.filter(user=user).first()
        if author is None:
            display = (given.display_name if given else "") or login
            display = clean_text(display)[:100]
            author = Author.objects.create(
                user=user,
                display_name=display,
                slug=publishing.author_slug(display),
                legacy_login=login,
            )
            self.report.counts["authors"] += 1
        else:
            if not author.legacy_login:
                author.legacy_login = login
                author.save(update_fields=["legacy_login"])
            self.report.counts["authors matched"] += 1
        self.authors[login] = author
        return author

    def tag(self, slug: str, name: str) -> Tag:
        """The tag for a WordPress category or tag (keeping its slug if free)."""
        name = clean_text(name).strip()[:100] or slug
        key = name.lower()
        if key not in self.tags:
            if not Tag.objects.filter(name__iexact=name).exists():
                self.report.counts["tags"] += 1
            self.tags[key] = publishing.tag_named(name, slug=slug)
        return self.tags[key]

    # --- posts and pages -----------------------------------------------------------

    def key_of(self, item: wxr.Item) -> str:
        """The same in every export of the item: its GUID (kept when a blog moves)
        with its id (GUIDs are not always unique within one export)."""
        if item.guid:
            return f"{item.guid[:280]} #{item.wp_id}"
        base = self.channel.base_site_url or self.channel.link
        return f"{base[:280]}/?p={item.wp_id}"

    def item(self, item: wxr.Item) -> None:
        what = f"{item.post_type} {item.wp_id} “{plain(item.title)[:60]}”"
        if item.post_type not in IMPORTED_TYPES:
            if item.post_type == "attachment":
                reason = (
                    "attachment: its file stays on the old site (posts keep "
                    "linking to it there)"
                )
            else:
                reason = f"WordPress “{item.post_type}” items are not imported"
            self.report.skip(item.line, what, reason)
            return
        if item.status in {"trash", "auto-draft", "inherit"}:
            self.report.skip(
                item.line, what, f"its WordPress status is “{item.status}”"
            )
            return
        key = self.key_of(item)
        post = Post.everything.filter(import_key=key).first()
        existing: dict[str, int] = {}
        if post is None:
            post = self.new_post(item, key)
        else:
            self.report.counts["posts already here"] += 1
            rows = Response.objects.filter(post=post, import_key__isnull=False)
            existing = {
                key: pk for key, pk in rows.values_list("import_key", "pk") if key
            }
        self.by_wp_id[item.wp_id] = post.pk
        self.comments(item, post, key, existing)

    def new_post(self, item: wxr.Item, key: str) -> Post:
        kind = Post.Kind.PAGE if item.post_type == "page" else Post.Kind.POST
        title = clean_text(plain(item.title))[:300]
        if not title:
            title = "(untitled)"
            self.report.notes["a post without a title was called “(untitled)”"] += 1
        body_format = item.meta.get(names.META_FORMAT, "")
        if body_format in Post.Format.values and names.META_BODY in item.meta:
            body = item.meta[names.META_BODY]
        else:
            body, body_format = item.content, Post.Format.HTML
        post = Post(
            kind=kind,
            title=title,
            slug=slug_for(item.slug or title),
            author=self.author(item.creator or "imported"),
            body=body,
            body_format=body_format,
            excerpt=clean_text(plain(item.excerpt)),
            comments_open=item.comment_status == "open",
            pings_open=item.ping_status == "open",
            menu_order=item.menu_order,
            import_key=key,
            legacy_id=item.wp_id or None,
        )
        uid = _uuid(item.meta.get(names.META_UID, ""))
        if uid is not None and not Post.everything.filter(uid=uid).exists():
            post.uid = uid
        self.status_of(item, post)
        publishing.save_post(post)
        if kind == Post.Kind.PAGE:
            self.report.counts["pages"] += 1
            if item.parent_id:
                self.page_parents.append((post.pk, item.parent_id, item.line))
        else:
            self.report.counts["posts"] += 1
            tags = [
                self.tag(slug, name)
                for taxonomy, slug, name in item.terms
                if taxonomy in {"category", "post_tag"}
            ]
            if tags:
                post.tags.add(*tags)
        return post

    def status_of(self, item: wxr.Item, post: Post) -> None:
        """Published, scheduled or draft, as WordPress had it; what Firsthand cannot
        show as it was (private or password-protected posts) becomes a draft."""
        what = f"{item.post_type} {item.wp_id}"
        if item.password:
            self.report.notes[
                "password-protected post imported as a draft (Firsthand has no "
                "passwords for posts)"
            ] += 1
            post.status, post.published_at = Post.Status.DRAFT, item.date
            self.report.counts["drafts"] += 1
            return
        if item.status in {"publish", "future"} and item.date is not None:
            post.status, post.published_at = Post.Status.PUBLISHED, item.date
            if item.status == "future" or item.date > datetime.datetime.now(
                datetime.UTC
            ):
                self.report.counts["scheduled"] += 1
            return
        if item.status == "private":
            self.report.notes["private post imported as a draft"] += 1
        elif item.status not in {"draft", "pending", "future", "publish"}:
            self.report.notes[f"{what}: unknown status, imported as a draft"] += 1
        post.status, post.published_at = Post.Status.DRAFT, item.date
        self.report.counts["drafts"] += 1

    # --- responses -----------------------------------------------------------------

    def comments(
        self, item: wxr.Item, post: Post, key: str, existing: dict[str, int]
    ) -> None:
        """Every comment of ``item``, oldest first, each after what it answers,
        handed to intake in one batch."""
        by_id: dict[int, wxr.Comment] = {}
        for c in item.comments:
            if c.wp_id in by_id:
                self.report.skip(c.line, f"comment {c.wp_id}", "the same id twice")
                continue
            by_id[c.wp_id] = c
        stored: dict[int, int] = {}  # WordPress id -> a response stored earlier
        for wp_id in by_id:
            pk = existing.get(f"{key}#comment-{wp_id}")
            if pk is not None:
                stored[wp_id] = pk
                self.report.counts["responses already here"] += 1
        entries: list[history.Entry] = []
        sent: list[wxr.Comment] = []
        index_of: dict[int, int] = {}  # WordPress id -> its entry
        done: set[int] = set(stored)
        never = datetime.datetime.max.replace(tzinfo=datetime.UTC)
        order = sorted(by_id.values(), key=lambda c: (c.date or never, c.wp_id))

        def visit(comment: wxr.Comment, trail: frozenset[int]) -> None:
            if comment.wp_id in done:
                return
            parent = by_id.get(comment.parent_id)
            # Its parent first (unless the file loops: then the loop is cut).
            if (
                parent is not None
                and parent.wp_id not in done
                and parent.wp_id not in trail
            ):
                visit(parent, trail | {comment.wp_id})
            done.add(comment.wp_id)
            entry = self.entry(
                comment,
                post,
                key,
                parent_pk=stored.get(comment.parent_id),
                parent_index=index_of.get(comment.parent_id),
            )
            if entry is not None:
                index_of[comment.wp_id] = len(entries)
                entries.append(entry)
                sent.append(comment)

        for comment in order:
            visit(comment, frozenset())
        if not entries:
            return
        results = history.receive_history(post.pk, entries, judge=self.judge)
        for comment, result in zip(sent, results, strict=True):
            if isinstance(result, intake.Rejected):
                what = f"comment {comment.wp_id} on “{post.title[:40]}”"
                self.report.skip(comment.line, what, str(result))
                continue
            kind_name = result.get_kind_display().lower()
            state = result.get_status_display().lower()
            self.report.counts[f"responses: {kind_name}s, {state}"] += 1
            if result.parent_id:
                self.report.counts["responses: of them replies in a thread"] += 1

    def entry(
        self,
        comment: wxr.Comment,
        post: Post,
        key: str,
        *,
        parent_pk: int | None,
        parent_index: int | None,
    ) -> history.Entry | None:
        """What one WordPress comment becomes (None: skipped, with the reason)."""
        meta = comment.meta
        kind = meta.get(names.META_KIND) or ""
        if kind not in rules.KINDS:
            semantic = SEMANTIC_KINDS.get(meta.get("semantic_linkbacks_type", ""))
            kind = semantic or COMMENT_TYPES.get(comment.type, "")
        if not kind:
            what = f"comment {comment.wp_id} on “{post.title[:40]}”"
            self.report.skip(
                comment.line, what, f"WordPress comment type “{comment.type}”"
            )
            return None
        status = names.APPROVED_TO_STATUS.get(comment.approved)
        if status is None:
            status = Response.Status.PENDING
            self.report.notes["unknown approval state: held for moderation"] += 1
        linked = kind in rules.REMOTE_KINDS
        source_url = meta.get(names.META_SOURCE_URL) or (
            comment.author_url if linked else ""
        )
        body_format = meta.get(names.META_FORMAT, "")
        if body_format in {"markdown", "html"} and names.META_BODY in meta:
            body = meta[names.META_BODY]
        elif kind in rules.RENDERED_KINDS:
            body, body_format = comment.content, "html"
        else:
            body, body_format = plain(comment.content), "markdown"
        name = plain(comment.author)
        if not name:
            name = "Anonymous"
        if len(name) > rules.NAME_MAX:
            name = name[: rules.NAME_MAX]
            self.report.notes["a name longer than 100 characters was shortened"] += 1
        # WordPress puts a pingback's source in comment_author_url; a Firsthand
        # export (with its kind) keeps the author's own address there.
        own_url = not linked or (
            names.META_KIND in meta and comment.author_url != source_url
        )
        submission = Submission(
            post_id=post.pk,
            kind=kind,
            author_name=name,
            author_email=self.email_or_blank(comment.author_email),
            author_url=self.url_or_blank(comment.author_url) if own_url else "",
            author_title=meta.get(names.META_AUTHOR_TITLE, "")[: rules.TITLE_MAX],
            author_photo=meta.get(names.META_AUTHOR_PHOTO, ""),
            body=body,
            body_format=body_format,
            source_url=source_url,
            source_title=meta.get(names.META_SOURCE_TITLE, ""),
            ip_address=_ip(comment.author_ip),
            created_at=comment.date or post.published_at or post.created_at,
            source="import",
            status=status,
            import_key=f"{key}#comment-{comment.wp_id}"[:400],
            number=_int(meta.get(names.META_NUMBER, "")),
            parent_id=parent_pk,
        )
        edited = None
        with contextlib.suppress(ValueError):
            edited = datetime.datetime.fromisoformat(meta.get(names.META_EDITED_AT, ""))
        return history.Entry(
            submission,
            parent=parent_index,
            uid=_uuid(meta.get(names.META_UID, "")),
            edited_at=edited,
        )

    def email_or_blank(self, email: str) -> str:
        email = email.strip()
        if email and (len(email) > rules.EMAIL_MAX or not rules.is_valid_email(email)):
            self.report.notes["an invalid email address was left out"] += 1
            return ""
        return email

    def url_or_blank(self, url: str) -> str:
        url = url.strip()
        if not url or url in {"http://", "https://"}:
            return ""
        if not rules.is_valid_url(url):
            self.report.notes["an invalid website address was left out"] += 1
            return ""
        return url


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _int(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text.strip()) else None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None
