"""FIRSTHAND_HOLD_FIRST_COMMENTS cannot be walked past by typing a regular's email
address (plan §3.1 D34, T34): the browser must prove it posted one of that
address's approved responses."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from firsthand.blog.models import Post
from firsthand.conversation import mine, moderation
from firsthand.conversation.models import Response
from tests.conftest import ReaderClient
from tests.conversation.forms import form, respond

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("hold_first"),
]


@pytest.fixture
def hold_first() -> object:
    with override_settings(FIRSTHAND_HOLD_FIRST_COMMENTS=True):
        yield


def say(client: Client, post: Post, body: str, **fields: str) -> Response:
    sent = {**form(post, body=body), **fields}
    assert client.post(respond(post), sent).status_code == 302
    return Response.objects.get(body=body)


def test_a_regulars_address_typed_in_another_browser_is_held(post: Post) -> None:
    bob = ReaderClient()
    first = say(bob, post, "Prices online help everyone.")
    assert first.status == Response.Status.PENDING
    moderation.approve(first)
    # Mallory types bob's name and address from her own browser.
    mallory = ReaderClient()
    posed = say(
        mallory, post, "Framing prices vary by the week.", author_name="Bob Reader"
    )
    assert posed.status == Response.Status.PENDING
    assert any("new commenter" in v["reasons"] for v in posed.reasons)


def test_the_returning_commenters_own_browser_is_not_held(post: Post) -> None:
    bob = ReaderClient()
    moderation.approve(say(bob, post, "Prices online help everyone."))
    again = say(bob, post, "And a range is better than nothing.")
    assert again.status == Response.Status.VISIBLE
    # In any letter case of the address.
    third = say(bob, post, "One more thought.", author_email="Bob@Example.org")
    assert third.status == Response.Status.VISIBLE


def test_a_browser_proving_another_address_proves_nothing_for_this_one(
    post: Post,
) -> None:
    mallory = ReaderClient()
    own = say(mallory, post, "Nice post.", author_email="mallory@example.net")
    moderation.approve(own)
    bob = ReaderClient()
    moderation.approve(say(bob, post, "Prices online help everyone."))
    # Her cookie names her own approved response, not one of bob's.
    posed = say(mallory, post, "The middle way sounds right to me.")
    assert posed.status == Response.Status.PENDING
    assert any("new commenter" in v["reasons"] for v in posed.reasons)


def test_a_forged_or_copied_id_list_is_no_proof(post: Post) -> None:
    bob = ReaderClient()
    first = say(bob, post, "Prices online help everyone.")
    moderation.approve(first)
    mallory = ReaderClient()
    mallory.cookies[mine.COOKIE] = f"{first.pk}"  # unsigned: not accepted
    forged = say(mallory, post, "The middle way sounds right to me.")
    assert forged.status == Response.Status.PENDING
    assert any("new commenter" in v["reasons"] for v in forged.reasons)


def test_a_held_first_comment_is_no_proof_until_approved(post: Post) -> None:
    bob = ReaderClient()
    say(bob, post, "Prices online help everyone.")
    second = say(bob, post, "Still waiting, a second thought.")
    assert second.status == Response.Status.PENDING
