"""Authoring in Django's admin; every write goes through ``publishing``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from firsthand.blog import publishing
from firsthand.blog.models import Author, Post, Tag


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin[Author]):
    list_display = ["display_name", "user", "website", "notify_by_email"]
    search_fields = ["display_name", "user__username"]
    prepopulated_fields = {"slug": ("display_name",)}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Post)
class PostAdmin(admin.ModelAdmin[Post]):
    list_display = ["title", "status", "published_at", "author", "response_count"]
    list_filter = ["status", "author", "tags"]
    search_fields = ["title", "body"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["tags"]
    readonly_fields = ["preview", "response_count"]
    actions = ["publish_selected", "unpublish_selected"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "author", "body", "excerpt", "tags"]}),
        (
            "Publishing",
            {
                "fields": ["status", "published_at", "comments_open", "pings_open"],
                "description": (
                    "Save as Draft to see the rendered preview below and the page "
                    "on the site (only staff can see drafts). Set Published to "
                    "publish; a future time schedules the post."
                ),
            },
        ),
        ("Preview (as last saved)", {"fields": ["preview", "response_count"]}),
    ]

    @admin.display(description="Rendered preview")
    def preview(self, post: Post) -> SafeString:
        if not post.pk:
            return format_html("<p>{}</p>", "Save the post to see its preview.")
        # body_html was sanitised by rendering.render_post when it was stored.
        return format_html(
            '<div class="firsthand-preview">{}</div><p><a href="{}">{}</a></p>',
            mark_safe(post.body_html),  # noqa: S308
            post.get_absolute_url(),
            "Open the page on the site",
        )

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if request.user.is_authenticated:
            author = Author.objects.filter(user=request.user).first()
            if author:
                initial.setdefault("author", str(author.pk))
        return initial

    def save_model(
        self, request: HttpRequest, obj: Post, form: ModelForm[Post], change: bool
    ) -> None:
        wanted = obj.status
        was_published = (
            change
            and Post.everything.filter(pk=obj.pk, status=Post.Status.PUBLISHED).exists()
        )
        if wanted == Post.Status.PUBLISHED:
            publishing.publish_post(obj, at=obj.published_at)
        elif was_published:
            publishing.unpublish_post(obj)
        else:
            publishing.save_post(obj)

    @admin.action(description="Publish selected posts")
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        for post in queryset:
            publishing.publish_post(post)
        messages.success(request, f"Published {len(queryset)} post(s).")

    @admin.action(description="Move selected posts back to draft")
    def unpublish_selected(
        self, request: HttpRequest, queryset: QuerySet[Post]
    ) -> None:
        for post in queryset:
            publishing.unpublish_post(post)
        messages.success(request, f"Moved {len(queryset)} post(s) to draft.")
