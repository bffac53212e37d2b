"""``{{ response|minutes_to_change }}``: how long this browser's author may still
edit or withdraw a response, for the thread's " · Edit · Withdraw" links.

The page context knows which responses this browser posted (``mine``); the time
left is read here from the response alone, so the links cost no query and are
not offered once the window has passed. The views check again when clicked.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from firsthand.conversation import own
from firsthand.conversation.models import Response

register = template.Library()


@register.filter
def minutes_to_change(response: Response) -> int:
    """Whole minutes left in the edit window (0: over, switched off, or hidden)."""
    return own.minutes_left(response, timezone.now())
