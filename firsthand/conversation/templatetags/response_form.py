"""``{% load response_form %}`` then ``{% response_form_fields form %}``: the comment
form's own fields (``conversation/_form_fields.html``), inside ``_form.html``.

A blank form (nothing typed, no errors: what every reader of a page gets) is the
same HTML for everyone, and its sixty-odd template nodes took about half a
millisecond of every article page (issue #8). It is rendered once per process and
kept, keyed on everything that can change it: the template (Django makes a new one
when it reloads templates), the form's class, its length limit (a setting) and the
language. A form that holds anything of a person's (a rejected POST comes back
with what they typed, the errors and the focus) is rendered every time and never
kept.
"""

from __future__ import annotations

from django import template
from django.template import Engine
from django.utils import translation
from django.utils.safestring import SafeString

from firsthand.conversation.forms import ResponseForm

register = template.Library()

FIELDS_TEMPLATE = "conversation/_form_fields.html"

# Blank forms' HTML by (template, form class, length limit, language). A handful
# of entries at most; emptied if tests that change settings ever fill it up.
_blank: dict[tuple[object, ...], SafeString] = {}
_MOST_KEPT = 16


@register.simple_tag(takes_context=True)
def response_form_fields(context: template.Context, form: ResponseForm) -> SafeString:
    engine = context.template.engine if context.template else Engine.get_default()
    fields = engine.get_template(FIELDS_TEMPLATE)
    if not form.is_blank():
        return fields.render(context.new({"form": form}))
    key = (fields, type(form), form.max_chars, translation.get_language())
    html = _blank.get(key)
    if html is None:
        html = fields.render(context.new({"form": form}))
        if len(_blank) >= _MOST_KEPT:
            _blank.clear()
        _blank[key] = html
    return html
