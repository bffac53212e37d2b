"""One comment form sent three times, two of them at the same moment, over real
HTTP to a real server with two worker processes (plan §3.1 test A9): exactly one
comment is stored, and all three answers lead to it.

tests/conversation/test_guard_rails.py covers the same form posted twice in a
row (and from another address) through Django's test client; here the copies
race each other in two server processes, which only the ticket's unique index
can settle (``intake.receive`` catches the IntegrityError and answers with the
first copy).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
import pytest

from tests.harness import loadgen
from tests.harness.appserver import AppServer
from tests.harness.reconcile import MARKER

pytestmark = pytest.mark.slow

FORMS = 8  # races run; each is a new form


def ticket_from(app: AppServer, path: str) -> str:
    page = httpx.get(app.url + path, timeout=10)
    assert page.status_code == 200
    found = page.cookies.get(loadgen.TICKET_COOKIE)
    assert found, "the article page handed out no form ticket"
    return found


def send_at_once(
    url: str, post_id: int, ticket: str, fields: dict[str, str], *, copies: int
) -> list[httpx.Response]:
    """``copies`` POSTs of one form released together, each on its own
    connection (the server may hand them to different worker processes)."""
    answers: list[httpx.Response] = []
    start = threading.Barrier(copies)

    def send() -> None:
        cookies = {loadgen.TICKET_COOKIE: ticket}
        with httpx.Client(base_url=url, cookies=cookies, timeout=30) as http:
            start.wait()
            answers.append(http.post(f"/respond/{post_id}/", data=fields))

    senders = [threading.Thread(target=send) for _ in range(copies)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=60)
    return answers


def test_a9_the_same_form_three_times_at_once_stores_one_comment(
    server_database: dict[str, str], tmp_path: Path
) -> None:
    app = AppServer(
        tmp_path / "site", background_worker=False, settings=server_database
    )
    targets = app.prepare(posts=1)
    post_id, path = targets[0]
    with app:
        for n in range(FORMS):
            ticket = ticket_from(app, path)
            nonce = loadgen.nonce_of(ticket)
            fields = {
                "author_name": "Carol Joiner",
                "author_email": f"carol.{n}@example.org",
                "author_url": "",
                "author_title": "",
                "in_reply_to": "",
                "leave_blank": "",
                "body": f"Pressed the button twice, sorry. [ref {nonce}]",
            }
            answers = send_at_once(app.url, post_id, ticket, fields, copies=2)
            answers += send_at_once(app.url, post_id, ticket, fields, copies=1)

            assert [a.status_code for a in answers] == [302, 302, 302], app.logs()
            locations = {a.headers["location"] for a in answers}
            assert len(locations) == 1, locations
            # Held (sent within 3 s of the page: the timing layer's "too fast"),
            # so its anchor names it by id: the same for all three answers.
            assert re.search(r"#(comment|pending)-\d+$", locations.pop())
            stored = app.python(
                "from firsthand.conversation.models import Response\n"
                f"print(Response.objects.filter(ticket={nonce!r}).count(),"
                f" Response.objects.filter(body__contains={nonce!r}).count())"
            ).split()
            assert stored == ["1", "1"], (nonce, stored)
        total = app.python(
            "from firsthand.conversation.models import Response\n"
            "print(*Response.objects.values_list('body', flat=True), sep='\\n')"
        )
    assert len(MARKER.findall(total)) == FORMS
