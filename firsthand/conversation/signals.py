"""Signals conversation declares for rooms above it (sent after commit, ids only)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction in which a response first became visible commits.
# Arguments: response_id (int), post_id (int).
response_published = Signal()

# Sent after the transaction that stored a new response (any source) commits,
# whatever the outcome: visible, held or spam. Arguments: response_id (int),
# post_id (int), status (str). Revisions of an earlier response do not send it.
response_stored = Signal()
