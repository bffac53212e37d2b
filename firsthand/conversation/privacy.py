"""A commenter's own data, found by their email address (issue #6, point 7).

GDPR gives a person the right to see what a site stores about them (article 15),
to take it with them (article 20) and to have it erased (article 17). Commenters
have no account here, so the email address they wrote with is how they prove
who they are: a link signed for that address and sent to it opens their
responses, as JSON too, and lets them delete every one.

Nothing here says whether an address has responses to anyone but that address:
the page answers the same either way and the look-up happens in the background
task that sends the email (``privacy_tasks``). See docs/privacy.md.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from firsthand import ratelimit
from firsthand.conversation import mail
from firsthand.conversation.models import (
    Follow,
    Response,
    ResponseQuerySet,
    SentEmail,
    written_by,
)
from firsthand.conversation.threadstate import lock_post, set_status

# Only this purpose's links open the pages: a token signed for anything else
# (the comment form's ticket, the "mine" cookie) does not verify here.
SALT = "firsthand.conversation.privacy"
LINK_MAX_AGE = datetime.timedelta(hours=24)

# One link per address per 10 minutes (a mailbox is not to be flooded from this
# site), and 5 requests per IP address per hour (nor many mailboxes from one place).
ADDRESS_CEILING, ADDRESS_WINDOW = 1, 10 * 60
IP_CEILING, IP_WINDOW = 5, 60 * 60

# What each status means to the person who wrote the response.
STATUS_WORDS: dict[str, str] = {
    Response.Status.VISIBLE: "Shown on the site",
    Response.Status.PENDING: "Awaiting moderation, not shown",
    Response.Status.SPAM: "Held as spam, not shown",
    Response.Status.REMOVED: "Removed, not shown",
}


class BadLink(Exception):
    """The link is not one this site signed for this purpose, or it has expired."""


def normalized(email: str) -> str:
    """The address as looked up: look-ups ignore case anyway."""
    return email.strip().lower()


def address_key(address: str) -> str:
    """A stand-in for the address in counters and sent-email keys: keyed with the
    site's secret, so the stored value cannot be checked against a guessed address."""
    return salted_hmac(SALT, normalized(address)).hexdigest()[:32]


# --- The signed link ---------------------------------------------------------------


def link_token(address: str) -> str:
    """A token naming ``address``, valid for LINK_MAX_AGE from now."""
    return signing.TimestampSigner(salt=SALT).sign_object({"e": normalized(address)})


def address_in(token: str, *, max_age: datetime.timedelta = LINK_MAX_AGE) -> str:
    """The address a token was signed for; BadLink if tampered with or expired."""
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(
            token, max_age=max_age
        )
    except signing.BadSignature as error:  # SignatureExpired is one too
        raise BadLink(str(error)) from error
    address = payload.get("e") if isinstance(payload, dict) else None
    if not isinstance(address, str) or not address:
        raise BadLink("The link names no address.")
    return address


def link_url(address: str, base: str) -> str:
    path = reverse("privacy:responses", kwargs={"token": link_token(address)})
    return f"{base}{path}"


# --- Asking for the link -----------------------------------------------------------


def may_send_link(ip_address: str | None, address: str) -> bool:
    """Count one request; False when this IP or this address asked too often.

    The IP is counted first: a client over its own limit does not use up the
    address's allowance for the person who owns it.
    """
    if not ratelimit.allow(
        f"privacy:ip:{ip_address or 'unknown'}", IP_CEILING, window=IP_WINDOW
    ):
        return False
    return ratelimit.allow(
        f"privacy:address:{address_key(address)}",
        ADDRESS_CEILING,
        window=ADDRESS_WINDOW,
    )


def sent_key_prefix(address: str) -> str:
    return f"privacy-link:{address_key(address)}:"


def send_link(address: str, base: str, asked_at: int) -> str:
    """Email the signed link to ``address`` if it wrote any response (any status).

    ``asked_at`` (the request's time) names this one request, so a job run twice
    sends one email. Returns what happened, for the job's row (no address in it).
    """
    address = normalized(address)
    if not responses_of(address).exists():
        return "no responses with this address: nothing sent"
    body = render_to_string(
        "conversation/privacy/link_email.txt",
        {
            "site_name": settings.FIRSTHAND_SITE_NAME,
            "url": link_url(address, base),
            "hours": int(LINK_MAX_AGE.total_seconds() // 3600),
            "about_url": f"{base}{reverse('privacy:about')}",
        },
    )
    email = mail.message(
        address, f"Your responses on {settings.FIRSTHAND_SITE_NAME}", body
    )
    if mail.send_once(f"{sent_key_prefix(address)}{asked_at}", email):
        return "link sent"
    return "link already sent for this request"


# --- Seeing and exporting ----------------------------------------------------------


def responses_of(address: str) -> ResponseQuerySet:
    """Every response stored with ``address`` (any case), whatever its status."""
    return Response.objects.filter(written_by(normalized(address)))


@dataclasses.dataclass(frozen=True)
class Listed:
    """One response as its author sees it on the privacy page."""

    response: Response
    status: str
    url: str  # where readers see it; "" when they do not


def listing(address: str) -> list[Listed]:
    """The person's responses, newest first, with their posts (one query)."""
    rows = responses_of(address).select_related("post").order_by("-created_at", "-pk")
    return [
        Listed(
            response=row,
            status=STATUS_WORDS.get(row.status, row.get_status_display()),
            url=_shown_at(row),
        )
        for row in rows
    ]


def _shown_at(response: Response) -> str:
    shown = response.status == Response.Status.VISIBLE and response.post.is_public
    return response.get_absolute_url() if shown else ""


def _when(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def export(address: str, base: str) -> dict[str, Any]:
    """Everything stored about the person with ``address``, for a JSON download.

    Moderators' names on edits are theirs, not the commenter's, and are left out.
    """
    rows = (
        responses_of(address)
        .select_related("post", "parent")
        .prefetch_related("edits")
        .order_by("created_at", "pk")
    )
    follows = (
        Follow.objects.filter(email__iexact=normalized(address))
        .select_related("post")
        .order_by("created_at", "pk")
    )
    return {
        "email": normalized(address),
        "site": base,
        "exported_at": _when(timezone.now()),
        "responses": [_exported(row, base) for row in rows],
        "follows": [
            {
                "email": follow.email,
                "scope": follow.get_scope_display(),
                "post_title": follow.post.title,
                "post_url": f"{base}{follow.post.get_absolute_url()}",
                "created_at": _when(follow.created_at),
                "confirmed_at": _when(follow.confirmed_at),
            }
            for follow in follows
        ],
    }


def _exported(row: Response, base: str) -> dict[str, Any]:
    url = _shown_at(row)
    return {
        "name": row.author_name,
        "email": row.author_email,
        "website": row.author_url,
        "photo": row.author_photo,
        "title": row.author_title,
        "text": row.body,
        "kind": row.get_kind_display(),
        "status": STATUS_WORDS.get(row.status, row.get_status_display()),
        "number": row.number,
        "in_reply_to_number": row.parent.number if row.parent else None,
        "post_title": row.post.title,
        "post_url": f"{base}{row.post.get_absolute_url()}",
        "url": f"{base}{url}" if url else None,
        "source_url": row.source_url,
        "source_title": row.source_title,
        "received_via": row.source,
        "ip_address": row.ip_address,
        "user_agent": row.user_agent,
        "created_at": _when(row.created_at),
        "status_changed_at": _when(row.status_changed_at),
        "edited_at": _when(row.edited_at),
        "edits": [
            {
                "edited_at": _when(edit.edited_at),
                "old_text": edit.old_body,
                "new_text": edit.new_body,
                "note": edit.note,
            }
            for edit in row.edits.all()
        ],
    }


# --- Erasing -----------------------------------------------------------------------


@transaction.atomic
def erase_by_email(email: str) -> int:
    """Delete every response written with ``email`` and every follow of it;
    returns how many responses went.

    A visible response is first moved to "removed" with the post locked, so the
    post's count drops by one; its number stays used (``last_response_number`` only
    grows). Replies by other people stay where they were: their ``parent`` becomes
    empty and their ``path`` keeps their place under "#N is no longer shown".
    Posts are locked in id order, so two erasures cannot wait on each other.
    """
    address = normalized(email)
    if not address:
        return 0
    post_ids = sorted(set(responses_of(address).values_list("post_id", flat=True)))
    erased = 0
    for post_id in post_ids:
        post = lock_post(post_id)
        # Read under the lock: a moderator may have moved one meanwhile.
        for response in responses_of(address).filter(post_id=post_id):
            if response.status == Response.Status.VISIBLE:
                response.status_changed_at = timezone.now()
                set_status(post, response, Response.Status.REMOVED)
            response.delete()  # its edit history and follows go with it
            erased += 1
    Follow.objects.filter(email__iexact=address).delete()
    # The record of links sent, so nothing keyed by this address is left.
    SentEmail.objects.filter(key__startswith=sent_key_prefix(address)).delete()
    return erased
