"""Pure rules for responses: no ORM, no I/O, testable without a database."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from firsthand.conversation.submission import Submission
from firsthand.rendering import clean_text

COMMENT = "comment"
LINK_KINDS = frozenset({"pingback", "trackback"})
KINDS = frozenset({COMMENT}) | LINK_KINDS
VISIBLE = "visible"

NAME_MAX = 100
TITLE_MAX = 100
URL_MAX = 500
EMAIL_MAX = 254

Errors = dict[str, list[str]]

_validate_url = URLValidator(schemes=["http", "https"])


def normalized(submission: Submission) -> Submission:
    """Clean every text field the same way, whatever the source."""
    return submission.replace(
        author_name=" ".join(clean_text(submission.author_name).split()),
        author_email=clean_text(submission.author_email).strip(),
        author_url=_with_scheme(clean_text(submission.author_url).strip()),
        author_title=" ".join(clean_text(submission.author_title).split()),
        body=clean_text(submission.body).strip("\n"),
        source_url=clean_text(submission.source_url).strip(),
        source_title=" ".join(clean_text(submission.source_title).split()),
        user_agent=clean_text(submission.user_agent)[:500],
    )


def _with_scheme(url: str) -> str:
    """People type ``example.com``; they mean a web address."""
    if url and "://" not in url and not url.startswith(("mailto:", "/")):
        return f"https://{url}"
    return url


def validation_errors(submission: Submission, *, max_chars: int) -> Errors:
    """Every reason this submission cannot be stored, keyed by field name.

    Each message says what to do, because the person's text comes back with it.
    """
    errors: Errors = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if submission.kind not in KINDS:
        add("__all__", f"Unknown kind of response: {submission.kind!r}.")

    name = submission.author_name
    if not name:
        add("author_name", "Please give a name to sign your comment with.")
    elif len(name) > NAME_MAX:
        add(
            "author_name",
            f"Please shorten your name to {NAME_MAX} characters or fewer.",
        )

    if submission.kind == COMMENT:
        email = submission.author_email
        if not email:
            add(
                "author_email",
                "Please give your email address, so the site's owner can reach you.",
            )
        elif len(email) > EMAIL_MAX or not _is_valid_email(email):
            add(
                "author_email",
                f"“{email[:80]}” does not look like an email address. "
                "Please check it (name@example.com).",
            )

    if submission.author_url and not _is_valid_url(submission.author_url):
        add(
            "author_url",
            "Your website should be a web address such as https://example.com, "
            f"of at most {URL_MAX} characters. You can also leave it empty.",
        )
    if len(submission.author_title) > TITLE_MAX:
        add(
            "author_title",
            f"Please shorten your title or affiliation to {TITLE_MAX} characters.",
        )

    body = submission.body
    if not body.strip():
        add("body", "Your comment is empty. Please write something.")
    elif len(body) > max_chars:
        over = len(body) - max_chars
        add(
            "body",
            f"Your comment is {len(body):,} characters long and the limit is "
            f"{max_chars:,}. Please shorten it by {over:,} characters, or split it "
            "in two. Your text is still here.",
        )

    if submission.kind in LINK_KINDS and not _is_valid_url(submission.source_url, 1000):
        add("source_url", "A link back needs the address of the page that links here.")
    return errors


def _is_valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _is_valid_url(value: str, limit: int = URL_MAX) -> bool:
    if len(value) > limit:
        return False
    try:
        _validate_url(value)
    except ValidationError:
        return False
    return True


def count_delta(old_status: str | None, new_status: str) -> int:
    """How a status change moves the post's count: only visible responses count."""
    was = old_status == VISIBLE
    now = new_status == VISIBLE
    return int(now) - int(was)


def needs_number(current: int | None, new_status: str) -> bool:
    """A response is numbered when it first becomes visible, and keeps that number."""
    return current is None and new_status == VISIBLE
