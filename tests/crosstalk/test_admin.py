from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.crosstalk.models import Inbound, Outbound

pytestmark = pytest.mark.django_db


def test_pings_are_listed_read_only_and_the_status_secret_is_hidden(
    ada_client: Client, post: Post
) -> None:
    inbound = Inbound.objects.create(
        protocol="webmention",
        source="https://a.example.net/1",
        target="https://b.example.org/2",
        post=post,
    )
    Outbound.objects.create(post=post, target="https://c.example.com/x")
    for name in ("inbound", "outbound"):
        listing = ada_client.get(
            reverse(f"admin:firsthand_crosstalk_{name}_changelist")
        )
        assert listing.status_code == 200
        assert (
            ada_client.get(reverse(f"admin:firsthand_crosstalk_{name}_add")).status_code
            == 403
        )
    detail = ada_client.get(
        reverse("admin:firsthand_crosstalk_inbound_change", args=[inbound.pk])
    )
    assert detail.status_code == 200
    assert inbound.token.encode() not in detail.content


def test_authors_can_reblog_from_their_admin(ada_client: Client) -> None:
    index = ada_client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert reverse("reblog:compose").encode() in index.content
