"""One row per running worker process: its heartbeat.

A worker refreshes ``seen_at`` every few seconds while it lives (in a thread, so
a long job does not stop it). A job held by a worker whose heartbeat is older
than the lease is put back in the queue (``leases.recover``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkerBeat(models.Model):
    # The id the worker writes into DBTaskResult.worker_ids when it claims a job.
    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.worker_id} (pid {self.pid} on {self.host})"
