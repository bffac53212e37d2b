"""Intake for history: all the imported responses of one post, in one go.

The same steps ``intake.receive`` takes for the trusted source "import" —
normalise, validate, judge (only if asked), render, number, place in the thread,
count — applied to a whole post's responses at once, and written with a few bulk
queries instead of a dozen queries per response. It tells no one (no signals):
history was news long ago. The caller holds the transaction (the importer's one
for the whole file).
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Sequence

from django.db.models import F
from django.utils import timezone

from firsthand import pagecache
from firsthand.blog.models import Post
from firsthand.conversation import guard, intake, rules, spam
from firsthand.conversation.models import Response
from firsthand.conversation.spam.verdict import Judgement
from firsthand.conversation.submission import Submission
from firsthand.conversation.threadstate import lock_post

BATCH = 500


@dataclasses.dataclass(frozen=True)
class Entry:
    """One response to replay. ``parent`` is the index of an earlier entry it
    answers (a stored response is named by ``submission.parent_id`` instead);
    ``uid`` and ``edited_at`` are what a Firsthand export carries besides."""

    submission: Submission
    parent: int | None = None
    uid: uuid.UUID | None = None
    edited_at: datetime.datetime | None = None


def receive_history(
    post_id: int, entries: Sequence[Entry], *, judge: bool = False
) -> list[Response | intake.Rejected]:
    """Store ``entries`` (parents before their replies) on post ``post_id``.

    Returns, for each entry, the stored ``Response`` or the ``Rejected`` that says
    why it could not be stored. A reply whose parent was rejected or never shown
    starts a conversation of its own (and still names a stored parent).
    """
    post = lock_post(post_id)
    now = timezone.now()
    results: list[Response | intake.Rejected] = []
    places = _stored_places(post, entries)
    taken = _taken_numbers(post)
    taken_uids = _taken_uids(entries)
    visible = 0
    for index, entry in enumerate(entries):
        checked = _checked(entry.submission, judge)
        if isinstance(checked, intake.Rejected):
            results.append(checked)
            continue
        submission, status, judgement = checked
        response = intake.new_response(
            post,
            submission,
            judgement,
            body_html=intake.html_of(submission),
            now=now,
            import_key=submission.import_key or None,
            edited_at=entry.edited_at,
            status=status,
        )
        if entry.uid is not None and entry.uid not in taken_uids:
            response.uid = entry.uid
            taken_uids.add(entry.uid)
        response.number = _number(post, submission.number, status, taken)
        if response.number is not None and response.kind in rules.THREADED_KINDS:
            spot, post.last_root_ordinal = rules.place(
                response.number, _above(entry, places), post.last_root_ordinal
            )
            response.path, response.root_ordinal = spot
            places[("new", index)] = spot
        visible += status == rules.VISIBLE
        results.append(response)
    _store(entries, results)
    Post.everything.filter(pk=post.pk).update(
        last_response_number=post.last_response_number,
        last_root_ordinal=post.last_root_ordinal,
        response_count=F("response_count") + visible,
    )
    post.response_count += visible
    # Bulk inserts send no model signals: tell the page cache by hand.
    pagecache.bump_on_commit(f"post:{post.pk}", "responses")
    return results


def _checked(
    submission: Submission, judge: bool
) -> tuple[Submission, str, Judgement | None] | intake.Rejected:
    """``intake.receive``'s checks for a history replay: the text as it was (no
    length limit), the old site's status unless the spam layers are asked."""
    submission = rules.normalized(submission)
    errors = rules.validation_errors(submission, max_chars=10**9)
    status = submission.status or rules.VISIBLE
    if status not in rules.STATUSES:
        errors.setdefault("__all__", []).append(f"Unknown status {status!r}.")
    if errors:
        return intake.Rejected(errors)
    judgement = None
    if judge and status == rules.VISIBLE:
        judgement = spam.judge(submission, guard.context_for(submission))
        status = rules.initial_status(judgement.outcome, near_duplicate=False)
    return submission, status, judgement


def _number(post: Post, wanted: int | None, status: str, taken: set[int]) -> int | None:
    """The number it had on its old site if free here; else the next one if it is
    visible; else none (held responses are numbered when they are shown)."""
    if wanted is not None and wanted > 0 and wanted not in taken:
        number: int | None = wanted
    elif status == rules.VISIBLE:
        number = post.last_response_number + 1
        while number in taken:
            number += 1
    else:
        number = None
    if number is not None:
        taken.add(number)
        post.last_response_number = max(post.last_response_number, number)
    return number


def _above(
    entry: Entry, places: dict[tuple[str, int], rules.Place]
) -> rules.Place | None:
    """Where the response it answers sits, if that one has a place."""
    if entry.parent is not None:
        return places.get(("new", entry.parent))
    parent_id = entry.submission.parent_id
    return places.get(("stored", parent_id)) if parent_id is not None else None


def _stored_places(
    post: Post, entries: Sequence[Entry]
) -> dict[tuple[str, int], rules.Place]:
    """The places of the stored responses that entries answer (one query)."""
    wanted = {e.submission.parent_id for e in entries if e.submission.parent_id}
    if not wanted:
        return {}
    rows = Response.objects.filter(post=post, pk__in=wanted).exclude(path="")
    return {
        ("stored", pk): (path, ordinal)
        for pk, path, ordinal in rows.values_list("pk", "path", "root_ordinal")
    }


def _taken_numbers(post: Post) -> set[int]:
    if not post.last_response_number:
        return set()
    numbers = Response.objects.filter(post=post, number__isnull=False)
    return {n for n in numbers.values_list("number", flat=True) if n is not None}


def _taken_uids(entries: Sequence[Entry]) -> set[uuid.UUID]:
    wanted = [e.uid for e in entries if e.uid is not None]
    if not wanted:
        return set()
    return set(Response.objects.filter(uid__in=wanted).values_list("uid", flat=True))


def _store(entries: Sequence[Entry], results: list[Response | intake.Rejected]) -> None:
    """Insert in generations: first what answers nothing new, then the replies to
    those (their parents' ids now known), and so on: one bulk insert each."""
    generation: dict[int, int] = {}
    waves: dict[int, list[int]] = {}
    for index, entry in enumerate(entries):
        if not isinstance(results[index], Response):
            continue
        parent = entry.parent
        if parent is not None and isinstance(results[parent], Response):
            generation[index] = generation[parent] + 1
        else:
            generation[index] = 0
        waves.setdefault(generation[index], []).append(index)
    for wave in sorted(waves):
        rows: list[Response] = []
        for index in waves[wave]:
            row, parent = results[index], entries[index].parent
            assert isinstance(row, Response)
            if wave and parent is not None:
                row.parent_id = results[parent].pk  # type: ignore[union-attr]
            rows.append(row)
        Response.objects.bulk_create(rows, batch_size=BATCH)
