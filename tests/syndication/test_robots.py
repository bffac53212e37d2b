"""robots.txt: read with the standard library's parser, as a crawler would."""

from __future__ import annotations

from urllib.robotparser import RobotFileParser

import pytest
from django.test import Client, override_settings
from django.urls import resolve

from firsthand.blog.models import Post
from firsthand.conversation import moderation_views, views as conversation
from firsthand.syndication.views import DISALLOWED

pytestmark = pytest.mark.django_db


def robots(client: Client, **extra: object) -> tuple[str, RobotFileParser]:
    reply = client.get("/robots.txt", **extra)  # type: ignore[arg-type]
    assert reply.status_code == 200
    assert reply["Content-Type"] == "text/plain; charset=utf-8"
    text = reply.content.decode()
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return text, parser


def test_everything_may_be_crawled_but_admin_moderation_and_the_form(
    client: Client, post: Post
) -> None:
    _, parser = robots(client)
    for allowed in [
        "/",
        post.get_absolute_url(),
        "/tags/",
        "/archive/",
        "/sitemap.xml",
    ]:
        assert parser.can_fetch("AnyBot", allowed), allowed
    for refused in ["/admin/", "/admin/login/", "/moderate/", "/moderate/3/spam/"]:
        assert not parser.can_fetch("AnyBot", refused), refused
    assert not parser.can_fetch("AnyBot", f"/respond/{post.pk}/")


def test_names_the_absolute_sitemap_on_the_request_host(client: Client) -> None:
    with override_settings(FIRSTHAND_SITE_URL=""):
        text, parser = robots(client)
        _, secure = robots(client, secure=True)
    assert parser.site_maps() == ["http://testserver/sitemap.xml"]
    assert secure.site_maps() == ["https://testserver/sitemap.xml"]
    assert text.splitlines()[-1] == "Sitemap: http://testserver/sitemap.xml"


@override_settings(FIRSTHAND_SITE_URL="https://blog.example.com")
def test_names_the_sitemap_on_the_configured_site_url(client: Client) -> None:
    _, parser = robots(client, HTTP_HOST="localhost")
    assert parser.site_maps() == ["https://blog.example.com/sitemap.xml"]


def test_the_named_sitemap_is_served(client: Client) -> None:
    _, parser = robots(client)
    (sitemap,) = parser.site_maps() or []
    reply = client.get(sitemap.removeprefix("http://testserver"))
    assert reply.status_code == 200
    assert reply["Content-Type"] == "application/xml"


def test_disallowed_prefixes_are_still_where_those_pages_live(post: Post) -> None:
    # If firsthand/urls.py moves one of these, robots.txt must follow.
    assert DISALLOWED == ("/admin/", "/moderate/", "/respond/")
    assert resolve("/admin/").namespace == "admin"
    assert resolve("/moderate/").func == moderation_views.queue
    assert resolve(f"/respond/{post.pk}/").func == conversation.respond


def test_only_reads_are_allowed(client: Client) -> None:
    assert client.post("/robots.txt").status_code == 405
    assert client.head("/robots.txt").status_code == 200
