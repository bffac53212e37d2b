"""Security headers on every kind of page (issue #9 point 6, plan test T37).

The Content-Security-Policy comes from django-csp; nosniff, the referrer policy and
framing from Django's own middleware. The policy is parsed, not matched as a string,
so a reordering passes and a loosened directive fails.
"""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse

from firsthand.blog.models import Post

STRICT = {
    "default-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "style-src": {"'self'"},
    "script-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def directives(header: str) -> dict[str, set[str]]:
    policy: dict[str, set[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in policy, f"{name} given twice"
        policy[name] = set(sources)
    return policy


def public_addresses(post: Post) -> list[str]:
    return [
        "/",
        post.get_absolute_url(),
        reverse("syndication:posts-rss"),
        reverse("syndication:posts-atom"),
        reverse("syndication:responses-rss"),
        "/no-such-page/",  # the 404 page
        reverse("privacy:about"),
    ]


@pytest.mark.django_db
def test_every_public_page_sends_the_strict_policy_and_the_safe_headers(
    client: Client, post: Post
) -> None:
    for address in public_addresses(post):
        page = client.get(address)
        assert page.status_code in (200, 404), address
        assert directives(page.headers["Content-Security-Policy"]) == STRICT, address
        assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
        assert page.headers["X-Content-Type-Options"] == "nosniff", address
        assert page.headers["Referrer-Policy"] == "same-origin", address
        assert page.headers["X-Frame-Options"] == "DENY", address


def test_the_moderation_queue_is_under_the_policy_too(ada_client: Client) -> None:
    page = ada_client.get(reverse("moderate:queue"))
    assert page.status_code == 200
    assert directives(page.headers["Content-Security-Policy"]) == STRICT


def test_the_admin_keeps_djangos_own_headers(ada_client: Client) -> None:
    # The admin's inline scripts would break under the policy; it still may not be
    # framed and still says nosniff.
    page = ada_client.get("/admin/")
    assert page.status_code == 200
    assert "Content-Security-Policy" not in page.headers
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_rendered_pages_carry_no_inline_script_or_style(
    client: Client, post: Post
) -> None:
    # The policy allows no inline script or style: a page that needed one would be
    # broken for readers. Parse the article and look.
    # A hostile title must not close the JSON-LD data block and open a script.
    post.title = 'Spoons </script><script>alert("x")</script>'
    post.save()
    soup = BeautifulSoup(client.get(post.get_absolute_url()).content, "html5lib")
    for script in soup.find_all("script"):
        if script.get("type") == "application/ld+json":
            continue  # a data block: never run, so no policy applies to it
        assert script.get("src"), "inline <script> would be blocked by script-src"
    blocks = soup.find_all("script", type="application/ld+json")
    assert len(blocks) == 1
    assert json.loads(str(blocks[0].string))["headline"] == post.title
    assert not soup.find_all("style"), "inline <style> would be blocked by style-src"
    for tag in soup.find_all(True):
        assert "style" not in tag.attrs, tag.name
        assert not any(name.startswith("on") for name in tag.attrs), tag.name
