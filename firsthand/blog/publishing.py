"""Write workflows for posts: each one atomic, each one a verb."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from firsthand.blog import signals
from firsthand.blog.models import Author, Post, Tag
from firsthand.blog.rules import slug_for, unique_slug
from firsthand.rendering import clean_text, plain_excerpt, render_post_body


@transaction.atomic
def save_post(post: Post) -> Post:
    """Store a post's text: render its Markdown once, derive its summary and slug."""
    post.title = clean_text(post.title).strip()
    post.body = clean_text(post.body)
    post.excerpt = clean_text(post.excerpt).strip()
    post.body_html = render_post_body(post.body, post.body_format)
    post.summary = post.excerpt or plain_excerpt(post.body_html)
    base = post.slug or slug_for(post.title)
    others = Post.everything.exclude(pk=post.pk) if post.pk else Post.everything.all()
    post.slug = unique_slug(base, lambda s: others.filter(slug=s).exists())
    was_public = (
        bool(post.pk) and Post.everything.filter(pk=post.pk).published().exists()
    )
    post.save()
    if was_public and post.is_public:
        post_id = post.pk
        transaction.on_commit(
            lambda: signals.post_edited.send(sender=Post, post_id=post_id)
        )
    return post


@transaction.atomic
def publish_post(post: Post, *, at: datetime.datetime | None = None) -> Post:
    """Make a post public now, or at ``at`` (a future time schedules it)."""
    was_public = (
        post.pk is not None and Post.everything.filter(pk=post.pk).published().exists()
    )
    post.status = Post.Status.PUBLISHED
    post.published_at = at or post.published_at or timezone.now()
    saved = save_post(post)
    if saved.is_public and not was_public:
        transaction.on_commit(
            lambda: signals.post_published.send(sender=Post, post_id=saved.pk)
        )
    elif not saved.is_public and saved.published_at is not None:
        at = saved.published_at
        transaction.on_commit(
            lambda: signals.post_scheduled.send(sender=Post, post_id=saved.pk, at=at)
        )
    return saved


@transaction.atomic
def unpublish_post(post: Post) -> Post:
    """Take a post back to draft; it keeps its date for when it returns."""
    post.status = Post.Status.DRAFT
    return save_post(post)


@transaction.atomic
def tag_named(name: str, *, slug: str = "") -> Tag:
    """The tag with this name, created if new (with ``slug`` if it is free, so
    an imported blog's tag addresses stay what they were)."""
    name = clean_text(name).strip()
    existing = Tag.objects.filter(name__iexact=name).first()
    if existing:
        return existing
    wanted = slug_for(slug or name, max_length=100)
    free = unique_slug(
        wanted, lambda s: Tag.objects.filter(slug=s).exists(), max_length=100
    )
    return Tag.objects.create(name=name[:100], slug=free)


def author_slug(display_name: str) -> str:
    """A free URL slug for a new author."""
    others = Author.objects.all()
    return unique_slug(
        slug_for(display_name, max_length=100),
        lambda s: others.filter(slug=s).exists(),
        max_length=100,
    )


# --- Pages ------------------------------------------------------------------------
# A page lives at the site's root (/about/, /about/team/), where the site's own
# addresses live too: a page may never take an address another view answers.

logger = logging.getLogger(__name__)


def page_address_problem(path: str) -> str | None:
    """Why ``/<path>/`` cannot be a page's address, or None when it can.

    ``path`` is the page's slugs from the top ("about/team"). A top-level page may
    not take the first word of any of the site's own addresses ("archive",
    "feeds", "admin", WordPress's "feed"…), and no page may take an address that
    some other view answers ("/2024/", "/about/feed/").
    """
    first = path.split("/", 1)[0]
    if first.casefold() in _reserved_words():
        return (
            f"/{first}/ is where the site keeps its own pages "
            f"(/{first}/… addresses); choose another slug."
        )
    try:
        match = resolve(f"/{path}/")
    except Resolver404:
        return None
    if match.view_name != "blog:page":
        return (
            f"/{path}/ is already the address of another page of the site; "
            "choose another slug."
        )
    return None


def _reserved_words() -> set[str]:
    """The literal first parts of every address in the URL map, plus static files."""
    words = {
        url.strip("/").split("/", 1)[0].casefold()
        for url in (settings.STATIC_URL, getattr(settings, "MEDIA_URL", ""))
        if url and url.startswith("/")
    }
    pending: list[URLPattern | URLResolver] = list(get_resolver().url_patterns)
    while pending:
        entry = pending.pop()
        first = str(entry.pattern).lstrip("^").split("/", 1)[0]
        if first and "<" not in first and "(" not in first:
            words.add(first.rstrip("$").casefold())
        elif isinstance(entry, URLResolver) and not first:
            pending.extend(entry.url_patterns)
    words.discard("")
    return words


def _page_slug(page: Post) -> str:
    """A slug no row has and whose address no other view answers."""
    base = page.slug or slug_for(clean_text(page.title).strip())
    others = Post.everything.exclude(pk=page.pk) if page.pk else Post.everything.all()
    above = f"{page.parent.page_path}/" if page.parent is not None else ""

    def taken(slug: str) -> bool:
        return (
            others.filter(slug=slug).exists()
            or page_address_problem(above + slug) is not None
        )

    slug = unique_slug(base, taken)
    if slug != base:
        # Said so in the log for imports; the admin refuses before it comes to this.
        logger.warning(
            "Page %r is at /%s%s/: /%s%s/ is taken (%s)",
            page.title,
            above,
            slug,
            above,
            base,
            page_address_problem(above + base) or "by another post or page",
        )
    return slug


def _check_parent(page: Post) -> None:
    parent = page.parent
    seen: set[int] = set()
    while parent is not None:
        if parent.kind != Post.Kind.PAGE:
            raise ValueError(
                f"{parent.title!r} is a post; a page can only sit under another page."
            )
        if page.pk is not None and parent.pk == page.pk:
            raise ValueError(
                "A page cannot sit under itself or one of its own subpages; "
                "choose another parent."
            )
        if parent.pk in seen:
            break
        seen.add(parent.pk)
        parent = parent.parent


@transaction.atomic
def save_page(page: Post) -> Post:
    """Store a page: like ``save_post``, with a slug free of the site's addresses.

    A slug taken by another post or page, or whose address another view answers
    (a page called "Archive"), gets a number: "archive-2".
    """
    page.kind = Post.Kind.PAGE
    _check_parent(page)
    page.slug = _page_slug(page)
    return save_post(page)


@transaction.atomic
def publish_page(page: Post, *, at: datetime.datetime | None = None) -> Post:
    """Make a page public now, or at ``at``."""
    page.kind = Post.Kind.PAGE
    _check_parent(page)
    page.slug = _page_slug(page)
    return publish_post(page, at=at)


@transaction.atomic
def unpublish_page(page: Post) -> Post:
    """Take a page back to draft (its subpages become unreachable for readers)."""
    page.status = Post.Status.DRAFT
    return save_page(page)
