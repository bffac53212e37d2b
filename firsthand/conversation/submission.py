"""What every source hands to intake: a plain, frozen description of a response."""

from __future__ import annotations

import dataclasses
import datetime


@dataclasses.dataclass(frozen=True)
class Submission:
    post_id: int
    kind: str
    author_name: str
    body: str
    author_email: str = ""
    author_url: str = ""
    author_title: str = ""
    source_url: str = ""
    source_title: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    # Set by sources that replay history (demo, import); live sources leave it None.
    created_at: datetime.datetime | None = None

    def replace(self, **changes: object) -> Submission:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
