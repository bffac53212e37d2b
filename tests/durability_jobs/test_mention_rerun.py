"""A verification run again (its worker killed after the response was stored,
before the mention was marked accepted) makes no second response."""

from __future__ import annotations

import pytest

from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from firsthand.crosstalk import tasks
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
