"""Moderation in Django's admin. Status changes go through ``moderation``.

Responses are never created, edited in status, or deleted here: they arrive
through intake, and a moderator approves, marks as spam or moves to the trash,
which keeps the text (nothing a person writes is lost) and the counts right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from firsthand.conversation import moderation
from firsthand.conversation.models import BlockRule, Response, ResponseEdit


class ResponseEditInline(admin.TabularInline[ResponseEdit, Response]):
    model = ResponseEdit
    extra = 0
    max_num = 0  # the history is written by moderation.edit_text only
    can_delete = False
    fields = ["edited_at", "editor", "note", "old_body", "new_body"]
    readonly_fields = ["edited_at", "editor", "note", "old_body", "new_body"]


@admin.register(BlockRule)
class BlockRuleAdmin(admin.ModelAdmin[BlockRule]):
    """The block list: words and domains that hold, addresses that are banned."""

    list_display = ["kind", "value", "action", "note", "created_by", "created_at"]
    list_filter = ["kind", "action"]
    search_fields = ["value", "note"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(
        self,
        request: HttpRequest,
        obj: BlockRule,
        form: Any,
        change: bool,
    ) -> None:
        obj.value = obj.value.strip().lower()
        if not change and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin[Response]):
    list_display = [
        "number",
        "author_name",
        "kind",
        "status",
        "post",
        "created_at",
        "short_body",
        "spam_score",
    ]
    list_display_links = ["number", "author_name"]
    list_filter = [
        "status",
        "kind",
        ("post", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    search_fields = ["author_name", "author_email", "author_url", "body", "ip_address"]
    list_select_related = ["post"]
    date_hierarchy = "created_at"
    actions = ["approve_selected", "spam_selected", "trash_selected"]
    inlines = [ResponseEditInline]
    readonly_fields = [
        "explanation",
        "spam_score",
        "post",
        "number",
        "kind",
        "status",
        "author_email",
        "source_url",
        "ip_address",
        "user_agent",
        "created_at",
        "updated_at",
    ]
    fields = [
        "explanation",
        "spam_score",
        "post",
        "number",
        "kind",
        "status",
        "author_name",
        "author_email",
        "author_url",
        "author_title",
        "body",
        "source_url",
        "source_title",
        "ip_address",
        "user_agent",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Why it was flagged")
    def explanation(self, response: Response) -> str:
        return response.explanation or "—"

    @admin.display(description="Text")
    def short_body(self, response: Response) -> str:
        text = " ".join(response.body.split())
        return text if len(text) <= 80 else text[:79] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Response | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Response | None = None
    ) -> bool:
        # Moderators read the full response here and act on it with the actions;
        # the text itself stays as its author wrote it.
        return False

    def has_view_permission(
        self, request: HttpRequest, obj: Response | None = None
    ) -> bool:
        return request.user.has_perm("firsthand_conversation.view_response") or (
            request.user.has_perm(moderation.PERMISSION)
        )

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Response],
        workflow: Callable[[Response], Response],
        done: str,
    ) -> None:
        count = 0
        for response in queryset.select_related("post"):
            workflow(response)
            count += 1
        messages.success(request, f"{done} {count} response(s).")

    @admin.action(description="Approve selected (not spam)", permissions=["moderate"])
    def approve_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> None:
        self._apply(request, queryset, moderation.approve, "Approved")

    @admin.action(description="Mark selected as spam", permissions=["moderate"])
    def spam_selected(self, request: HttpRequest, queryset: QuerySet[Response]) -> None:
        self._apply(request, queryset, moderation.mark_spam, "Marked as spam")

    @admin.action(description="Move selected to trash", permissions=["moderate"])
    def trash_selected(
        self, request: HttpRequest, queryset: QuerySet[Response]
    ) -> None:
        self._apply(request, queryset, moderation.remove, "Moved to trash")

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(moderation.PERMISSION)
