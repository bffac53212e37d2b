"""The emails about responses: confirmations, followers' news, the post author's.

Each function takes a response id, reads what it needs and sends through
``mail.send_once`` with a key naming the event, so a job run twice sends nothing
twice. They run in the worker (``conversation.tasks``), never inside a request.

Every link in these emails is signed here (``django.core.signing``, one salt per
purpose) and read back by ``following_views`` with the matching ``read_*``.
Text written by strangers is shown defanged: no live link from a commenter ever
reaches a reader's mailbox (docs/notifications.md).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import re

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from firsthand.blog.models import Author
from firsthand.conversation import mail, rules
from firsthand.conversation.models import Follow, Response, SentEmail
from firsthand.site import absolute

CONFIRM_SALT = "firsthand.follow.confirm"
UNSUBSCRIBE_SALT = "firsthand.follow.unsubscribe"
AUTHOR_UNSUBSCRIBE_SALT = "firsthand.author.unsubscribe"
# How long a confirmation link works; the email says so.
CONFIRM_MAX_AGE = datetime.timedelta(days=7)
# One confirmation email per address per this long: a stranger typing someone's
# address into many comments cannot flood their mailbox.
CONFIRM_INTERVAL = datetime.timedelta(minutes=10)
# History replays and demo content are old news: they never email anyone.
QUIET_SOURCES = frozenset({"import", "demo"})
# A commenter's text in an email is an excerpt, not the whole essay.
EXCERPT_CHARS = 1000


class BadToken(Exception):
    """A link that was altered, made for another purpose, or has expired."""


# --- Signed links -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Unsubscribe:
    """What an unsubscribe link names: one follow of one address, or (``every``)
    every follow of that address."""

    follow_id: int
    email: str
    every: bool = False


def confirm_token(email: str) -> str:
    return signing.dumps(email, salt=CONFIRM_SALT)


def read_confirm_token(token: str) -> str:
    """The address a confirmation link was made for; ``BadToken`` if it was
    altered or is older than ``CONFIRM_MAX_AGE``."""
    try:
        email = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature
        raise BadToken(str(error)) from error
    if not isinstance(email, str) or not email:
        raise BadToken("no address in the link")
    return email


def unsubscribe_token(follow: Follow, *, every: bool = False) -> str:
    # Binds the follow's id and its address: a link cannot be turned against
    # another follow or another address. No expiry: old emails must keep working.
    value: dict[str, object] = {"f": follow.pk, "e": follow.email}
    if every:
        value["all"] = 1
    return signing.dumps(value, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> Unsubscribe:
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as error:
        raise BadToken(str(error)) from error
    if not isinstance(value, dict):
        raise BadToken("not an unsubscribe link")
    follow_id, email = value.get("f"), value.get("e")
    if not isinstance(follow_id, int) or not isinstance(email, str) or not email:
        raise BadToken("not an unsubscribe link")
    return Unsubscribe(follow_id, email, every=bool(value.get("all")))


def author_unsubscribe_token(author: Author, email: str) -> str:
    return signing.dumps({"a": author.pk, "e": email}, salt=AUTHOR_UNSUBSCRIBE_SALT)


def read_author_unsubscribe_token(token: str) -> tuple[int, str]:
    """(author id, the address the emails went to)."""
    try:
        value = signing.loads(token, salt=AUTHOR_UNSUBSCRIBE_SALT)
    except signing.BadSignature as error:
        raise BadToken(str(error)) from error
    if not isinstance(value, dict):
        raise BadToken("not an unsubscribe link")
    author_id, email = value.get("a"), value.get("e")
    if not isinstance(author_id, int) or not isinstance(email, str) or not email:
        raise BadToken("not an unsubscribe link")
    return author_id, email


# --- Strangers' text ------------------------------------------------------------

# Anything a mail client might turn into a link: a scheme, "www.", or a bare host
# name ending in letters ("spam.example", "x@spam.example"), with what follows it.
_SCHEME = re.compile(r"\b[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOST = re.compile(
    r"\b((?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]+))\b",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


def defang(text: str) -> str:
    """``https://spam.example/x`` -> ``spam[.]example/x``: readable, not clickable.

    The scheme goes and every dot of a host name is bracketed, the way security
    reports quote hostile addresses, so no mail client makes a link of it.
    """
    text = _SCHEME.sub("", text)
    text = _IPV4.sub(lambda m: m.group(0).replace(".", "[.]"), text)
    return _HOST.sub(lambda m: m.group(1).replace(".", "[.]"), text)


def _excerpt(text: str) -> str:
    """Cut first, then defang: the pattern only ever sees a short text."""
    text = text.strip()
    if len(text) > EXCERPT_CHARS:
        text = f"{text[: EXCERPT_CHARS - 1]}…"
    return defang(text)


def _name(response: Response) -> str:
    return defang(mail.one_line(response.author_name, limit=80)) or "Someone"


def _render(name: str, context: dict[str, object]) -> str:
    """A plain-text body from templates/conversation/email/ (no request: the
    site's name is added here, not by a context processor)."""
    context = {"site_name": settings.FIRSTHAND_SITE_NAME, **context}
    return render_to_string(f"conversation/email/{name}", context)


def _same_address(a: str, b: str) -> bool:
    return bool(a) and bool(b) and a.strip().lower() == b.strip().lower()


def _key_of(email: str) -> str:
    """An address in a SentEmail key, hashed: the log of what was sent does not
    keep anyone's address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


# --- Confirmation (double opt-in) -----------------------------------------------


def request_confirmation(
    response_id: int, *, now: datetime.datetime | None = None
) -> int:
    """The response is visible: mark the follows it asked for as requested and
    email their address a confirmation link (at most one per ``CONFIRM_INTERVAL``).

    Returns how many follows were newly requested. Safe to run again: follows
    already requested are left alone, and a second run finds nothing new.
    """
    now = now or timezone.now()
    response = (
        Response.objects.select_related("post")
        .filter(pk=response_id, status=Response.Status.VISIBLE)
        .first()
    )
    if response is None:  # held, spam or removed: never email its claimed address
        return 0
    waiting = Follow.objects.filter(
        response=response, requested_at__isnull=True, confirmed_at__isnull=True
    )
    with transaction.atomic():
        follows = list(waiting.select_related("post", "response"))
        # The UPDATE decides: of two runs at once only one marks the rows.
        marked = Follow.objects.filter(
            pk__in=[f.pk for f in follows], requested_at__isnull=True
        ).update(requested_at=now)
    if not marked or not follows:
        return 0
    email = follows[0].email
    try:
        _send_confirmation(email, follows, now)
    except Exception:
        # Not sent: unmark them, so the job's retry asks again.
        Follow.objects.filter(pk__in=[f.pk for f in follows], requested_at=now).update(
            requested_at=None
        )
        raise
    return marked


def _send_confirmation(
    email: str, follows: list[Follow], now: datetime.datetime
) -> bool:
    prefix = f"confirm:{_key_of(email)}:"
    if SentEmail.objects.filter(
        key__startswith=prefix, sent_at__gt=now - CONFIRM_INTERVAL
    ).exists():
        # The earlier email's link shows every requested follow, these included.
        return False
    first = follows[0]
    # Its one-click link refuses everything: the address did not ask for mail yet.
    unsubscribe_url = _unsubscribe_url(first, every=True)
    context = {
        "email": email,
        "follows": [describe(f) for f in follows],
        "confirm_url": absolute(
            reverse("following:confirm", kwargs={"token": confirm_token(email)})
        ),
        "days": CONFIRM_MAX_AGE.days,
        "unsubscribe_url": unsubscribe_url,
    }
    body = _render("confirm.txt", context)
    subject = f"Confirm: email about comments on “{first.post.title}”"
    window = int(now.timestamp() // CONFIRM_INTERVAL.total_seconds())
    return mail.send_once(
        f"{prefix}{window}",
        mail.message(email, subject, body, unsubscribe_url=unsubscribe_url),
    )


def describe(follow: Follow) -> str:
    """What a follow is about, in words (its post loaded)."""
    title = mail.one_line(follow.post.title)
    if follow.scope == Follow.Scope.REPLIES:
        return f"replies to your comment on “{title}”"
    return f"new comments on “{title}”"


def _unsubscribe_url(follow: Follow, *, every: bool = False) -> str:
    token = unsubscribe_token(follow, every=every)
    return absolute(reverse("following:unsubscribe", kwargs={"token": token}))


# --- Followers ------------------------------------------------------------------


def notify_followers(response_id: int) -> int:
    """Tell confirmed followers about a newly visible response: one email per
    address (a reply to their comment wins over "new comment on the post"), none
    to the response's own author. Returns how many emails went out now."""
    response = (
        Response.objects.select_related("post")
        .filter(
            pk=response_id,
            status=Response.Status.VISIBLE,
            kind__in=rules.THREADED_KINDS,
        )
        .exclude(source__in=QUIET_SOURCES)
        .first()
    )
    if response is None:
        return 0
    wanted = Q(scope=Follow.Scope.POST, post_id=response.post_id)
    if response.parent_id is not None:
        wanted |= Q(scope=Follow.Scope.REPLIES, response_id=response.parent_id)
    chosen: dict[str, Follow] = {}
    for follow in (
        Follow.objects.filter(wanted, confirmed_at__isnull=False)
        .select_related("post")
        .order_by("pk")
    ):
        address = follow.email.lower()
        if _same_address(address, response.author_email):
            continue
        if follow.scope == Follow.Scope.REPLIES or address not in chosen:
            chosen[address] = follow
    sent = 0
    for follow in chosen.values():
        if _send_news(response, follow):
            sent += 1
    return sent


def _send_news(response: Response, follow: Follow) -> bool:
    name = _name(response)
    is_reply = follow.scope == Follow.Scope.REPLIES
    title = mail.one_line(response.post.title)
    subject = (
        f"New reply to your comment from {name}"
        if is_reply
        else f"New comment on “{title}” from {name}"
    )
    unsubscribe_url = _unsubscribe_url(follow)
    context = {
        "name": name,
        "text": _excerpt(response.body),
        "title": title,
        "is_reply": is_reply,
        "response_url": absolute(response.get_absolute_url()),
        "following": describe(follow),
        "unsubscribe_url": unsubscribe_url,
    }
    body = _render("news.txt", context)
    return mail.send_once(
        f"news:{response.pk}:{_key_of(follow.email)}",
        mail.message(follow.email, subject, body, unsubscribe_url=unsubscribe_url),
    )


# --- The post's author ----------------------------------------------------------


def notify_author(response_id: int) -> bool:
    """Tell the post's author about a new visible or held response (not spam,
    not one they wrote). True if the email went out now."""
    response = (
        Response.objects.select_related("post__author__user")
        .filter(
            pk=response_id,
            status__in=[Response.Status.VISIBLE, Response.Status.PENDING],
        )
        .exclude(source__in=QUIET_SOURCES)
        .first()
    )
    if response is None:
        return False
    author = response.post.author
    email = author.user.email
    if not author.notify_by_email or not email:
        return False
    if _same_address(email, response.author_email):
        return False
    held = response.status == Response.Status.PENDING
    name = _name(response)
    title = mail.one_line(response.post.title)
    unsubscribe_url = absolute(
        reverse(
            "following:author-unsubscribe",
            kwargs={"token": author_unsubscribe_token(author, email)},
        )
    )
    context = {
        "name": name,
        "kind": response.get_kind_display().lower(),
        "text": _excerpt(response.body),
        "title": title,
        "held": held,
        "link": absolute(
            reverse("moderate:queue") if held else response.get_absolute_url()
        ),
        "unsubscribe_url": unsubscribe_url,
    }
    body = _render("author.txt", context)
    what = "Held for moderation" if held else "New response"
    subject = f"{what} on “{title}” from {name}"
    return mail.send_once(
        f"author:{response.pk}",
        mail.message(email, subject, body, unsubscribe_url=unsubscribe_url),
    )
