"""Signals conversation declares for rooms above it (ids only).

They are sent inside the writer's transaction, so what receivers queue (task rows
in the database) commits together with the change: one commit instead of one per
task, and no follow-up lost if the process dies between the two. Receivers must
therefore only queue work (a task reads the rows again when it runs, after the
commit) and never reach outside the database.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent in the transaction in which a response first becomes visible.
# Arguments: response_id (int), post_id (int).
response_published = Signal()

# Sent in the transaction that stores a new response (any source), whatever the
# outcome: visible, held or spam. Arguments: response_id (int), post_id (int),
# status (str). Revisions of an earlier response do not send it.
response_stored = Signal()
