"""``sitemap.xml`` and ``robots.txt``: what crawlers read before the pages."""

from __future__ import annotations

from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_safe

from firsthand.site import absolute, site_url
from firsthand.syndication.sitemaps import sections

# Pages no crawler has business with: the admin, the moderation queue and the
# comment form's endpoint (prefixes from firsthand/urls.py; a test checks them).
DISALLOWED = ("/admin/", "/moderate/", "/respond/")


@require_safe
def sitemap(request: HttpRequest) -> TemplateResponse:
    # Absolute URLs from FIRSTHAND_SITE_URL when set (firsthand.site), never
    # from the sites framework, which Firsthand does not use. Our own template
    # gives lastmod to the second; Django's says only the day.
    return sitemap_views.sitemap(
        request,
        sitemaps=dict(sections(site_url(request))),
        template_name="syndication/sitemap.xml",
    )


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Everything may be crawled but ``DISALLOWED``; the sitemap says what there is.

    Format: RFC 9309 (Robots Exclusion Protocol); the ``Sitemap`` line is from
    https://www.sitemaps.org/protocol.html#submit_robots and must be absolute.
    """
    lines = [
        "User-agent: *",
        *(f"Disallow: {prefix}" for prefix in DISALLOWED),
        "",
        f"Sitemap: {absolute(reverse('sitemap'), request)}",
    ]
    return HttpResponse(
        "\n".join(lines) + "\n", content_type="text/plain; charset=utf-8"
    )


# Included by firsthand/urls.py at the site's root.
sitemap_patterns: list[URLPattern] = [
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", robots_txt, name="robots_txt"),
]
