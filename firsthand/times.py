"""Moments as the pages show them, in the current time zone and language.

What Django's ``date`` filter wrote with the formats the pages used (``"j F Y,
H:i"``, ``"j F Y"`` and ``'c'``), in about half its time: the filter parses its
format on every call and looks each month's name up again (issue #8). Used by
the thread (``conversation.thread_html``) and, for the rest of the pages, by the
``{% load times %}`` filters.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping

from django.utils import timezone, translation
from django.utils.dates import MONTHS


@functools.lru_cache(maxsize=32)
def _month_names(language: str | None) -> Mapping[int, str]:
    """The months' names in ``language`` (the active one: the caller's key).

    Each name is a lazy translation; looking the twelve up again for every page
    was a third of the thread's own time (issue #8). Catalogues never change
    while a process runs, so once per language is enough."""
    return {number: str(name) for number, name in MONTHS.items()}


class Clock:
    """Times in the current time zone and language, both looked up once (a page
    asks for many times, not one)."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.months = _month_names(translation.get_language())

    def local(self, moment: datetime.datetime) -> datetime.datetime:
        return moment.astimezone(self.zone)

    def shown(self, moment: datetime.datetime) -> str:
        """As "2 July 2026, 10:30": what the ``date:"j F Y, H:i"`` filter wrote."""
        return self.shown_local(self.local(moment))

    def shown_local(self, local: datetime.datetime) -> str:
        """``shown`` of a moment already in the current time zone. Its fields are
        formatted one by one: ``format(local, "%H:%M")`` goes through strftime
        and took a third of the thread's time (issue #8)."""
        return (
            f"{local.day} {self.months[local.month]} {local.year:04d}, "
            f"{local.hour:02d}:{local.minute:02d}"
        )

    def shown_date(self, moment: datetime.datetime) -> str:
        """As "2 July 2026": what the ``date:"j F Y"`` filter wrote."""
        local = self.local(moment)
        return f"{local.day} {self.months[local.month]} {local.year:04d}"


def shown_time(moment: datetime.datetime) -> str:
    """``moment`` as the thread shows it, "2 July 2026, 10:30"."""
    return Clock().shown(moment)


def shown_date(moment: datetime.datetime) -> str:
    """The day of ``moment`` as pages show it, "2 July 2026"."""
    return Clock().shown_date(moment)


def machine_time(moment: datetime.datetime) -> str:
    """``moment`` as a ``datetime`` attribute gives it, "2026-07-02T10:30:00+00:00"."""
    return moment.astimezone(timezone.get_current_timezone()).isoformat()
