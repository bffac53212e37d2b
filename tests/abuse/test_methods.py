"""Every URL of the site, walked from the resolver (plan §3.1 D30): a POST without
a CSRF token is refused unless the endpoint is one of the documented cross-site
receivers, and a GET changes no row of any table."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from firsthand.blog.models import Author, Post
from firsthand.conversation import intake, moderation
from firsthand.conversation.models import Response
from tests.conftest import submission_for

pytestmark = pytest.mark.django_db

# Endpoints other sites (or mail clients) POST to, which no CSRF cookie can reach;
# each authenticates the request another way, said beside its view.
CROSS_SITE = {
    "webmention/": "Webmention (W3C): any site may send one",
    "xmlrpc/": "Pingback over XML-RPC",
    "xmlrpc.php": "Pingback at WordPress's address",
    "trackback/<int:post_id>/": "TrackBack",
    "websub/": "WebSub hub: subscribers POST from their servers",
    "follow/unsubscribe/<str:token>/": "RFC 8058 one-click unsubscribe; signed token",
    "follow/author-unsubscribe/<str:token>/": "RFC 8058 one-click; signed token",
    "respond/<int:post_id>/": "comment form: SameSite=Strict ticket and Origin check",
}
# Tables a GET may write: the rate-limit counters (asking is counted).
MAY_CHANGE_ON_GET = {"firsthand_guard_cache"}


def routes() -> Iterator[tuple[str, URLPattern]]:
    """Every (route, pattern) of the site, prefixes joined, as written in urls.py."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in patterns:
            pattern = entry.pattern
            piece = str(pattern) if isinstance(pattern, RoutePattern) else None
            if piece is None:  # a regex route (the admin's app index): its own text
                piece = str(pattern.regex.pattern).lstrip("^").rstrip("$")
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + piece)
            else:
                yield prefix + piece, entry

    yield from walk(get_resolver().url_patterns, "")


def concrete(route: str, values: dict[str, str]) -> str:
    """The route with every <converter:name> (or (?P<name>...)) filled in."""
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m[1], "1"), route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m[1], "blog"), route)
    return "/" + route.replace("\\", "")


@pytest.fixture
def values(ada: Author, post: Post) -> dict[str, str]:
    response = moderation.approve(intake.receive(submission_for(post)))
    assert isinstance(response, Response)
    assert post.published_at is not None
    day = post.published_at
    return {
        "year": f"{day.year:04d}",
        "month": f"{day.month:02d}",
        "day": f"{day.day:02d}",
        "slug": post.slug,
        "post_id": str(post.pk),
        "pk": str(response.pk),
        "number": str(response.number),
        "path": post.slug,
        "token": "not-a-token",
        "object_id": str(post.pk),
        "app_label": "blog",
        "login": "ada",
    }


def test_every_route_is_walked(values: dict[str, str]) -> None:
    found = dict(routes())
    assert len(found) > 60
    assert set(CROSS_SITE) <= set(found), set(CROSS_SITE) - set(found)


def test_a_post_without_a_csrf_token_is_refused_everywhere_but_the_receivers(
    ada: Author, values: dict[str, str]
) -> None:
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(ada.user)
    accepted = []
    for route, pattern in routes():
        exempt = getattr(pattern.callback, "csrf_exempt", False)
        assert exempt == (route in CROSS_SITE), f"{route}: exempt={exempt}"
        if exempt:
            continue
        answer = staff.post(concrete(route, values), {"x": "1"})
        if answer.status_code not in {403, 405}:
            accepted.append((route, answer.status_code))
    assert accepted == []


def _fingerprint() -> dict[str, str]:
    """A digest of every row of every table (but the counters)."""
    digests = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in MAY_CHANGE_ON_GET:
                continue
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - our own names
            rows = sorted(repr(row) for row in cursor.fetchall())
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def test_no_get_changes_a_row(ada: Author, values: dict[str, str]) -> None:
    staff = Client()
    staff.force_login(ada.user)
    reader = Client()
    before = _fingerprint()
    statuses = set()
    for route, _ in routes():
        if route.startswith("admin/logout"):
            continue  # POST only in Django 5; the GET is a 405 anyway
        url = concrete(route, values)
        for client in (staff, reader):
            statuses.add(client.get(url).status_code)
    changed = {t for t, d in _fingerprint().items() if before.get(t) != d}
    assert changed == set()
    assert 200 in statuses  # the walk reached real pages, not only errors
