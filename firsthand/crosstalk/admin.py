"""Received and sent pings, read-only: what crossed between sites and how it went.

Stuck work shows here by its status (received but never verified, pending sends);
`firsthand worker` processes it.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from firsthand.crosstalk.models import Inbound, Outbound


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Inbound)
class InboundAdmin(_ReadOnly, admin.ModelAdmin[Inbound]):
    list_display = ["created_at", "protocol", "status", "source", "post", "reason"]
    list_filter = ["protocol", "status"]
    search_fields = ["source", "target", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["post"]
    exclude = ["token"]  # the status URL's secret part


@admin.register(Outbound)
class OutboundAdmin(_ReadOnly, admin.ModelAdmin[Outbound]):
    list_display = ["post", "target", "protocol", "status", "attempts", "sent_at"]
    list_filter = ["status", "protocol", "linked"]
    search_fields = ["target", "last_error"]
    list_select_related = ["post"]
