"""Template tags for page metadata: absolute URLs, ISO times and JSON-LD.

``{% load syndication %}`` then:

- ``{% absolute_url path %}`` (or ``... as name``): ``path`` on the site's address,
  from ``FIRSTHAND_SITE_URL`` when set, else the request's (see ``firsthand.site``);
- ``{{ post|modified_at|iso_time }}``: when the post last changed, in ISO 8601;
- ``{{ data|ld_json }}``: a ``<script type="application/ld+json">`` data block;
- ``{% blog_posting_json_ld post tags responses %}``: the article's JSON-LD.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from firsthand.blog.models import Post, Tag
from firsthand.conversation.models import Response
from firsthand.site import absolute
from firsthand.syndication import structured_data

register = template.Library()

# The same escapes as Django's json_script filter: with no "<" left, the data can
# neither close its <script> element nor open an HTML comment inside it
# (HTML Living Standard, 4.12.1.3 "Restrictions for contents of script elements").
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _request(context: template.Context) -> HttpRequest | None:
    request = context.get("request")
    return request if isinstance(request, HttpRequest) else None


@register.simple_tag(takes_context=True)
def absolute_url(context: template.Context, path: str) -> str:
    return absolute(str(path), _request(context))


@register.filter
def iso_time(moment: datetime.datetime | None) -> str:
    return structured_data.iso_time(moment) if moment is not None else ""


@register.filter
def modified_at(post: Post) -> datetime.datetime:
    return structured_data.modified_at(post)


@register.filter
def ld_json(data: Any) -> SafeString:
    """``data`` as JSON-LD, escaped like ``json_script`` but typed for linked data.

    A data block is never executed, so ``script-src 'self'`` leaves it alone.
    """
    text = json.dumps(data, cls=DjangoJSONEncoder).translate(_SCRIPT_ESCAPES)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text),  # noqa: S308 - escaped just above
    )


@register.simple_tag(takes_context=True)
def blog_posting_json_ld(
    context: template.Context,
    post: Post,
    tags: Iterable[Tag],
    responses: Iterable[Response],
) -> SafeString:
    data = structured_data.blog_posting(post, tags, responses, _request(context))
    return ld_json(data)
