"""What a person's browser sends to the comment form."""

from __future__ import annotations

import time

from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation import tickets


def form(**fields: str) -> dict[str, str]:
    """A comment from bob with a ticket issued 30 seconds ago."""
    data = {
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        "author_url": "",
        "author_title": "",
        "body": "Framing is *hard*.",
        "ticket": tickets.issue(now=time.time() - 30),
        "leave_blank": "",
    }
    data.update(fields)
    return data


def respond(post: Post) -> str:
    return reverse("conversation:respond", kwargs={"post_id": post.pk})
