from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import override_settings

from firsthand.blog import publishing
from firsthand.blog.models import Author, Post

pytestmark = pytest.mark.django_db


def test_published_excludes_drafts_and_scheduled(
    make_post: Callable[..., Post],
) -> None:
    public = make_post("Public")
    make_post("Draft", draft=True)
    make_post("Scheduled", days_ago=-1)
    assert list(Post.objects.published()) == [public]


def test_visible_to_staff_includes_drafts(make_post: Callable[..., Post]) -> None:
    make_post("Public")
    make_post("Draft", draft=True)
    staff = User.objects.create_user("eve", is_staff=True)
    reader = User.objects.create_user("bob")
    assert Post.objects.visible_to(staff).count() == 2
    assert Post.objects.visible_to(reader).count() == 1
    assert Post.objects.visible_to(AnonymousUser()).count() == 1


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_permalink_uses_the_date_in_the_site_time_zone(ada: Author) -> None:
    # 23:30 UTC on 1 July is already 2 July in Auckland.
    at = datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC)
    post = publishing.publish_post(Post(title="Dated", author=ada, body="."), at=at)
    assert post.get_absolute_url() == "/2026/07/02/dated/"
