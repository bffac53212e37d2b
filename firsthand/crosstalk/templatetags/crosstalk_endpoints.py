"""``{% crosstalk_endpoint "webmention" %}``: an endpoint's absolute URL, for the
``<link>`` elements in ``base.html`` (see ``crosstalk.advertise``)."""

from __future__ import annotations

from django import template

from firsthand.crosstalk.advertise import endpoints

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
