"""Email follows: replies to a response, or new responses on a post.

(Placeholder until the notifications part lands in this session.)
"""

from __future__ import annotations

from firsthand.conversation.models import Response


def follow_from_form(response: Response, *, replies: bool, post: bool) -> None:
    """Record what the commenter ticked; nothing is sent before confirmation."""
