"""Turn one page of the thread (depth-first rows) into what the page shows.

Pure: it takes the rows the page's single query returned and builds nothing but
Python objects, so the page runs the same number of queries whatever the thread.
"""

from __future__ import annotations

import dataclasses

from firsthand.conversation import rules
from firsthand.conversation.models import Response


@dataclasses.dataclass
class Entry:
    """One item of the thread as shown: a response, or the place of one that is
    no longer shown but still has visible replies (``response`` is None)."""

    number: int
    depth: int
    response: Response | None = None
    # "↪ in reply to #12 Cindy": set when the place in the thread does not say it
    # (a reply kept flat below the depth limit, or under a withdrawn response).
    answers_number: int | None = None
    answers_name: str = ""
    answers_gone: bool = False
    has_replies: bool = False
    # How many levels of replies close after this entry (template bookkeeping).
    closes: range = range(0)

    @property
    def anchor(self) -> str:
        return f"comment-{self.number}"


def entries(rows: list[Response]) -> list[Entry]:
    """The threaded rows (path order) as a flat, depth-first list of entries."""
    by_pk = {row.pk: row for row in rows}
    by_path: dict[str, Entry] = {}
    out: list[Entry] = []

    def place(path: str) -> Entry | None:
        """The entry at ``path``, making a placeholder for a hidden ancestor."""
        if not path:
            return None
        if path in by_path:
            return by_path[path]
        above = place(rules.parent_path_of(path))
        gone = Entry(number=rules.number_in_path(path), depth=path.count("."))
        if above is not None:
            above.has_replies = True
        by_path[path] = gone
        out.append(gone)
        return gone

    for row in rows:
        if not row.path:
            continue
        above = place(rules.parent_path_of(row.path))
        entry = Entry(number=row.number or 0, depth=row.depth, response=row)
        if above is not None:
            above.has_replies = True
        if row.parent_id is not None and (
            above is None
            or above.response is None
            or above.response.pk != row.parent_id
        ):
            parent = by_pk.get(row.parent_id)
            if parent is not None:
                entry.answers_number = parent.number
                entry.answers_name = parent.author_name
            elif above is not None and above.response is None:
                pass  # the placeholder above already says it is gone
            else:
                entry.answers_gone = True
        by_path[row.path] = entry
        out.append(entry)
    _close_levels(out)
    return out


def _close_levels(out: list[Entry]) -> None:
    for index, entry in enumerate(out):
        following = out[index + 1].depth if index + 1 < len(out) else 0
        entry.has_replies = following > entry.depth
        entry.closes = range(max(0, entry.depth - following))
