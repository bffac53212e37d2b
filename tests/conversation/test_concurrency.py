"""Numbers and counts stay exact when several writers post at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from firsthand.blog.models import Post
from firsthand.conversation import intake
from firsthand.conversation.models import Response
from tests.conftest import submission_for

WRITERS = 4
EACH = 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_commenters_get_unique_gapless_numbers(post: Post) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                intake.receive(
                    submission_for(post, author_name=f"Writer {n}", body=f"{n}-{i}")
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    numbers = sorted(
        n
        for n in Response.objects.filter(post=post).values_list("number", flat=True)
        if n is not None
    )
    assert numbers == list(range(1, WRITERS * EACH + 1))
    post.refresh_from_db()
    assert post.response_count == WRITERS * EACH
    assert post.last_response_number == WRITERS * EACH
