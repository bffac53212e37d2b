"""The comment form's question "whom does this comment address?", through HTTP."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from firsthand.blog.models import Author, Post
from firsthand.conversation import addressing_views, mine, moderation
from firsthand.conversation.models import Response

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_minute")]

Comment = Callable[..., Response]
MINA = {"author_name": "Mina Okafor", "author_email": "mina@example.org"}
CINDY = {"author_name": "Cindy Vale", "author_email": "cindy@example.com"}
THEO = {"author_name": "Theo Brandt", "author_email": "theo@example.net"}


@pytest.fixture(autouse=True)
def guard_cache() -> Iterator[None]:
    """Fresh rate-limit counters for every test, in memory (a database cache would
    add its own queries to the counts asserted here)."""
    guard = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(CACHES={**settings.CACHES, "guard": guard}):
        caches["guard"].clear()
        yield
        caches["guard"].clear()


@pytest.fixture
def thread(post: Post, comment_on: Comment) -> list[Response]:
    """#1 Mina, #2 Cindy ("I totally agree with you, Ada."), #3 Mina again."""
    return [
        comment_on(post, body="Prices online save everyone a phone call.", **MINA),
        comment_on(post, body="I totally agree with you, Ada.", **CINDY),
        comment_on(post, body="And a range is better than nothing.", **MINA),
    ]


def ask(client: Client, post: Post, **params: str) -> Any:
    return client.get(f"{post.get_absolute_url()}addressee/", params)


def answer_of(client: Client, post: Post, **params: str) -> dict[str, Any]:
    reply = ask(client, post, **params)
    assert reply.status_code == 200
    assert reply["Content-Type"] == "application/json"
    result: dict[str, Any] = json.loads(reply.content)
    return result


def test_the_route_sits_under_the_post(post: Post) -> None:
    day = post.published_at
    assert day is not None
    assert reverse(
        "blog:addressee",
        kwargs={
            "year": day.year,
            "month": day.month,
            "day": day.day,
            "slug": post.slug,
        },
    ) == (f"{post.get_absolute_url()}addressee/")


def test_a_named_commenter_is_offered_with_their_latest_response(
    client: Client, post: Post, thread: list[Response]
) -> None:
    text = "Mina while I agree with you, Ada and the others, a range"
    found = answer_of(client, post, text=text, name="Bob Reader")
    assert found == {
        "number": 3,
        "name": "Mina Okafor",
        "url": f"{post.get_absolute_url()}comments/3/",
        "why": (
            "Word 1 of the opening is Mina, and Mina Okafor is the only earlier "
            "commenter called Mina; their latest response is #3."
        ),
    }
    # The address is #3's lasting one: it leads to its place in the thread.
    followed = client.get(found["url"])
    assert followed.status_code == 302
    assert followed["Location"].endswith("#comment-3")


def test_nobody_addressed_answers_an_empty_object(
    client: Client, post: Post, thread: list[Response]
) -> None:
    # The post's author never commented; Cindy is named only after 8 words.
    assert answer_of(client, post, text="I totally agree with you, Ada.") == {}
    late = "One two three four five six seven eight Cindy, yes."
    assert answer_of(client, post, text=late) == {}
    assert answer_of(client, post, text="I agree with Cindy Vale.")["number"] == 2
    assert answer_of(client, post) == {}


def test_only_the_first_300_characters_are_read(
    client: Client, post: Post, thread: list[Response]
) -> None:
    assert answer_of(client, post, text=" " * 295 + "Cindy")["number"] == 2
    assert answer_of(client, post, text=" " * 296 + "Cindy") == {}


def test_the_writer_is_not_offered_themself(
    client: Client, post: Post, thread: list[Response]
) -> None:
    text = "Mina here again: ranges work."
    assert answer_of(client, post, text=text, name="Mina Okafor") == {}
    assert answer_of(client, post, text=text, name="Bob Reader")["number"] == 3


def test_an_email_address_counts_only_for_what_this_browser_wrote(
    client: Client, post: Post, thread: list[Response]
) -> None:
    """Otherwise anyone could learn whether an address is a named commenter's."""
    text = "Mina here again: ranges work."
    guess = {"text": text, "name": "M. O.", "email": "MINA@example.org"}
    assert answer_of(client, post, **guess)["number"] == 3
    prove_wrote(client, thread[0])
    assert answer_of(client, post, **guess) == {}
    assert answer_of(client, post, **{**guess, "email": "bob@example.org"}) != {}


def prove_wrote(client: Client, response: Response) -> None:
    """The signed cookie the comment form leaves in the writer's browser."""
    signer = signing.get_cookie_signer(salt=mine.COOKIE + mine.SALT)
    client.cookies[mine.COOKIE] = signer.sign(str(response.pk))


def test_only_visible_comments_and_replies_are_offered(
    client: Client, post: Post, thread: list[Response], comment_on: Comment
) -> None:
    moderation.remove(thread[2])
    assert answer_of(client, post, text="Mina, yes.")["number"] == 1
    held = comment_on(post, body="Held for a moderator.", **THEO)
    moderation.hold(held)
    assert answer_of(client, post, text="Theo, yes.") == {}
    comment_on(
        post,
        kind=Response.Kind.LIKE,
        body="",
        source="webmention",
        source_url="https://theo.example/like",
        **THEO,
    )
    assert answer_of(client, post, text="Theo, yes.") == {}
    reply = comment_on(post, body="Quite right.", parent_id=thread[1].pk, **THEO)
    assert answer_of(client, post, text="Theo, yes.")["number"] == reply.number


def test_two_queries_however_many_commenters(
    client: Client,
    post: Post,
    thread: list[Response],
    comment_on: Comment,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    """The post, then everyone in its thread grouped with their latest number."""
    with django_assert_num_queries(2):
        assert answer_of(client, post, text="Cindy, yes.")["number"] == 2
    for n in range(10):
        comment_on(
            post,
            body=f"Opinion {n}: frames cost what they cost.",
            author_name=f"Reader {n}",
            author_email=f"r{n}@example.org",
        )
    prove_wrote(client, thread[0])
    with django_assert_num_queries(2):
        assert answer_of(client, post, text="Reader 7, yes.")["name"] == "Reader 7"
    with django_assert_num_queries(1):  # nothing typed: only the post
        assert answer_of(client, post, text="  ") == {}


def test_one_address_is_rate_limited(
    client: Client, post: Post, thread: list[Response], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(addressing_views, "PER_ADDRESS_PER_MINUTE", 3)
    # Tomorrow, 5 seconds into a minute (the post was published yesterday).
    day = datetime.datetime.now(tz=datetime.UTC).date() + datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(10, 0, 5), datetime.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            assert ask(client, post, text="Cindy, yes.").status_code == 200
        refused = ask(client, post, text="Cindy, yes.")
        assert refused.status_code == 429
        assert refused["Content-Type"] == "application/json"
        assert "try again" in json.loads(refused.content)["error"]
        assert refused["Retry-After"] == "55"
        other = client.get(
            f"{post.get_absolute_url()}addressee/",
            {"text": "Cindy, yes."},
            REMOTE_ADDR="198.51.100.7",
        )
        assert other.status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=1), tick=False):
        assert ask(client, post, text="Cindy, yes.").status_code == 200


def test_unknown_or_unpublished_posts_are_not_found(
    client: Client, make_post: Callable[..., Post], ada: Author
) -> None:
    draft = make_post("Not yet", draft=True)
    assert ask(client, draft, text="Mina, yes.").status_code == 404
    gone = f"{make_post('Here').get_absolute_url()[:-1]}-not/addressee/"
    assert client.get(gone, {"text": "Mina"}).status_code == 404


def test_closed_comments_answer_nothing(
    client: Client, post: Post, thread: list[Response]
) -> None:
    Post.objects.filter(pk=post.pk).update(comments_open=False)
    assert answer_of(client, post, text="Cindy, yes.") == {}


def test_only_get_is_answered(client: Client, post: Post) -> None:
    reply = client.post(f"{post.get_absolute_url()}addressee/", {"text": "Mina"})
    assert reply.status_code == 405
