"""Posts, their authors and tags."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class Author(models.Model):
    """The public face of a user who writes posts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="author"
    )
    slug = models.SlugField(max_length=100, unique=True)
    display_name = models.CharField(max_length=100)
    bio = models.TextField(blank=True)
    website = models.URLField(blank=True)
    notify_by_email = models.BooleanField(
        "email me new and held responses to my posts", default=True
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("blog:author", kwargs={"slug": self.slug})


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blog:tag", kwargs={"slug": self.slug})


class PostQuerySet(models.QuerySet["Post"]):
    def published(self) -> PostQuerySet:
        """Posts readers may see: published, and their time has come."""
        return self.filter(
            status=Post.Status.PUBLISHED, published_at__lte=timezone.now()
        )

    def visible_to(self, user: User | AnonymousUser) -> PostQuerySet:
        """Staff also see drafts and scheduled posts; others only published ones."""
        if user.is_active and user.is_staff:
            return self.all()
        return self.published()

    def for_listing(self) -> PostQuerySet:
        """The one recipe for lists of posts: author and tags in two queries."""
        return self.select_related("author").prefetch_related("tags")


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    # A name for the post that never changes, whatever is edited (feed ids).
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        allow_unicode=True,
        blank=True,
        help_text="Part of the address. Left empty, it is made from the title.",
    )
    author = models.ForeignKey(
        Author,
        on_delete=models.PROTECT,
        related_name="posts",
        help_text="Who signs the post. New here? Add your profile under Authors first.",
    )
    body = models.TextField(help_text="Markdown. HTML is allowed and sanitised.")
    body_html = models.TextField(editable=False, default="")
    excerpt = models.TextField(
        blank=True,
        help_text="Shown in lists. Left empty, the start of the post is used.",
    )
    summary = models.TextField(editable=False, default="")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the post appears. A time in the future schedules it.",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    comments_open = models.BooleanField(default=True)
    pings_open = models.BooleanField(
        default=True,
        help_text="Accept pingbacks and trackbacks (Webmentions follow comments_open).",
    )
    # Kept by conversation's workflows in the same transaction as each write.
    response_count = models.PositiveIntegerField(default=0, editable=False)
    last_response_number = models.PositiveIntegerField(default=0, editable=False)
    # How many top-level conversations the thread has had (pages count these).
    last_root_ordinal = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        day = timezone.localtime(self.permalink_time).date()
        return reverse(
            "blog:post",
            kwargs={
                "year": day.year,
                "month": day.month,
                "day": day.day,
                "slug": self.slug,
            },
        )

    @property
    def permalink_time(self) -> datetime.datetime:
        """Drafts have no publication time yet; their preview URL uses creation."""
        return self.published_at or self.created_at or timezone.now()

    @property
    def is_public(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )
