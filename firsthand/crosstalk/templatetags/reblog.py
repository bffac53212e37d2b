"""``{% load reblog %}`` then ``{% reblog_citation post as citation %}``: the
attribution of one of our posts (absolute URLs, a plain excerpt), for the
copy-and-paste quote in ``crosstalk/_reblog.html``."""

from __future__ import annotations

from django import template
from django.http import HttpRequest

from firsthand.blog.models import Post
from firsthand.crosstalk.reblog import Citation, citation_for_post

register = template.Library()


@register.simple_tag(takes_context=True)
def reblog_citation(context: template.Context, post: Post) -> Citation:
    request = context.get("request")
    return citation_for_post(
        post, request if isinstance(request, HttpRequest) else None
    )
