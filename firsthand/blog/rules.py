"""Pure rules for posts: no ORM, no I/O."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.text import slugify


def slug_for(title: str, *, max_length: int = 200) -> str:
    """A URL slug for a title, never empty (titles may be all punctuation or emoji)."""
    slug = slugify(title, allow_unicode=True)[:max_length].strip("-")
    return slug or "post"


def unique_slug(
    base: str, taken: Callable[[str], bool], *, max_length: int = 200
) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever is not yet taken."""
    if not taken(base):
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: max_length - len(suffix)] + suffix
        if not taken(candidate):
            return candidate
        number += 1
