"""Authoring in Django's admin; every write goes through ``publishing``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from firsthand.blog import publishing
from firsthand.blog.models import Author, Page, Post, Tag
from firsthand.blog.rules import slug_for


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


def _preview(post: Post) -> SafeString:
    if not post.pk:
        return format_html("<p>{}</p>", "Save it to see its preview.")
    # body_html was sanitised by rendering.render_post_body when it was stored.
    return format_html(
        '<div class="firsthand-preview">{}</div><p><a href="{}">{}</a></p>',
        mark_safe(post.body_html),  # noqa: S308
        post.get_absolute_url(),
        "Open the page on the site",
    )


def _with_author(request: HttpRequest, initial: dict[str, Any]) -> dict[str, Any]:
    """The signed-in user's author profile as the new post's or page's author."""
    if request.user.is_authenticated:
        author = Author.objects.filter(user=request.user).first()
        if author:
            initial.setdefault("author", str(author.pk))
    return initial


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
        return _preview(post)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return _with_author(request, super().get_changeform_initial_data(request))

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


class PageForm(forms.ModelForm[Page]):
    """Refuses what ``publishing.save_page`` would otherwise quietly change."""

    class Meta:
        model = Page
        fields = [
            "title",
            "slug",
            "parent",
            "author",
            "body",
            "body_format",
            "status",
            "published_at",
            "comments_open",
            "menu_order",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The field would list from Post's default manager, which holds posts only.
        if "parent" in self.fields:
            parent = self.fields["parent"]
            assert isinstance(parent, forms.ModelChoiceField)
            parent.queryset = Page.objects.exclude(pk=self.instance.pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parent: Post | None = data.get("parent")
        slug: str = data.get("slug") or ""
        above, seen = parent, set()
        while above is not None and above.pk not in seen:
            if self.instance.pk is not None and above.pk == self.instance.pk:
                self.add_error(
                    "parent",
                    "A page cannot sit under itself or one of its own subpages; "
                    "choose another parent.",
                )
                break
            seen.add(above.pk)
            above = above.parent
        if slug and not self.has_error("parent"):
            others = Post.everything.filter(slug=slug).exclude(pk=self.instance.pk)
            taken = others.only("title", "kind").first()
            if taken is not None:
                self.add_error(
                    "slug",
                    f"The {taken.get_kind_display().lower()} “{taken.title}” already "
                    "has this slug; choose another.",
                )
            else:
                path = f"{parent.page_path}/{slug}" if parent else slug
                problem = publishing.page_address_problem(path)
                if problem:
                    self.add_error("slug", problem)
        return data


@admin.register(Page)
class PageAdmin(admin.ModelAdmin[Page]):
    """Pages ("About"): no date, tags or excerpt; a place under another page."""

    form = PageForm
    list_display = [
        "title",
        "parent",
        "status",
        "menu_order",
        "published_at",
        "response_count",
    ]
    # Not by parent: that filter would list from Post's default manager (posts).
    list_filter = ["status"]
    list_select_related = ["parent"]
    search_fields = ["title", "body"]
    readonly_fields = ["preview", "response_count"]
    actions = ["publish_selected", "unpublish_selected"]
    fieldsets = [
        (
            None,
            {"fields": ["title", "slug", "parent", "author", "body", "body_format"]},
        ),
        (
            "Publishing",
            {
                "fields": ["status", "published_at", "comments_open", "menu_order"],
                "description": (
                    "Save as Draft to see the rendered preview below and the page "
                    "on the site (only staff can see drafts). Set Published to "
                    "publish. A page's address is its parent's and its own slug: "
                    "/about/team/."
                ),
            },
        ),
        ("Preview (as last saved)", {"fields": ["preview", "response_count"]}),
    ]

    @admin.display(description="Rendered preview")
    def preview(self, page: Page) -> SafeString:
        return _preview(page)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return _with_author(request, super().get_changeform_initial_data(request))

    def save_model(
        self, request: HttpRequest, obj: Page, form: ModelForm[Page], change: bool
    ) -> None:
        wanted_slug = obj.slug or slug_for(obj.title)
        was_published = (
            change
            and Page.objects.filter(pk=obj.pk, status=Post.Status.PUBLISHED).exists()
        )
        if obj.status == Post.Status.PUBLISHED:
            publishing.publish_page(obj, at=obj.published_at)
        elif was_published:
            publishing.unpublish_page(obj)
        else:
            publishing.save_page(obj)
        if wanted_slug and obj.slug != wanted_slug:
            messages.warning(
                request,
                f"The slug “{wanted_slug}” is taken or is one of the site's own "
                f"addresses; the page is at {obj.get_absolute_url()}",
            )

    @admin.action(description="Publish selected pages")
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Page]) -> None:
        for page in queryset:
            publishing.publish_page(page)
        messages.success(request, f"Published {len(queryset)} page(s).")

    @admin.action(description="Move selected pages back to draft")
    def unpublish_selected(
        self, request: HttpRequest, queryset: QuerySet[Page]
    ) -> None:
        for page in queryset:
            publishing.unpublish_page(page)
        messages.success(request, f"Moved {len(queryset)} page(s) to draft.")
