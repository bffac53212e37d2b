"""The site's own address, for absolute URLs outside a page (feeds, sitemaps, pushes).

FIRSTHAND_SITE_URL when configured (security-test-plan section 1.11: build absolute
URLs from configuration, not from the request); else the request's Host header,
which Django has checked against ALLOWED_HOSTS.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

FALLBACK = "http://127.0.0.1:8000"


def site_url(request: HttpRequest | None = None) -> str:
    configured: str = settings.FIRSTHAND_SITE_URL
    if configured:
        return configured
    if request is not None:
        # Worked out once per request: a page asks a dozen times, and checking the
        # Host header against ALLOWED_HOSTS is not free.
        known: str | None = request.__dict__.get(_KNOWN)
        if known is None:
            known = request.__dict__[_KNOWN] = (
                f"{request.scheme}://{request.get_host()}"
            )
        return known
    return FALLBACK


_KNOWN = "_firsthand_site_url"


def absolute(path: str, request: HttpRequest | None = None) -> str:
    """``/2026/07/02/slug/`` -> ``https://blog.example.com/2026/07/02/slug/``."""
    if path.startswith(("http://", "https://")):
        return path
    return site_url(request) + (path if path.startswith("/") else f"/{path}")
