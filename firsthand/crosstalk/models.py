"""What crosses between sites, stored before it is trusted.

Received pings are kept raw with a visible status and verified later by the worker
(STYLE habit 5: receive fast, store raw, process later); sent ones keep their
outcome per target so stuck work can be found and retried.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from firsthand.blog.models import Post
from firsthand.conversation.models import Response


def _token() -> str:
    return secrets.token_urlsafe(18)


class Inbound(models.Model):
    """A Webmention, pingback or trackback as it arrived."""

    class Protocol(models.TextChoices):
        WEBMENTION = "webmention", "Webmention"
        PINGBACK = "pingback", "Pingback"
        TRACKBACK = "trackback", "Trackback"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, waiting for verification"
        ACCEPTED = "accepted", "Verified and handed to the conversation"
        REJECTED = "rejected", "Refused (see reason)"
        REMOVED = "removed", "Source gone or no longer links: response removed"
        FAILED = "failed", "Could not be verified (see reason)"

    protocol = models.CharField(max_length=12, choices=Protocol.choices)
    source = models.URLField(max_length=2000)
    target = models.URLField(max_length=2000)
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="inbound"
    )
    # The request's own fields (trackback title/excerpt/blog_name, …), as sent.
    raw = models.JSONField(default=dict, blank=True)
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    reason = models.CharField(max_length=500, blank=True)
    response = models.ForeignKey(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The secret part of this mention's status URL (Webmention section 3.2.1).
    token = models.CharField(max_length=32, unique=True, default=_token)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["source", "target"])]

    def __str__(self) -> str:
        return f"{self.protocol} {self.source} -> {self.target} ({self.status})"


class Outbound(models.Model):
    """One link of one of our posts, and what happened when we told its site."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        NO_ENDPOINT = "none", "The site takes no Webmentions or pingbacks"
        FAILED = "failed", "Failed after retries (see error)"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="outbound")
    target = models.URLField(max_length=2000)
    protocol = models.CharField(max_length=12, blank=True)  # webmention / pingback
    endpoint = models.URLField(max_length=2000, blank=True)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # Still linked from the post's current text; False once the link was removed
    # (the target is told once more, so it can drop the mention).
    linked = models.BooleanField(default=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    result_url = models.URLField(max_length=2000, blank=True)  # a status URL given
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["post", "target"]
        constraints = [
            models.UniqueConstraint(fields=["post", "target"], name="outbound_once")
        ]

    def __str__(self) -> str:
        return f"{self.post_id} -> {self.target} ({self.status})"
