"""Signals conversation declares for rooms above it (sent after commit, ids only)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction in which a response first became visible commits.
# Arguments: response_id (int), post_id (int).
response_published = Signal()
