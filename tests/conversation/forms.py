"""What a person's browser sends to the comment form (shared by the tests that
post it the way a browser does)."""

from __future__ import annotations

import time

from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation import tickets


def form(post: Post, *, age: float = 30, **fields: str) -> dict[str, str]:
    """What a person's browser sends to ``post``: a ticket issued ``age`` seconds
    ago."""
    data = {
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        "author_url": "",
        "author_title": "",
        "body": "Framing is *hard*.",
        "ticket": tickets.issue(now=time.time() - age),
        "leave_blank": "",
    }
    data.update(fields)
    return data


def respond(post: Post) -> str:
    return reverse("conversation:respond", kwargs={"post_id": post.pk})
