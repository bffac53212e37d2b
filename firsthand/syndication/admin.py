"""WebSub subscriptions in the admin: to look at, not to edit.

Subscribers change them through the hub (and its verification); the worker records
how pushes went. The list shows what is stuck: requests waiting for confirmation,
subscribers whose pushes fail. Jobs themselves are under *Task results*.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from firsthand.syndication.models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin[Subscription]):
    list_display = [
        "topic_path",
        "callback",
        "status",
        "expires_at",
        "requested_mode",
        "delivery",
        "failure_count",
        "last_delivery_at",
    ]
    list_filter = ["status", "delivery", "requested_mode"]
    search_fields = ["callback", "topic_path"]
    exclude = ["secret", "requested_secret"]  # never shown, even to staff

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Subscription | None = None
    ) -> bool:
        return False
