"""Absolute URLs for the discovery elements in ``base.html``'s head: the
endpoints' (``{% crosstalk_endpoint "webmention" %}``) and a post's permalink and
TrackBack Ping URL (see ``crosstalk.advertise``)."""

from __future__ import annotations

import dataclasses

from django import template

from firsthand.blog.models import Post
from firsthand.crosstalk.advertise import endpoints, trackback_url
from firsthand.site import absolute

register = template.Library()


@register.simple_tag(takes_context=True)
def crosstalk_endpoint(context: template.Context, name: str) -> str:
    """The URL of the "webmention" or the "pingback" endpoint (the latter empty
    while pingbacks are switched off site-wide)."""
    urls = endpoints(context.get("request"))
    if name == "webmention":
        return urls.webmention
    if name == "pingback":
        return urls.pingback
    raise template.TemplateSyntaxError(
        f"crosstalk_endpoint takes 'webmention' or 'pingback', not {name!r}."
    )


@dataclasses.dataclass(frozen=True)
class PostUrls:
    permalink: str
    trackback: str  # empty while pings are switched off site-wide


@register.simple_tag(takes_context=True)
def crosstalk_post_urls(context: template.Context, post: Post) -> PostUrls:
    """``{% crosstalk_post_urls post as urls %}``: the post's absolute permalink
    and TrackBack Ping URL, for the TrackBack discovery block."""
    request = context.get("request")
    return PostUrls(
        permalink=absolute(post.get_absolute_url(), request),
        trackback=trackback_url(post.pk, request),
    )
