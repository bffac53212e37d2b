"""Moderation in the admin: list, filter, search and bulk actions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from tests.conftest import THREE_OPINIONS

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:firsthand_conversation_response_changelist"


def act(client: Client, action: str, *responses: Response) -> None:
    reply = client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [r.pk for r in responses]},
    )
    assert reply.status_code == 302


def test_bulk_actions_move_responses_and_keep_the_count(
    ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    one, two, three = (comment_on(post, body=text) for text in THREE_OPINIONS)
    act(ada_client, "spam_selected", one, two)
    post.refresh_from_db()
    assert post.response_count == 1
    act(ada_client, "trash_selected", three)
    act(ada_client, "approve_selected", one)
    post.refresh_from_db()
    assert post.response_count == 1
    statuses = dict(Response.objects.values_list("number", "status"))
    assert statuses == {1: "visible", 2: "spam", 3: "removed"}


def test_list_filters_and_search(
    ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    comment_on(post, author_name="Ingrid", body="about prices")
    spam = comment_on(post, author_name="Mallory", body="cheap pills")
    act(ada_client, "spam_selected", spam)
    url = reverse(CHANGELIST)
    spam_list = ada_client.get(url, {"status__exact": "spam"})
    assert b"Mallory" in spam_list.content
    assert b"Ingrid" not in spam_list.content
    found = ada_client.get(url, {"q": "prices"})
    assert b"Ingrid" in found.content
    assert b"Mallory" not in found.content
    by_post = ada_client.get(
        url, {"post__id__exact": str(post.pk), "kind__exact": "comment"}
    )
    assert by_post.status_code == 200


def test_responses_cannot_be_added_edited_or_deleted_in_the_admin(
    ada_client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    response = comment_on(post)
    assert (
        ada_client.get(reverse("admin:firsthand_conversation_response_add")).status_code
        == 403
    )
    change = reverse("admin:firsthand_conversation_response_change", args=[response.pk])
    assert (
        ada_client.post(change, {"body": "rewritten", "author_name": "x"}).status_code
        == 403
    )
    delete = reverse("admin:firsthand_conversation_response_delete", args=[response.pk])
    assert ada_client.post(delete, {"post": "yes"}).status_code == 403
    response.refresh_from_db()
    assert response.body != "rewritten"


def test_a_viewer_without_moderation_rights_cannot_moderate(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    response = comment_on(post)
    viewer = User.objects.create_user("vic", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_response"))
    client = Client()
    client.force_login(viewer)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    client.post(
        reverse(CHANGELIST),
        {"action": "spam_selected", "_selected_action": [response.pk]},
    )
    response.refresh_from_db()
    assert response.status == Response.Status.VISIBLE


def test_moderation_needs_a_login(client: Client, post: Post) -> None:
    assert client.get(reverse(CHANGELIST)).status_code == 302
