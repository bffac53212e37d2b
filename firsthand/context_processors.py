"""Template context every page needs."""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse

# The site-wide links in base.html's head, header and footer, by name.
_SITE_URLS = {
    "home": "blog:home",
    "archive": "blog:archive",
    "tags": "blog:tags",
    "privacy": "privacy:about",
    "posts_rss": "syndication:posts-rss",
    "posts_atom": "syndication:posts-atom",
    "posts_json": "syndication:posts-json",
    "responses_rss": "syndication:responses-rss",
    "responses_atom": "syndication:responses-atom",
}


@functools.lru_cache(maxsize=8)
def site_urls(script_prefix: str) -> dict[str, str]:
    """Every page's links, reversed once per process (and script prefix): they
    never change while it runs, and a dozen ``{% url %}`` tags on every page were
    a measurable part of its render time (issue #8)."""
    urls = {key: reverse(name) for key, name in _SITE_URLS.items()}
    urls["stylesheet"] = static("firsthand/site.css")
    urls["conversation_js"] = static("firsthand/conversation.js")
    return urls


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "site_name": settings.FIRSTHAND_SITE_NAME,
        "site_tagline": settings.FIRSTHAND_SITE_TAGLINE,
        "site_urls": site_urls(get_script_prefix()),
    }
