"""A verification run again (its worker killed after the response was stored,
before the mention was marked accepted) makes no second response."""

from __future__ import annotations

import pytest

from firsthand.blog.models import Post
from firsthand.conversation import intake
from firsthand.conversation.models import Response
from firsthand.conversation.submission import Submission
from firsthand.crosstalk import tasks, verify
from firsthand.crosstalk.models import Inbound
from tests.crosstalk import receiving
from tests.crosstalk.receiving import Source, entry, target_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_minute")]

guard = receiving.guard
remote = receiving.remote


@pytest.mark.parametrize("protocol", ["webmention", "pingback", "trackback"])
def test_a_verification_run_twice_makes_one_response(
    remote: Source, post: Post, protocol: str
) -> None:
    target = target_of(post)
    source = remote.page("/notes/1", entry(target))
    inbound = Inbound.objects.create(
        protocol=protocol, source=source, target=target, post=post
    )
    tasks.verify_inbound_task.call(inbound.pk)
    first = Response.objects.get(post=post)
    # The kill came after intake committed and before the mention's own status
    # was written: the job runs again and finds the mention still waiting.
    Inbound.objects.filter(pk=inbound.pk).update(
        status=Inbound.Status.RECEIVED, response=None
    )
    tasks.verify_inbound_task.call(inbound.pk)
    assert list(Response.objects.filter(post=post)) == [first]
    inbound.refresh_from_db()
    assert (inbound.status, inbound.response) == (Inbound.Status.ACCEPTED, first)
    assert remote.fetches("/notes/1") == 2  # once per run, no more


@pytest.mark.parametrize("protocol", ["webmention", "pingback", "trackback"])
def test_two_pings_from_one_page_verified_at_once_make_one_response(
    remote: Source, post: Post, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two workers verify two pings naming the same page at the same moment: both
    # pass the checks made before the post is locked. The check made again under
    # the lock finds the first one's response.
    target = target_of(post)
    source = remote.page("/notes/1", entry(target))
    first, second = (
        Inbound.objects.create(
            protocol=protocol, source=source, target=target, post=post
        )
        for _ in range(2)
    )
    tasks.verify_inbound_task.call(first.pk)
    made = Response.objects.get(post=post)
    remote.page("/notes/1", entry(target, text="The page changed in between."))
    # The other worker looked before the first one stored: nothing found then.
    monkeypatch.setattr(verify, "_earlier_responses", lambda inbound: [])
    real = intake._same_source
    calls: list[int] = []

    def not_yet_then_real(submission: Submission) -> Response | None:
        calls.append(1)
        return (
            None if len(calls) == 1 and protocol == "webmention" else real(submission)
        )

    monkeypatch.setattr(intake, "_same_source", not_yet_then_real)
    tasks.verify_inbound_task.call(second.pk)
    assert list(Response.objects.filter(post=post)) == [made]
    second.refresh_from_db()
    assert (second.status, second.response) == (Inbound.Status.ACCEPTED, made)
    made.refresh_from_db()
    if protocol == "webmention":  # a Webmention revises its response in place
        assert "The page changed in between." in made.body
