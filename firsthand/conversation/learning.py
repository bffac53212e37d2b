"""The classifier's memory in the database, and learning from moderators.

The spam package's learner is pure; this module gives it counts stored in the
``SpamToken`` table (one row per feature) and ``SpamTotals`` (one row), shared by
every process, and updates them when a moderator decides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from django.db import transaction
from django.db.models import F

from firsthand.conversation.models import Response, SpamToken, SpamTotals
from firsthand.conversation.spam import learner, seed
from firsthand.conversation.spam.learner import MemoryCounts
from firsthand.conversation.submission import Submission

TOKEN_MAX = SpamToken._meta.get_field("token").max_length or 200


def _keys(tokens: Iterable[str]) -> list[str]:
    """Features as stored: unique, and cut to the column's width."""
    return list(dict.fromkeys(token[:TOKEN_MAX] for token in tokens))


class DatabaseCounts:
    """``TokenCounts`` backed by the database: one query per lookup."""

    def counts(self, tokens: Iterable[str]) -> Mapping[str, tuple[int, int]]:
        wanted = list(dict.fromkeys(tokens))
        rows = SpamToken.objects.filter(token__in=_keys(wanted)).values_list(
            "token", "spam", "ham"
        )
        found = {token: (spam, ham) for token, spam, ham in rows}
        return {t: found[t[:TOKEN_MAX]] for t in wanted if t[:TOKEN_MAX] in found}

    def totals(self) -> tuple[int, int]:
        row = SpamTotals.objects.filter(pk=1).values_list("spam_docs", "ham_docs")
        return row.first() or (0, 0)


@transaction.atomic
def add_counts(features: Iterable[str], *, spam: bool, times: int = 1) -> None:
    """Count one document's features (``times=-1`` takes a document back).

    Each distinct feature's row goes up by one, the reserved ``FEATURE_TOTAL`` row
    by the number of distinct features, the document total by one: what
    ``MemoryCounts.learn`` does in memory (``learner.deltas``).
    """
    changes = learner.deltas(_keys(features))
    total = changes.pop(learner.FEATURE_TOTAL)
    tokens = list(changes)
    field = "spam" if spam else "ham"
    docs = "spam_docs" if spam else "ham_docs"
    SpamTotals.objects.get_or_create(pk=1)
    SpamToken.objects.bulk_create(
        [SpamToken(token=t) for t in [*tokens, learner.FEATURE_TOTAL]],
        ignore_conflicts=True,
    )
    # Never below zero, even if the counts were rebuilt meanwhile.
    floor = {f"{field}__gte": -times} if times < 0 else {}
    SpamToken.objects.filter(token__in=tokens, **floor).update(
        **{field: F(field) + times}
    )
    floor = {f"{field}__gte": -times * total} if times < 0 else {}
    SpamToken.objects.filter(token=learner.FEATURE_TOTAL, **floor).update(
        **{field: F(field) + times * total}
    )
    floor = {f"{docs}__gte": -times} if times < 0 else {}
    SpamTotals.objects.filter(pk=1, **floor).update(**{docs: F(docs) + times})


def submission_of(response: Response) -> Submission:
    """The response as the learner sees a submission (same features as at intake)."""
    return Submission(
        post_id=response.post_id,
        kind=response.kind,
        author_name=response.author_name,
        body=response.body,
        author_email=response.author_email,
        author_url=response.author_url,
        author_title=response.author_title,
        source_url=response.source_url,
        source_title=response.source_title,
        source=response.source,
    )


@transaction.atomic
def learn_from(response: Response, *, label: str) -> None:
    """Teach the classifier a moderator's decision ("spam" or "ham") on a response.

    A changed mind is unlearned first, so each response counts once, as decided last.
    """
    if label not in {"spam", "ham"}:
        raise ValueError(f"label must be 'spam' or 'ham', not {label!r}")
    if response.learned_as == label:
        return
    feats = learner.features(submission_of(response))
    if response.learned_as:
        add_counts(feats, spam=response.learned_as == "spam", times=-1)
    add_counts(feats, spam=label == "spam")
    Response.objects.filter(pk=response.pk).update(learned_as=label)
    response.learned_as = label


@dataclasses.dataclass
class RebuildReport:
    seed_documents: int
    decisions: int
    tokens: int


@transaction.atomic
def replace_counts(memory: MemoryCounts) -> int:
    """Make the database hold exactly these counts; returns the number of tokens."""
    merged: dict[str, list[int]] = {}
    for token, (spam, ham) in memory.tokens.items():
        pair = merged.setdefault(token[:TOKEN_MAX], [0, 0])
        pair[0] += spam
        pair[1] += ham
    SpamToken.objects.all().delete()
    SpamToken.objects.bulk_create(
        (SpamToken(token=t, spam=c[0], ham=c[1]) for t, c in merged.items()),
        batch_size=2000,
    )
    SpamTotals.objects.update_or_create(
        pk=1, defaults={"spam_docs": memory.spam_docs, "ham_docs": memory.ham_docs}
    )
    return len(merged)


def rebuild(paths: Sequence[Path]) -> RebuildReport:
    """Retrain from labelled files (else the shipped seed) plus every decision
    moderators made on this site."""
    memory = seed.train(paths) if paths else seed.load_seed()
    seed_documents = sum(memory.totals())
    decisions = 0
    for response in Response.objects.exclude(learned_as="").iterator():
        memory.learn(
            learner.features(submission_of(response)),
            spam=response.learned_as == "spam",
        )
        decisions += 1
    tokens = replace_counts(memory)
    return RebuildReport(seed_documents, decisions, tokens)
