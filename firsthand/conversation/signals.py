"""Signals conversation declares for rooms above it (ids only).

``response_published`` and ``response_stored`` are sent inside the writer's
transaction, so what receivers queue (task rows in the database) commits together
with the change: one commit instead of one per task, and no follow-up lost if the
process dies between the two. Receivers of those must therefore only queue work (a
task reads the rows again when it runs, after the commit) and never reach outside
the database.

``response_appeared`` is sent later, by the background worker, from the one job a
response's first appearance queues: rooms above that react to every published
response (the WebSub push) do their work there, so a new comment costs one task
row, not one per room.
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

# Sent by the worker, outside any request or transaction, from the job that a
# response's first appearance queued (conversation.tasks.published_task), after
# conversation's own emails. Receivers may do slow work (fetch, queue more jobs);
# each runs even if one before it failed. Arguments: response_id (int).
response_appeared = Signal()
