"""Template context every page needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    return {
        "site_name": settings.FIRSTHAND_SITE_NAME,
        "site_tagline": settings.FIRSTHAND_SITE_TAGLINE,
    }
