"""Shared fixtures. Personas: ada writes the blog, bob reads and comments,
mallory tries to break things."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Callable, Iterator
from itertools import count
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from firsthand.blog import publishing
from firsthand.blog.models import Author, Post
from firsthand.conversation import intake, tickets
from firsthand.conversation.models import Response
from firsthand.conversation.submission import Submission
from tests.harness.network import GUARD

_serial = count(1)


def pytest_configure(config: pytest.Config) -> None:
    """Loopback only, for every test (tests/harness/network.py)."""
    GUARD.install()


# Three comments no duplicate rule mistakes for one another.
THREE_OPINIONS = (
    "Publish the prices; people hate guessing.",
    "Keep them offline, every frame is different.",
    "A price range with worked examples is the middle way.",
)


class ReaderClient(Client):
    """A test browser whose posted ``ticket`` field becomes its ticket cookie, the
    way a real browser carries the ticket the article page handed out
    (``conversation.tickets``): tests say which ticket a form was sent with."""

    def post(self, path: Any, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and "ticket" in data:
            data = dict(data)
            self.cookies[tickets.COOKIE] = data.pop("ticket")
        return super().post(path, data, *args, **kwargs)


@pytest.fixture
def client() -> ReaderClient:
    return ReaderClient()


@pytest.fixture
def ada(db: None) -> Author:
    """The site's owner and author (staff, superuser)."""
    user = User.objects.create_superuser("ada", "ada@example.com", "ada-password")
    return Author.objects.create(
        user=user,
        slug="ada-quill",
        display_name="Ada Quill",
        bio="Writes about workshops.",
        website="https://ada.example.com",
    )


@pytest.fixture
def ada_client(ada: Author) -> Client:
    client = Client()
    client.force_login(ada.user)
    return client


@pytest.fixture
def make_post(ada: Author) -> Callable[..., Post]:
    """Publish a post; ``days_ago`` sets its date, ``draft=True`` leaves it a draft."""

    def make(
        title: str = "",
        *,
        body: str = "A post about *frames*.",
        days_ago: float = 1,
        draft: bool = False,
        author: Author | None = None,
    ) -> Post:
        post = Post(
            title=title or f"Post number {next(_serial)}",
            body=body,
            author=author or ada,
        )
        if draft:
            return publishing.save_post(post)
        at = timezone.now() - datetime.timedelta(days=days_ago)
        return publishing.publish_post(post, at=at)

    return make


@pytest.fixture
def post(make_post: Callable[..., Post]) -> Post:
    return make_post("Should a small shop put its prices online?")


def submission_for(post: Post, **fields: object) -> Submission:
    """A valid comment from bob unless ``fields`` say otherwise.

    Each one says something new, so the duplicate rules leave it alone.
    """
    values: dict[str, object] = {
        "post_id": post.pk,
        "kind": Response.Kind.COMMENT,
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        # Distinct enough that the near-duplicate rule leaves it alone, too.
        "body": f"I agree with *most* of this: {uuid.uuid4().hex}.",
        "form_age": 30.0,
    }
    values.update(fields)
    return Submission(**values)  # type: ignore[arg-type]


@pytest.fixture
def comment_on() -> Callable[..., Response]:
    """Post a comment through intake, the way every source does."""

    def comment(post: Post, **fields: object) -> Response:
        return intake.receive(submission_for(post, **fields))

    return comment


@pytest.fixture
def fresh_minute() -> Iterator[None]:
    """Start the test just after a clock minute begins, so per-minute counters
    (``firsthand.ratelimit``'s fixed windows) cannot roll over halfway through."""
    start = (time.time() // 60 + 1) * 60 + 0.5
    with time_machine.travel(start, tick=True):
        yield
