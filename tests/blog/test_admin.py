"""Writing through Django's admin goes through the publishing workflows."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from firsthand.blog.models import Author, Post

pytestmark = pytest.mark.django_db


def post_form(ada: Author, **fields: str) -> dict[str, str]:
    data = {
        "title": "Written in the admin",
        "slug": "",
        "author": str(ada.pk),
        "body": "Some **bold** words.\n\n<script>alert(1)</script>",
        "excerpt": "",
        "status": "draft",
        "published_at_0": "",
        "published_at_1": "",
        "comments_open": "on",
    }
    data.update(fields)
    return data


def test_a_draft_saved_in_the_admin_is_rendered_and_previewed(
    ada: Author, ada_client: Client
) -> None:
    reply = ada_client.post(reverse("admin:firsthand_blog_post_add"), post_form(ada))
    assert reply.status_code == 302, reply.content[:2000]
    post = Post.objects.get()
    assert post.slug == "written-in-the-admin"
    assert post.status == Post.Status.DRAFT
    assert "<strong>bold</strong>" in post.body_html
    assert "<script" not in post.body_html
    change = ada_client.get(reverse("admin:firsthand_blog_post_change", args=[post.pk]))
    assert b"<strong>bold</strong>" in change.content  # the rendered preview
    assert post.get_absolute_url().encode() in change.content


def test_publishing_from_the_admin_sets_the_time(
    ada: Author, ada_client: Client
) -> None:
    ada_client.post(reverse("admin:firsthand_blog_post_add"), post_form(ada))
    post = Post.objects.get()
    reply = ada_client.post(
        reverse("admin:firsthand_blog_post_change", args=[post.pk]),
        post_form(ada, status="published", slug=post.slug),
    )
    assert reply.status_code == 302
    post.refresh_from_db()
    assert post.is_public
    assert Client().get(post.get_absolute_url()).status_code == 200


def test_publish_and_unpublish_actions(ada: Author, ada_client: Client) -> None:
    ada_client.post(reverse("admin:firsthand_blog_post_add"), post_form(ada))
    post = Post.objects.get()
    changelist = reverse("admin:firsthand_blog_post_changelist")
    ada_client.post(
        changelist, {"action": "publish_selected", "_selected_action": [post.pk]}
    )
    post.refresh_from_db()
    assert post.is_public
    ada_client.post(
        changelist, {"action": "unpublish_selected", "_selected_action": [post.pk]}
    )
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_the_admin_is_closed_to_readers(client: Client, ada: Author) -> None:
    reply = client.get(reverse("admin:firsthand_blog_post_add"))
    assert reply.status_code == 302
    assert "/admin/login/" in reply["Location"]
