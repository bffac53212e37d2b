"""Write workflows for posts: each one atomic, each one a verb."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from firsthand.blog import signals
from firsthand.blog.models import Author, Post, Tag
from firsthand.blog.rules import slug_for, unique_slug
from firsthand.rendering import clean_text, plain_excerpt, render_post


@transaction.atomic
def save_post(post: Post) -> Post:
    """Store a post's text: render its Markdown once, derive its summary and slug."""
    post.title = clean_text(post.title).strip()
    post.body = clean_text(post.body)
    post.excerpt = clean_text(post.excerpt).strip()
    post.body_html = render_post(post.body)
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
def tag_named(name: str) -> Tag:
    """The tag with this name, created if new."""
    name = clean_text(name).strip()
    existing = Tag.objects.filter(name__iexact=name).first()
    if existing:
        return existing
    slug = unique_slug(slug_for(name), lambda s: Tag.objects.filter(slug=s).exists())
    return Tag.objects.create(name=name, slug=slug)


def author_slug(display_name: str) -> str:
    """A free URL slug for a new author."""
    others = Author.objects.all()
    return unique_slug(
        slug_for(display_name, max_length=100),
        lambda s: others.filter(slug=s).exists(),
        max_length=100,
    )
