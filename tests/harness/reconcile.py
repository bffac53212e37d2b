"""Reconciliation: what the load generator was told (its journal) against what
the database holds (the rows that carry a journal nonce).

The definition of "no data loss" it checks (docs/reliability.md): every comment
the server acknowledged is stored, exactly once; a comment stored without an
acknowledgement is one whose outcome the client never learned (the connection
broke); nothing else.

Counted per nonce (one comment form; a retry sends the same nonce again):

- ``acked``: some attempt got the redirect to the comment.
- ``stored``: a row carries the nonce (as its ticket, or in its text).
- ``lost``: acked, not stored. Must be 0.
- ``dup``: rows beyond the first for one nonce. Must be 0.
- ``in_doubt``: not acked, and some attempt ended without an answer.
- ``orphan``: stored, not acked. Must be at most ``in_doubt``.
- ``mismatch``: an acknowledgement that names another comment than the stored
  one, or two acknowledgements of one nonce that disagree. Must be 0.
- ``stranger``: a row whose nonce no journal line sent. Must be 0.
- ``5xx``: server errors among all requests. Must be 0.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable

from tests.harness.loadgen import Entry

MARKER = re.compile(r"\[ref ([A-Za-z0-9_=-]+)\]")

# Run inside the site (``Site.python``): every response's ticket, text marker,
# post and anchor, as JSON lines.
STORED_SCRIPT = """
import json, re
from firsthand.conversation.models import Response
marker = re.compile(r"\\[ref ([A-Za-z0-9_=-]+)\\]")
rows = Response.objects.values_list("pk", "post_id", "ticket", "body", "number")
for pk, post_id, ticket, body, number in rows.iterator():
    found = marker.search(body)
    print(json.dumps({
        "pk": pk, "post_id": post_id, "ticket": ticket,
        "marker": found.group(1) if found else "",
        "anchor": f"comment-{number}" if number is not None else f"pending-{pk}",
    }))
"""


@dataclasses.dataclass(frozen=True)
class StoredRow:
    pk: int
    post_id: int
    ticket: str
    marker: str
    anchor: str


def parse_stored(printed: str) -> list[StoredRow]:
    return [
        StoredRow(**json.loads(line)) for line in printed.splitlines() if line.strip()
    ]


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of them at or
    below it (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclasses.dataclass
class Report:
    requests: int = 0
    reads: int = 0
    attempts: int = 0  # comment POSTs, retries included
    nonces: int = 0  # comment forms sent
    acked: int = 0
    stored: int = 0
    lost: int = 0
    dup: int = 0
    in_doubt: int = 0
    orphan: int = 0
    mismatch: int = 0
    stranger: int = 0
    server_errors: int = 0
    throttled: int = 0
    refused: int = 0
    not_sent: int = 0  # forms never delivered (every attempt failed to connect)
    retried: int = 0  # forms sent more than once
    recovered: int = 0  # forms in doubt once, then acked when sent again
    read_errors: int = 0  # reads with no answer (the server was down)
    seconds: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    examples: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.dup == 0
            and self.server_errors == 0
            and self.mismatch == 0
            and self.stranger == 0
            and self.orphan <= self.in_doubt
        )

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def acked_per_second(self) -> float:
        return self.acked / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        verdict = "OK" if self.ok else "FAILED"
        return (
            f"{verdict}: acked={self.acked} stored={self.stored} lost={self.lost} "
            f"dup={self.dup} in_doubt={self.in_doubt} orphan={self.orphan} "
            f"mismatch={self.mismatch} stranger={self.stranger} "
            f"5xx={self.server_errors} throttled={self.throttled} "
            f"refused={self.refused} not_sent={self.not_sent} "
            f"retried={self.retried} recovered={self.recovered} | "
            f"{self.requests} requests "
            f"({self.reads} reads, {self.attempts} POSTs, "
            f"{self.read_errors} reads unanswered) in {self.seconds:.1f} s = "
            f"{self.requests_per_second:.0f} req/s, "
            f"{self.acked_per_second:.1f} comments/s | POST p50 "
            f"{self.p50 * 1000:.0f} ms p95 {self.p95 * 1000:.0f} ms "
            f"p99 {self.p99 * 1000:.0f} ms"
        )


def reconcile(
    journal: Iterable[Entry], rows: Iterable[StoredRow], *, seconds: float = 0.0
) -> Report:
    report = Report(seconds=seconds)
    attempts: dict[str, list[Entry]] = defaultdict(list)
    latencies = []
    for entry in journal:
        report.requests += 1
        if entry.outcome == "server_error":
            report.server_errors += 1
            _example(report, "5xx", f"{entry.kind} {entry.path} {entry.status}")
        if entry.kind != "comment":
            report.reads += 1
            if entry.outcome in ("in_doubt", "not_sent"):
                report.read_errors += 1
            continue
        report.attempts += 1
        if entry.nonce is None:
            raise ValueError(f"a comment with no nonce in the journal: {entry}")
        attempts[entry.nonce].append(entry)
        if entry.status is not None:
            latencies.append(entry.t_end - entry.t_start)
    report.nonces = len(attempts)
    report.p50 = percentile(latencies, 0.50)
    report.p95 = percentile(latencies, 0.95)
    report.p99 = percentile(latencies, 0.99)

    by_nonce: dict[str, dict[int, StoredRow]] = defaultdict(dict)
    for row in rows:
        keys = {key for key in (row.ticket, row.marker) if key}
        if row.ticket and row.marker and row.ticket != row.marker:
            report.mismatch += 1
            _example(
                report,
                "mismatch",
                f"row {row.pk}: ticket {row.ticket} text {row.marker}",
            )
        known = [key for key in keys if key in attempts]
        if not known:
            report.stranger += 1
            _example(report, "stranger", f"row {row.pk} ({row.ticket or row.marker})")
        for key in known:
            by_nonce[key][row.pk] = row

    for nonce, tries in attempts.items():
        stored = by_nonce.get(nonce, {})
        outcomes = {entry.outcome for entry in tries}
        acks = [entry for entry in tries if entry.outcome == "acked"]
        if len(tries) > 1:
            report.retried += 1
        if stored:
            report.stored += 1
            report.dup += len(stored) - 1
            if len(stored) > 1:
                _example(report, "dup", f"{nonce}: rows {sorted(stored)}")
        if acks:
            report.acked += 1
            if "in_doubt" in outcomes:
                report.recovered += 1
            named = {(entry.post_id, entry.comment) for entry in acks}
            if not stored:
                report.lost += 1
                _example(report, "lost", f"{nonce} acked as {acks[0].comment}")
            elif len(named) > 1 or not named & {
                (row.post_id, row.anchor) for row in stored.values()
            }:
                report.mismatch += 1
                _example(
                    report, "mismatch", f"{nonce}: acked {sorted(map(str, named))}"
                )
            continue
        if stored:
            report.orphan += 1
        if "in_doubt" in outcomes:
            report.in_doubt += 1
        elif "server_error" in outcomes:
            pass  # counted above, request by request
        elif "throttled" in outcomes:
            report.throttled += 1
        elif "refused" in outcomes:
            report.refused += 1
        else:
            report.not_sent += 1
    return report


def _example(report: Report, kind: str, text: str) -> None:
    shown = report.examples.setdefault(kind, [])
    if len(shown) < 5:
        shown.append(text)
