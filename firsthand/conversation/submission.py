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
    author_photo: str = ""
    # "markdown" (written here) or "html" (imported from WordPress).
    body_format: str = "markdown"
    # Imports only: the status the old site gave it ("visible", "pending", "spam",
    # "removed"), its lasting key there, and its number if it had one here before
    # (a Firsthand export read back in). Live sources leave these empty.
    status: str = ""
    import_key: str = ""
    number: int | None = None
    # The response this one answers (same post, visible), for replies in the thread.
    parent_id: int | None = None
    source_url: str = ""
    source_title: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    # Set by sources that replay history (demo, import); live sources leave it None.
    created_at: datetime.datetime | None = None
    # Where it came from: "form", "pingback", "trackback", "webmention", "import",
    # "demo". Rules and spam layers that only make sense for one source check it.
    source: str = "form"
    # The comment form's guard fields. ``ticket`` is the form's one-time nonce (a
    # second POST of it is a double submit); ``form_age`` is how many seconds ago
    # the form was issued, None when its signed timestamp was missing or forged;
    # ``honeypot`` is the hidden field people never see and bots fill in.
    ticket: str = ""
    form_age: float | None = None
    honeypot: str = ""
    # Responses this browser proved it posted (its signed cookie, conversation.mine):
    # a returning commenter's proof of their address (conversation.guard).
    known_ids: tuple[int, ...] = ()

    def replace(self, **changes: object) -> Submission:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
