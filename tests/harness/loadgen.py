"""A load generator for Firsthand: many readers and commenters at once, from one
process (asyncio and httpx), with a journal of every request.

Each simulated reader loops until the time is up: about four actions in five are
reads (an article page, the posts feed, the comments feed), one in five sends a
comment. A comment is sent the way a browser sends it: the reader first read the
article page, which handed out a form ticket in its ``Set-Cookie``
(``firsthand.conversation.tickets``), and posts the form with that cookie. The
ticket's nonce is what the server stores with the comment under a unique index;
it is the comment's client nonce here, so the journal and the database can be
compared (tests/harness/reconcile.py). A reader keeps the forms it opened and
posts one only once it is ``form_seconds`` old: the spam layers judge a form sent
within 3 s of being shown too fast, and a load of comments all judged spam would
not exercise the path most comments take (numbered, counted, shown).

Readers send ``X-Forwarded-For`` with an address of 198.51.100.0/24 (TEST-NET-2,
RFC 5737; header text, never traffic); each comment comes from the next address,
round the 254 of them. The server believes the header only because the test site
names 127.0.0.1 a trusted proxy (FIRSTHAND_TRUSTED_PROXIES).

A comment whose outcome is unknown (the connection broke or timed out after the
request may have been sent) is sent again with the same ticket and text, as a
person pressing reload would, up to ``retries`` times: a second copy must lead to
the first, never store another.

The generator keeps a live account of the comment POSTs in flight: written to
the socket in full, no answer read yet (``posts_in_flight``). ``on_post_sent``, if
given, is called in the loop's thread the moment each POST's last byte is
written, with the POST's entry and how many are in flight now (it among them): a
crash test fires its ``kill -9`` there, while comments are with the server; with
``end_at`` it keeps the load going for a while after the restart, however long
the restart took.

The journal has one JSON line per request, written when the run ends.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any, Literal

import httpx

TICKET_COOKIE = "firsthand_ticket"
ADDRESS_PREFIX = "198.51.100."
WAIT_TEXT = "You are posting faster than this site allows"
_ANCHOR = re.compile(r"#((?:comment|pending)-\d+)$")
_TICKET = re.compile(TICKET_COOKIE + r"=([^;]+)")
# httpcore's trace events that end a POST's flight: its answer's headers read, or
# reading them failed.
ANSWERED = frozenset(
    f"http11.receive_response_headers.{end}" for end in ("complete", "failed")
)

Kind = Literal["page", "posts-feed", "comments-feed", "comment"]


@dataclasses.dataclass(frozen=True)
class Target:
    """A post to read and answer: its id and its path."""

    post_id: int
    path: str


@dataclasses.dataclass(frozen=True)
class Plan:
    url: str
    targets: list[Target]
    clients: int = 50
    seconds: float = 60.0
    comment_share: float = 0.2
    form_seconds: float = 4.0
    seed: int = 1
    timeout: float = 10.0
    retries: int = 6


@dataclasses.dataclass
class Entry:
    """One request: what was asked, when, and what came back.

    ``outcome``: ``ok`` (a read answered 2xx/304), ``acked`` (a comment answered
    with a redirect to it), ``throttled`` (the flood-control 400), ``refused``
    (another 4xx), ``server_error`` (5xx), ``not_sent`` (no connection was made:
    the request never left), ``in_doubt`` (sent, or maybe sent, and no answer).
    """

    kind: Kind
    path: str
    t_start: float
    t_end: float = 0.0
    status: int | None = None
    outcome: str = ""
    nonce: str | None = None
    post_id: int | None = None
    comment: str | None = None
    error: str | None = None
    attempt: int = 1
    client: int = 0

    def as_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))


@dataclasses.dataclass
class _Form:
    target: Target
    ticket: str
    opened: float


def nonce_of(ticket: str) -> str:
    """The part of a ticket the server stores (``nonce.milliseconds.mac``)."""
    return ticket.partition(".")[0]


def outcome_of(kind: Kind, status: int, body: str) -> str:
    if status >= 500:
        return "server_error"
    if kind == "comment":
        if status in (302, 303):
            return "acked"
        if status == 400 and WAIT_TEXT in body:
            return "throttled"
        return "refused"
    if status < 400:
        return "ok"
    return "refused"


FIRST = ("Bob", "Carol", "Dan", "Erin", "Frank", "Grace", "Heidi", "Ivan")
LAST = ("Reader", "Joiner", "Carver", "Turner", "Glazier", "Sawyer")
SAYINGS = (
    "My grandfather kept his chisels in a rack just like that.",
    "Have you tried hide glue for the corners instead?",
    "The mitre on the third frame looks a touch open to me.",
    "I bought a cheap mitre box last year and regretted it.",
    "Oak is lovely but walnut takes the oil so much better.",
    "How long did the finish take to cure in winter?",
    "We price by the metre of moulding and it works well.",
    "A photo of the back of the frame would help a lot.",
    "Clamping four corners at once is the hard part for me.",
    "That shop in the old market still sells spline keys.",
)


class LoadGenerator:
    def __init__(
        self,
        plan: Plan,
        *,
        on_start: Callable[[], object] | None = None,
        on_post_sent: Callable[[Entry, int], object] | None = None,
    ) -> None:
        self.plan = plan
        self.on_start = on_start  # called (in the loop's thread) as the load starts
        self.on_post_sent = on_post_sent  # see the module's docstring
        self.journal: list[Entry] = []
        self._in_flight: dict[int, Entry] = {}  # by id(): sent, not answered
        self.addresses = 0
        self.started = 0.0
        self.stopped = 0.0
        self.deadline = 0.0  # monotonic: readers start nothing new after it

    def end_at(self, moment: float) -> None:
        """Readers start nothing new after ``moment`` (monotonic) instead of the
        plan's end, sooner or later; callable from any thread once the load has
        started."""
        self.deadline = moment

    def posts_in_flight(self) -> list[Entry]:
        """The comment POSTs written in full and not answered yet (callable from
        any thread: the copy is taken in one step under the GIL)."""
        return list(self._in_flight.values())

    def address(self) -> str:
        self.addresses += 1
        return f"{ADDRESS_PREFIX}{(self.addresses - 1) % 254 + 1}"

    async def run(self) -> list[Entry]:
        plan = self.plan
        # No cookie jar: each request carries exactly the cookie its reader chose.
        no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        limits = httpx.Limits(
            max_connections=plan.clients, max_keepalive_connections=plan.clients
        )
        async with httpx.AsyncClient(
            base_url=plan.url,
            timeout=plan.timeout,
            limits=limits,
            cookies=no_cookies,
            follow_redirects=False,
        ) as http:
            self.started = time.monotonic()
            self.deadline = self.started + plan.seconds
            if self.on_start is not None:
                self.on_start()
            await asyncio.gather(*(self._reader(http, n) for n in range(plan.clients)))
            self.stopped = time.monotonic()
        return self.journal

    async def _reader(self, http: httpx.AsyncClient, n: int) -> None:
        plan = self.plan
        rng = random.Random(plan.seed * 100_003 + n)
        own_address = f"{ADDRESS_PREFIX}{n % 254 + 1}"
        forms: list[_Form] = []
        sent = 0
        while time.monotonic() < self.deadline:
            now = time.monotonic()
            wants_to_comment = rng.random() < plan.comment_share
            if (
                wants_to_comment
                and forms
                and now - forms[0].opened >= plan.form_seconds
            ):
                sent += 1
                await self._comment(http, n, sent, forms.pop(0), rng)
                continue
            roll = rng.random()
            if wants_to_comment or roll < 0.5:  # no form ready: open one
                target = rng.choice(plan.targets)
                _, response = await self._get(http, n, "page", target.path, own_address)
                ticket = _ticket_in(response)
                if ticket and len(forms) < 3:  # at most three forms open at once
                    forms.append(_Form(target, ticket, time.monotonic()))
            elif roll < 0.75:
                await self._get(http, n, "posts-feed", "/feeds/posts.rss", own_address)
            else:
                await self._get(
                    http, n, "comments-feed", "/feeds/comments.rss", own_address
                )

    async def _get(
        self, http: httpx.AsyncClient, n: int, kind: Kind, path: str, address: str
    ) -> tuple[Entry, httpx.Response | None]:
        entry = Entry(kind=kind, path=path, t_start=self._now(), client=n)
        response = None
        try:
            response = await http.get(path, headers={"X-Forwarded-For": address})
        except httpx.HTTPError as error:
            _failed(entry, error)
        else:
            entry.status = response.status_code
            entry.outcome = outcome_of(kind, response.status_code, "")
        entry.t_end = self._now()
        self.journal.append(entry)
        if entry.outcome in ("not_sent", "in_doubt"):
            await asyncio.sleep(0.05)  # the server is down: no busy loop
        return entry, response

    async def _comment(
        self,
        http: httpx.AsyncClient,
        n: int,
        sent: int,
        form: _Form,
        rng: random.Random,
    ) -> None:
        plan = self.plan
        first, last = rng.choice(FIRST), rng.choice(LAST)
        nonce = nonce_of(form.ticket)
        words = rng.sample(SAYINGS, rng.randint(1, 3))
        fields = {
            "author_name": f"{first} {last}",
            # One address per comment: flood control counts by email too.
            "author_email": f"{first.lower()}.{n}.{sent}@example.org",
            "author_url": "",
            "author_title": "",
            "in_reply_to": "",
            "leave_blank": "",
            # The nonce in the text too: a copy stored under another ticket (or
            # none) would still be found, and counted as a duplicate.
            "body": " ".join(words) + f" [ref {nonce}]",
        }
        headers = {
            "X-Forwarded-For": self.address(),
            "Cookie": f"{TICKET_COOKIE}={form.ticket}",
        }
        path = f"/respond/{form.target.post_id}/"
        for attempt in range(1, plan.retries + 2):
            entry = Entry(
                kind="comment",
                path=path,
                t_start=self._now(),
                nonce=nonce,
                post_id=form.target.post_id,
                attempt=attempt,
                client=n,
            )
            trace = {"trace": self._tracer(entry)}
            try:
                response = await http.post(
                    path, data=fields, headers=headers, extensions=trace
                )
            except httpx.HTTPError as error:
                _failed(entry, error)
            else:
                entry.status = response.status_code
                entry.outcome = outcome_of("comment", entry.status, response.text)
                anchor = _ANCHOR.search(response.headers.get("location", ""))
                entry.comment = anchor.group(1) if anchor else None
                if entry.outcome == "acked" and entry.comment is None:
                    entry.outcome = "refused"  # a redirect somewhere else
            finally:
                self._in_flight.pop(id(entry), None)
            entry.t_end = self._now()
            self.journal.append(entry)
            if entry.outcome not in ("in_doubt", "not_sent"):
                return
            # Unknown or not sent: the person presses reload after a moment.
            await asyncio.sleep(0.3 * attempt)

    def _tracer(self, entry: Entry) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
        """httpcore's ``trace`` extension for one POST: in flight from its last
        byte written until its answer's headers are read (or it fails)."""

        async def trace(event: str, info: dict[str, Any]) -> None:
            if event == "http11.send_request_body.complete":
                self._in_flight[id(entry)] = entry
                if self.on_post_sent is not None:
                    self.on_post_sent(entry, len(self._in_flight))
            elif event in ANSWERED:
                self._in_flight.pop(id(entry), None)

        return trace

    def _now(self) -> float:
        return time.monotonic() - self.started if self.started else 0.0


def _ticket_in(response: httpx.Response | None) -> str | None:
    if response is None or response.status_code != 200:
        return None
    for value in response.headers.get_list("set-cookie"):
        found = _TICKET.match(value)
        if found:
            return found.group(1)
    return None


def _failed(entry: Entry, error: httpx.HTTPError) -> None:
    entry.error = f"{type(error).__name__}: {error}"[:200]
    # No connection made (refused, or none free in time): the request never left.
    # Anything else may have reached the server: its outcome is unknown.
    sent = not isinstance(error, httpx.ConnectError | httpx.PoolTimeout)
    entry.outcome = "in_doubt" if sent else "not_sent"


def run(plan: Plan | LoadGenerator, journal: Path | None = None) -> LoadGenerator:
    """Run the plan to its end; writes the journal (JSON lines) if asked."""
    generator = plan if isinstance(plan, LoadGenerator) else LoadGenerator(plan)
    try:
        asyncio.run(generator.run())
    finally:
        if journal is not None:
            write_journal(generator.journal, journal)
    return generator


def write_journal(entries: list[Entry], path: Path) -> None:
    with path.open("w") as output:
        for entry in entries:
            output.write(entry.as_json() + "\n")


def read_journal(path: Path) -> list[Entry]:
    entries = []
    for line in path.read_text().splitlines():
        if line.strip():
            values: dict[str, Any] = json.loads(line)
            entries.append(Entry(**values))
    return entries
