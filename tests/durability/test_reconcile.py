"""The reconciliation's arithmetic on hand-made journals and rows (no server):
each failure it exists to catch is caught, and a clean run passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import loadgen
from tests.harness.loadgen import Entry
from tests.harness.reconcile import (
    Fates,
    Report,
    StoredRow,
    crash_fates,
    parse_stored,
    percentile,
    reconcile,
)


def post(
    nonce: str,
    outcome: str,
    *,
    status: int | None = None,
    comment: str | None = None,
    post_id: int = 7,
    took: float = 0.1,
    attempt: int = 1,
) -> Entry:
    if status is None:
        status = {"acked": 302, "throttled": 400, "refused": 400}.get(outcome)
    if outcome == "acked" and comment is None:
        comment = f"comment-{nonce}"
    return Entry(
        kind="comment",
        path=f"/respond/{post_id}/",
        t_start=1.0,
        t_end=1.0 + took,
        status=status,
        outcome=outcome,
        nonce=nonce,
        post_id=post_id,
        comment=comment,
        attempt=attempt,
    )


def read(outcome: str = "ok", status: int | None = 200) -> Entry:
    return Entry(
        kind="page", path="/", t_start=0.0, t_end=0.01, status=status, outcome=outcome
    )


def row(
    nonce: str,
    pk: int,
    *,
    marker: str | None = None,
    post_id: int = 7,
    created: float = 0.0,
) -> StoredRow:
    return StoredRow(
        pk=pk,
        post_id=post_id,
        ticket=nonce,
        marker=nonce if marker is None else marker,
        anchor=f"comment-{nonce}",
        created=created,
    )


def test_a_clean_run_passes() -> None:
    journal = [
        read(),
        read(),
        post("a", "acked"),
        post("b", "acked"),
        post("c", "throttled"),
    ]
    report = reconcile(journal, [row("a", 1), row("b", 2)], seconds=2.0)
    assert report.ok
    assert (report.requests, report.reads, report.attempts, report.nonces) == (
        5,
        2,
        3,
        3,
    )
    assert (report.acked, report.stored, report.throttled) == (2, 2, 1)
    assert report.lost == report.dup == report.orphan == report.in_doubt == 0
    assert report.requests_per_second == 2.5
    assert report.line().startswith("OK: acked=2 stored=2 lost=0 dup=0")


def test_an_acknowledged_comment_missing_is_lost() -> None:
    report = reconcile([post("a", "acked"), post("b", "acked")], [row("a", 1)])
    assert report.lost == 1
    assert not report.ok
    assert report.line().startswith("FAILED")
    assert report.examples["lost"] == ["b acked as comment-b"]


def test_two_rows_for_one_form_are_a_duplicate() -> None:
    """Found by the nonce in the text too: a copy stored without its ticket."""
    rows = [
        row("a", 1),
        StoredRow(pk=2, post_id=7, ticket="", marker="a", anchor="comment-9"),
    ]
    report = reconcile([post("a", "acked")], rows)
    assert report.dup == 1
    assert not report.ok


def test_a_row_stored_unacknowledged_is_fine_only_when_in_doubt() -> None:
    in_doubt = reconcile([post("a", "in_doubt", status=None)], [row("a", 1)])
    assert (in_doubt.orphan, in_doubt.in_doubt) == (1, 1)
    assert in_doubt.ok
    refused = reconcile([post("a", "refused")], [row("a", 1)])
    assert (refused.orphan, refused.in_doubt) == (1, 0)
    assert not refused.ok


def test_a_retry_that_finds_the_first_copy_is_recovered() -> None:
    journal = [
        post("a", "in_doubt", status=None),
        post("a", "not_sent", status=None, attempt=2),
        post("a", "acked", attempt=3),
    ]
    report = reconcile(journal, [row("a", 1)])
    assert (report.acked, report.recovered, report.retried) == (1, 1, 1)
    assert report.in_doubt == report.orphan == 0
    assert report.ok


def test_acknowledgements_must_name_the_stored_comment() -> None:
    wrong = reconcile([post("a", "acked", comment="comment-99")], [row("a", 1)])
    assert wrong.mismatch == 1
    assert not wrong.ok
    split = reconcile(
        [post("a", "acked"), post("a", "acked", comment="comment-5", attempt=2)],
        [row("a", 1)],
    )
    assert split.mismatch == 1
    other_post = reconcile([post("a", "acked", post_id=8)], [row("a", 1, post_id=7)])
    assert other_post.mismatch == 1


def test_a_row_nobody_sent_and_a_crossed_row_fail() -> None:
    stranger = reconcile([post("a", "acked")], [row("a", 1), row("zz", 2)])
    assert stranger.stranger == 1
    assert not stranger.ok
    crossed = reconcile([post("a", "acked")], [row("a", 1, marker="b")])
    assert crossed.mismatch == 1
    assert not crossed.ok


def test_server_errors_count_on_every_request() -> None:
    journal = [read("server_error", 500), post("a", "server_error", status=503)]
    report = reconcile(journal, [])
    assert report.server_errors == 2
    assert not report.ok
    assert report.not_sent == report.refused == 0


def test_what_never_reached_the_server_is_not_in_doubt() -> None:
    journal = [read("not_sent", None), post("a", "not_sent", status=None)]
    report = reconcile(journal, [])
    assert (report.not_sent, report.in_doubt, report.read_errors) == (1, 0, 1)
    assert report.ok


def test_latency_counts_answered_posts_only() -> None:
    journal = [post(str(n), "acked", took=n / 100) for n in range(1, 101)]
    journal.append(post("x", "in_doubt", status=None, took=50.0))
    report = reconcile(journal, [row(str(n), n) for n in range(1, 101)])
    assert (report.p50, report.p95, report.p99) == pytest.approx((0.50, 0.95, 0.99))


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.75) == 3.0


def test_a_comment_without_a_nonce_is_a_broken_journal() -> None:
    broken = post("a", "acked")
    broken.nonce = None
    with pytest.raises(ValueError, match="no nonce"):
        reconcile([broken], [])


def test_the_journal_and_the_rows_round_trip(tmp_path: Path) -> None:
    journal = [read(), post("a", "acked")]
    path = tmp_path / "journal.jsonl"
    loadgen.write_journal(journal, path)
    assert loadgen.read_journal(path) == journal
    printed = (
        '{"pk": 1, "post_id": 7, "ticket": "a", "marker": "a", "anchor": "comment-a"}\n'
    )
    assert parse_stored(printed) == [row("a", 1)]


def test_a_row_says_when_it_was_made() -> None:
    printed = (
        '{"pk": 1, "post_id": 7, "ticket": "a", "marker": "a", "anchor": "comment-a",'
        ' "created": 1700000000.5}\n'
    )
    assert parse_stored(printed) == [row("a", 1, created=1700000000.5)]


def test_what_became_of_the_posts_a_crash_caught() -> None:
    """Killed at 100.0 on the server's clock, with six POSTs in flight."""
    cut = {n: post(n, "in_doubt", status=None) for n in "abcdef"}
    answered = cut.pop("f")
    answered.outcome, answered.status = "acked", 302
    journal = [
        *cut.values(),
        answered,
        post("a", "acked", attempt=2),  # its first copy was stored before the kill
        post("b", "not_sent", status=None, attempt=2),
        post("b", "acked", attempt=3),  # stored by this retry
        post("c", "refused", attempt=2),
        post("d", "in_doubt", status=None, attempt=2),  # given up: stored, unknown
        post("e", "not_sent", status=None, attempt=2),  # given up: never stored
        post("z", "acked"),  # not in flight at the kill
    ]
    rows = [
        row("a", 1, created=99.5),
        row("b", 2, created=103.0),
        row("d", 3, created=99.9),
        row("z", 4, created=98.0),
    ]
    fates = crash_fates([*cut.values(), answered], journal, rows, killed_at=100.0)
    assert (fates.in_flight, fates.answered, fates.caught) == (6, 1, 5)
    assert (fates.first_copy, fates.retry_stored, fates.refused) == (1, 1, 1)
    assert (fates.in_doubt, fates.orphaned) == (2, 1)
    assert fates.line().startswith("6 POSTs in flight at the kill: 1 answered")


def test_a_crash_with_nothing_in_flight_caught_nothing() -> None:
    fates = crash_fates([], [post("a", "acked")], [row("a", 1)], killed_at=5.0)
    assert fates == Fates()


def test_outcomes_of_answers() -> None:
    assert loadgen.outcome_of("comment", 302, "") == "acked"
    waited = f"<p>{loadgen.WAIT_TEXT}. You can post again in 1 second</p>"
    assert loadgen.outcome_of("comment", 400, waited) == "throttled"
    assert (
        loadgen.outcome_of("comment", 400, "<p>Please give your name</p>") == "refused"
    )
    assert loadgen.outcome_of("comment", 403, "") == "refused"
    assert loadgen.outcome_of("page", 304, "") == "ok"
    assert loadgen.outcome_of("page", 502, "") == "server_error"
    assert loadgen.nonce_of("AbC-_12.1700000000000.mac") == "AbC-_12"


def test_an_empty_report_passes_nothing_silently() -> None:
    """No load at all is 'ok' by the counts: the load tests also require acks."""
    assert Report().ok
    assert Report().line().startswith("OK: acked=0")
