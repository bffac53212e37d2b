"""The classifier learns from moderators, in the database every process shares."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from firsthand.blog.models import Post
from firsthand.conversation import guard, learning, moderation, spam
from firsthand.conversation.models import Response, SpamToken, SpamTotals
from firsthand.conversation.spam import learner
from firsthand.conversation.spam.learner import MemoryCounts
from firsthand.conversation.spam.seed import load_seed, train
from tests.conftest import submission_for
from tests.testdata import shared_file

pytestmark = pytest.mark.django_db

PITCHES = [
    "Lovely thoughts! Grab cheap frame deals at framesale dot example today",
    "Great read. Cheap frame deals every day at framesale, grab yours today",
    "Nice post. Grab cheap frame deals now, framesale has the best deals today",
    "So true. Cheap frame deals today only, grab them at framesale",
]
PROBE = "Wise words. Grab cheap frame deals at framesale today"


def classifier_score(post: Post, body: str) -> float:
    submission = submission_for(post, body=body, author_email="probe@example.net")
    judgement = spam.judge(submission, guard.context_for(submission))
    verdict = next(v for v in judgement.verdicts if v.layer == "classifier")
    return verdict.score


def test_the_site_starts_from_the_seed_model(db: None) -> None:
    seed = load_seed()
    totals = SpamTotals.objects.get(pk=1)
    assert (totals.spam_docs, totals.ham_docs) == seed.totals()
    assert SpamToken.objects.count() == len(seed.tokens)


def test_marking_spam_makes_a_similar_message_score_higher(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    before = classifier_score(post, PROBE)
    for n, text in enumerate(PITCHES):
        response = comment_on(post, body=text, author_email=f"s{n}@example.net")
        moderation.mark_spam(response)
    after = classifier_score(post, PROBE)
    assert after > before
    ordinary = "I framed my grandmother's quilt last spring and it still looks right."
    assert classifier_score(post, ordinary) < after


def test_approving_teaches_not_spam_and_a_changed_mind_is_unlearned(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    response = comment_on(post, body=PITCHES[0], author_email="x@example.net")
    spam_docs, ham_docs = learning.DatabaseCounts().totals()
    moderation.mark_spam(response)
    assert learning.DatabaseCounts().totals() == (spam_docs + 1, ham_docs)
    moderation.mark_spam(response)  # the same decision twice counts once
    assert learning.DatabaseCounts().totals() == (spam_docs + 1, ham_docs)
    moderation.approve(response)
    assert learning.DatabaseCounts().totals() == (spam_docs, ham_docs + 1)
    response.refresh_from_db()
    assert response.learned_as == "ham"


def test_database_counts_match_the_learner_in_memory(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    """The same decisions give the same counts in the table as in memory."""
    call_command("train_spam", "--seed-only", stdout=io.StringIO())
    memory = load_seed()
    for n, text in enumerate(PITCHES):
        response = comment_on(post, body=text, author_email=f"m{n}@example.net")
        moderation.mark_spam(response)
        memory.learn(learner.features(learning.submission_of(response)), spam=True)
    moderation.approve(Response.objects.get(body=PITCHES[0]))
    first = Response.objects.get(body=PITCHES[0])
    feats = learner.features(learning.submission_of(first))
    memory.unlearn(feats, spam=True)
    memory.learn(feats, spam=False)
    assert learning.DatabaseCounts().totals() == memory.totals()
    stored = dict(SpamToken.objects.values_list("token", "spam"))
    for token in [*feats, learner.FEATURE_TOTAL]:
        if token in memory.tokens:
            assert stored[token] == memory.tokens[token][0], token


def test_train_spam_rebuilds_from_files_and_the_sites_decisions(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    path = shared_file("spam/Youtube01-Psy.csv")
    response = comment_on(post, body=PITCHES[1], author_email="t@example.net")
    moderation.mark_spam(response)
    labelled = sum(train([path]).totals())  # repeated texts are learned once
    assert 340 < labelled <= 350
    out = io.StringIO()
    call_command("train_spam", str(path), stdout=out)
    assert f"{labelled} labelled documents and 1 moderator decisions" in out.getvalue()
    spam_docs, ham_docs = learning.DatabaseCounts().totals()
    assert spam_docs + ham_docs == labelled + 1


def test_train_spam_refuses_a_missing_file(db: None) -> None:
    with pytest.raises(CommandError, match="is not a file"):
        call_command("train_spam", "/no/such/file.csv", stdout=io.StringIO())


@override_settings(FIRSTHAND_SPAM_KEEP_DAYS=30)
def test_spam_is_purged_after_the_review_period(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    old = moderation.mark_spam(comment_on(post, body=PITCHES[2]))
    visible = comment_on(post, body="A fine and ordinary comment.")
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=29)
    with time_machine.travel(later):
        fresh = moderation.mark_spam(comment_on(post, body=PITCHES[3]))
    out = io.StringIO()
    with time_machine.travel(later + datetime.timedelta(days=2)):
        call_command("purge_spam", stdout=out)
    assert "Purged 1 spam response(s)" in out.getvalue()
    remaining = set(Response.objects.values_list("pk", flat=True))
    assert remaining == {visible.pk, fresh.pk}
    assert old.pk not in remaining


def test_memory_counts_round_trip(db: None) -> None:
    memory = MemoryCounts()
    memory.learn(learner.features("check out my channel"), spam=True)
    assert MemoryCounts.from_json(memory.to_json()).totals() == (1, 0)
