"""Telling other sites where to send pings: HTTP headers and ``<link>`` elements.

Webmention section 3.1.2: the endpoint is discovered from an HTTP ``Link`` header
with ``rel="webmention"``, else a ``<link>`` or ``<a>`` with that rel. Pingback 1.0
"Autodiscovery": an ``X-Pingback`` header, else ``<link rel="pingback" href="…">``
written exactly so (rel first, double quotes: senders find it with a regular
expression), and always an absolute URL. TrackBack 1.2 "Auto-Discovery": an RDF
block, inside an HTML comment, naming the post's TrackBack Ping URL.

The headers are set by ``advertised`` around the article view (wrapped in
``firsthand/urls.py``, since conversation may not import crosstalk); the ``<link>``
elements and the RDF block are written by ``base.html`` with the
``crosstalk_endpoints`` template tags.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from firsthand.site import absolute

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]


@dataclasses.dataclass(frozen=True)
class Endpoints:
    webmention: str
    pingback: str  # empty while pingbacks are switched off site-wide


def endpoints(request: HttpRequest | None = None) -> Endpoints:
    """The absolute URLs of this site's receiving endpoints (a page asks three
    times: once per request is enough)."""
    if request is not None and _KNOWN in request.__dict__:
        known: Endpoints = request.__dict__[_KNOWN]
        return known
    pingback = ""
    if settings.FIRSTHAND_PINGS_ENABLED:
        pingback = absolute(reverse("crosstalk:xmlrpc"), request)
    found = Endpoints(
        webmention=absolute(reverse("crosstalk:webmention"), request),
        pingback=pingback,
    )
    if request is not None:
        request.__dict__[_KNOWN] = found
    return found


_KNOWN = "_firsthand_endpoints"


def trackback_url(post_id: int, request: HttpRequest | None = None) -> str:
    """A post's TrackBack Ping URL (empty while pings are switched off site-wide)."""
    if not settings.FIRSTHAND_PINGS_ENABLED:
        return ""
    return absolute(reverse("crosstalk:trackback", args=[post_id]), request)


def advertised(view: View[P]) -> View[P]:
    """Add ``Link: <…>; rel="webmention"`` and ``X-Pingback`` to a page's 200."""

    @functools.wraps(view)
    def wrapper(
        request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs
    ) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            urls = endpoints(request)
            link = f'<{urls.webmention}>; rel="webmention"'
            earlier = response.get("Link")
            response["Link"] = f"{earlier}, {link}" if earlier else link
            if urls.pingback:
                response["X-Pingback"] = urls.pingback
        return response

    return wrapper
