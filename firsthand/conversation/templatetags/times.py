"""``{% load times %}``: moments as the pages show them, written by the same clock
as the thread's own times (``firsthand.times``), in about half the time the
``date`` filter took with its format parsing (issue #8):

- ``{{ moment|machine_time }}``: for a ``datetime`` attribute, what ``date:'c'``
  wrote ("2026-07-02T10:30:00+00:00");
- ``{{ moment|shown_time }}``: what ``date:"j F Y, H:i"`` wrote ("2 July 2026, 10:30");
- ``{{ moment|shown_date }}``: what ``date:"j F Y"`` wrote ("2 July 2026").

All in the current time zone and language, as the ``date`` filter; nothing for
no moment, as the ``date`` filter.
"""

from __future__ import annotations

import datetime

from django import template

from firsthand import times

register = template.Library()


@register.filter
def machine_time(moment: datetime.datetime | None) -> str:
    return times.machine_time(moment) if moment is not None else ""


@register.filter
def shown_time(moment: datetime.datetime | None) -> str:
    return times.shown_time(moment) if moment is not None else ""


@register.filter
def shown_date(moment: datetime.datetime | None) -> str:
    return times.shown_date(moment) if moment is not None else ""
