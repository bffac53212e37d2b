"""WebSub subscriptions: who asked to be pushed which feed, and how that went.

One row per (callback, topic). A request is stored at once in the ``requested_*``
fields and applied only when the callback confirms it (W3C WebSub section 5.1: a
renewal must not interrupt the active subscription, and a failed verification leaves
the state unchanged). ``status``, ``requested_at`` and ``delivery`` are the visible
columns that show stuck work (docs/protocols/websub.md).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def active(self, now: datetime.datetime | None = None) -> SubscriptionQuerySet:
        """Verified and within the lease: the ones that get pushes."""
        return self.filter(
            status=Subscription.Status.VERIFIED, expires_at__gt=now or timezone.now()
        )

    def lapsed(self, now: datetime.datetime | None = None) -> SubscriptionQuerySet:
        """Verified but past the lease: to be marked expired."""
        return self.filter(
            status=Subscription.Status.VERIFIED, expires_at__lte=now or timezone.now()
        )

    def awaiting_verification(self) -> SubscriptionQuerySet:
        """Requests the worker has not confirmed with their callback yet."""
        return self.exclude(requested_mode="").order_by("requested_at")

    def failing(self) -> SubscriptionQuerySet:
        """Subscribers whose last pushes did not get through."""
        return self.active().filter(failure_count__gt=0).order_by("-failure_count")


class Subscription(models.Model):
    class Mode(models.TextChoices):
        SUBSCRIBE = "subscribe", "Subscribe"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for its first verification"
        VERIFIED = "verified", "Verified: receives pushes"
        EXPIRED = "expired", "Lease ended"
        DENIED = "denied", "Denied by the hub"
        FAILED = "failed", "Verification failed"
        ENDED = "ended", "Ended by the subscriber"

    class Delivery(models.TextChoices):
        NONE = "", "Nothing pushed yet"
        DELIVERED = "delivered", "Delivered"
        RETRYING = "retrying", "Failed, will retry"
        GAVE_UP = "gave_up", "Failed, gave up on that update"

    callback = models.URLField(max_length=2000)
    # The topic URL as the subscriber wrote it (echoed back in verification) and the
    # feed path it names, which is what publishing matches (see topics.py).
    topic = models.URLField(max_length=2000)
    topic_path = models.CharField(max_length=500, db_index=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # Only what a verified request set. The spec caps a secret below 200 bytes.
    secret = models.CharField(max_length=200, blank=True)
    lease_seconds = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # The latest request, until its callback confirms or refuses it.
    requested_mode = models.CharField(max_length=11, choices=Mode.choices, blank=True)
    requested_secret = models.CharField(max_length=200, blank=True)
    requested_lease_seconds = models.PositiveIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    delivery = models.CharField(
        max_length=10, choices=Delivery.choices, default=Delivery.NONE, blank=True
    )
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    # Failed pushes in a row (0 after a success).
    failure_count = models.PositiveIntegerField(default=0)
    # What went wrong last, with the callback's status or the network error.
    last_error = models.CharField(max_length=500, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["callback", "topic_path"], name="one_subscription_per_feed"
            )
        ]
        ordering = ["topic_path", "callback"]

    def __str__(self) -> str:
        return f"{self.callback} → {self.topic_path} ({self.status})"
