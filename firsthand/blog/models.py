"""Posts, their authors and tags."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from firsthand.blog.addresses import address

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class Author(models.Model):
    """The public face of a user who writes posts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="author"
    )
    slug = models.SlugField(max_length=100, unique=True)
    # The login this author had on the WordPress site imported from: WordPress
    # published it in /author/<login>/ addresses, which keep working through it.
    # A login of this site's own is never looked up from an address (no probing
    # for account names).
    legacy_login = models.CharField(max_length=150, blank=True, db_index=True)
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
        return address("blog:author", slug=self.slug)


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return address("blog:tag", slug=self.slug)


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


class PostManager(models.Manager["Post"]):
    """Posts only (not pages), with PostQuerySet's methods."""

    def get_queryset(self) -> PostQuerySet:
        return PostQuerySet(self.model, using=self._db).filter(kind=Post.Kind.POST)

    def published(self) -> PostQuerySet:
        return self.get_queryset().published()

    def visible_to(self, user: User | AnonymousUser) -> PostQuerySet:
        return self.get_queryset().visible_to(user)

    def for_listing(self) -> PostQuerySet:
        return self.get_queryset().for_listing()


class PageManager(models.Manager["Post"]):
    """Pages only."""

    def get_queryset(self) -> PostQuerySet:
        return PostQuerySet(self.model, using=self._db).filter(kind=Post.Kind.PAGE)

    def published(self) -> PostQuerySet:
        return self.get_queryset().published()

    def visible_to(self, user: User | AnonymousUser) -> PostQuerySet:
        return self.get_queryset().visible_to(user)


class Post(models.Model):
    """A dated post, or (``kind`` "page") an undated page such as "About".

    Both live in one table so a page's conversation works exactly like a post's.
    ``Post.objects`` lists posts only (listings, feeds and archives can never pick
    up a page by accident); ``Page.objects`` lists pages; ``Post.everything`` both.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Kind(models.TextChoices):
        POST = "post", "Post"
        PAGE = "page", "Page"

    class Format(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        # Imported from WordPress: HTML with its paragraphs made by blank lines.
        HTML = "html", "HTML"

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
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.POST, editable=False
    )
    body_format = models.CharField(
        max_length=10,
        choices=Format.choices,
        default=Format.MARKDOWN,
        help_text="Markdown for what is written here; HTML for imported text.",
    )
    # Pages only: the page it sits under (its address is below the parent's) and
    # its place among its siblings.
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"kind": "page"},
    )
    menu_order = models.IntegerField(default=0)
    # Where an imported post came from: a key that is the same in every export of
    # it (so importing again changes nothing), and its id on the old site (so the
    # old site's "/?p=123" links still lead to it).
    import_key = models.CharField(
        max_length=300, null=True, blank=True, unique=True, editable=False
    )
    legacy_id = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, editable=False
    )
    # Kept by conversation's workflows in the same transaction as each write.
    response_count = models.PositiveIntegerField(default=0, editable=False)
    last_response_number = models.PositiveIntegerField(default=0, editable=False)
    # How many top-level conversations the thread has had (pages count these).
    last_root_ordinal = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostManager()
    everything = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["kind", "status", "published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        if self.kind == self.Kind.PAGE:
            return address("blog:page", path=self.page_path)
        day = timezone.localtime(self.permalink_time).date()
        return address(
            "blog:post", year=day.year, month=day.month, day=day.day, slug=self.slug
        )

    @property
    def page_path(self) -> str:
        """A page's address below the site root: its ancestors' slugs and its own."""
        slugs = [self.slug]
        above, seen = self.parent, {self.pk}
        while above is not None and above.pk not in seen:
            seen.add(above.pk)
            slugs.append(above.slug)
            above = above.parent
        return "/".join(reversed(slugs))

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


class Page(Post):
    """An undated page ("About", "Contact"), at ``/<parent slug>/<slug>/``."""

    objects = PageManager()  # type: ignore[assignment,misc]

    class Meta:
        proxy = True
        ordering = ["menu_order", "title"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.kind = Post.Kind.PAGE
        super().save(*args, **kwargs)
