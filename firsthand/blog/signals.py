"""Signals blog declares for rooms above it (sent after commit, with ids only).

Core rules never live in receivers: these only tell others that something
happened, e.g. syndication pushing to WebSub subscribers.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that published a post commits, if it is public now.
# Arguments: post_id (int).
post_published = Signal()

# Sent after the transaction that scheduled a post for a future time commits, so
# work that must happen when it appears can be queued for then.
# Arguments: post_id (int), at (datetime).
post_scheduled = Signal()

# Sent after the transaction that saved an already public post commits (an edit).
# Arguments: post_id (int).
post_edited = Signal()
