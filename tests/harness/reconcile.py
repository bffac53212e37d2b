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

After a crash, ``crash_fates`` follows the POSTs that were in flight at the kill
(sent in full, no answer read): which of them the crash cut off, and what became
of their comments.
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
# post, anchor and when it was made (seconds since the epoch), as JSON lines.
STORED_SCRIPT = """
import json, re
from firsthand.conversation.models import Response
marker = re.compile(r"\\[ref ([A-Za-z0-9_=-]+)\\]")
rows = Response.objects.values_list(
    "pk", "post_id", "ticket", "body", "number", "created_at"
)
for pk, post_id, ticket, body, number, created in rows.iterator():
    found = marker.search(body)
    print(json.dumps({
        "pk": pk, "post_id": post_id, "ticket": ticket,
        "marker": found.group(1) if found else "",
        "anchor": f"comment-{number}" if number is not None else f"pending-{pk}",
        "created": created.timestamp(),
    }))
"""


@dataclasses.dataclass(frozen=True)
class StoredRow:
    pk: int
    post_id: int
    ticket: str
    marker: str
    anchor: str
    created: float = 0.0  # the server's clock, seconds since the epoch


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


@dataclasses.dataclass
class Fates:
    """The comment POSTs in flight when the app was killed, and their ends.

    ``in_flight`` = ``answered`` + ``caught``: a POST the client had sent in full
    and had no answer for, at the kill, either got its answer anyway (the server
    had written it before it died) or never did (the crash cut it off: the
    client's outcome is ``in_doubt``). A caught POST's comment then ended one way
    (retries carry on after the restart, with the same ticket):

    - ``first_copy``: stored before the kill (the crashed attempt committed it),
      and a retry was led to that copy;
    - ``retry_stored``: not stored before the kill; a retry stored it;
    - ``refused``: a retry was answered, not with the comment (a 4xx, the
      flood-control 400 or a 5xx);
    - ``in_doubt``: never answered; ``orphaned`` of these were stored anyway.
    """

    in_flight: int = 0
    answered: int = 0
    caught: int = 0
    first_copy: int = 0
    retry_stored: int = 0
    refused: int = 0
    in_doubt: int = 0
    orphaned: int = 0

    def line(self) -> str:
        return (
            f"{self.in_flight} POSTs in flight at the kill: {self.answered} "
            f"answered anyway, {self.caught} caught ({self.first_copy} stored before "
            f"the kill and found by a retry, {self.retry_stored} stored by a retry, "
            f"{self.refused} refused, {self.in_doubt} in doubt of which "
            f"{self.orphaned} stored)"
        )


def crash_fates(
    in_flight: Iterable[Entry],
    journal: Iterable[Entry],
    rows: Iterable[StoredRow],
    *,
    killed_at: float,
) -> Fates:
    """``in_flight``: the POST entries the client had in flight at the kill (their
    outcomes filled in since); ``killed_at``: the kill on the server's clock
    (``time.time()``), which tells a copy stored before it from one stored by a
    retry."""
    fates = Fates()
    outcomes: dict[str, set[str]] = defaultdict(set)
    for entry in journal:
        if entry.kind == "comment" and entry.nonce is not None:
            outcomes[entry.nonce].add(entry.outcome)
    made: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for key in {row.ticket, row.marker} - {""}:
            made[key].append(row.created)
    for entry in in_flight:
        fates.in_flight += 1
        if entry.outcome != "in_doubt":
            fates.answered += 1
            continue
        fates.caught += 1
        nonce = entry.nonce or ""
        ends = outcomes[nonce]
        before = any(created < killed_at for created in made[nonce])
        if "acked" in ends:
            if before:
                fates.first_copy += 1
            else:
                fates.retry_stored += 1
        elif ends & {"refused", "throttled", "server_error"}:
            fates.refused += 1
        else:
            fates.in_doubt += 1
            fates.orphaned += bool(made[nonce])
    return fates
