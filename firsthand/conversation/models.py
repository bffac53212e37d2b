"""Everything that answers a post is a Response, whatever way it arrived."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from firsthand.blog.models import Post


class ResponseQuerySet(models.QuerySet["Response"]):
    def visible(self) -> ResponseQuerySet:
        """What readers see and what the post's count counts."""
        return self.filter(status=Response.Status.VISIBLE)

    def awaiting_moderation(self) -> ResponseQuerySet:
        return self.filter(status=Response.Status.PENDING)

    def thread_of(self, post: Post) -> ResponseQuerySet:
        """The visible thread of one post, in order: the one query the page runs."""
        return self.visible().filter(post=post).order_by("number")


class Response(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        PINGBACK = "pingback", "Pingback"
        TRACKBACK = "trackback", "Trackback"

    # Kinds shown as an excerpt of another page, set apart from comments.
    LINK_KINDS = frozenset({Kind.PINGBACK, Kind.TRACKBACK})

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting moderation"
        VISIBLE = "visible", "Visible"
        SPAM = "spam", "Spam"
        REMOVED = "removed", "Removed"

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="responses")
    # Stable per-post number, given when the response first becomes visible and
    # never reused, even after the response is removed.
    number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COMMENT)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    author_name = models.CharField(max_length=200)
    author_email = models.EmailField(max_length=254, blank=True)
    author_url = models.URLField(max_length=500, blank=True)
    author_title = models.CharField("title or affiliation", max_length=200, blank=True)
    body = models.TextField(help_text="As written (Markdown for comments).")
    body_html = models.TextField(editable=False, default="")
    source_url = models.URLField(max_length=1000, blank=True)
    source_title = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["post", "number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "number"], name="response_number_unique_per_post"
            )
        ]
        indexes = [models.Index(fields=["post", "status", "number"])]

    def __str__(self) -> str:
        label = f"#{self.number}" if self.number else "unnumbered"
        return f"{label} by {self.author_name} on {self.post_id}"

    def get_absolute_url(self) -> str:
        if self.number is None:
            return f"{self.post.get_absolute_url()}#respond"
        return f"{self.post.get_absolute_url()}#{self.anchor}"

    @property
    def anchor(self) -> str:
        return f"comment-{self.number}"

    @property
    def is_link(self) -> bool:
        return self.kind in self.LINK_KINDS
