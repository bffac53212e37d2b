"""Addresses reversed once per process: posts', tags' and authors' (issue #8).

``reverse()`` walks the URL patterns every time it is called (about 20 µs here),
and an article page asked for twenty addresses, most of them its own post's,
author's, tags' and neighbours' again and again. What ``reverse()`` returns
depends on nothing but the URL patterns (Firsthand never adds or swaps patterns
while a process runs, and none of them has a language prefix), the script prefix
and the arguments; all three are in the key here, so a kept address is never out
of date: a post whose slug or date changes asks for another key. A process that
has not shown a page yet reverses its addresses once, as before.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# Enough for every post, page, tag and author a busy process shows at once; a
# few hundred kilobytes at most.
_MOST_KEPT = 2048

Arguments = tuple[tuple[str, str | int], ...]


@functools.lru_cache(maxsize=_MOST_KEPT)
def _reversed(urlconf: str, prefix: str, name: str, kwargs: Arguments) -> str:
    # ``prefix`` is only part of the key: reverse() reads the script prefix itself.
    return reverse(name, urlconf=urlconf, kwargs=dict(kwargs))


def address(name: str, **kwargs: str | int) -> str:
    """``reverse(name, kwargs=kwargs)``, kept for the next time it is asked."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reversed(urlconf, get_script_prefix(), name, tuple(kwargs.items()))
