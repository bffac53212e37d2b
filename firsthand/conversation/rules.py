"""Pure rules for responses: no ORM, no I/O, testable without a database."""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import math
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from firsthand.conversation.submission import Submission
from firsthand.rendering import clean_text

COMMENT = "comment"
REPLY = "reply"
LINK_KINDS = frozenset({"pingback", "trackback", "mention"})
REACTION_KINDS = frozenset({"like", "repost"})
# Kinds that arrive from another site and name the page they came from.
REMOTE_KINDS = LINK_KINDS | REACTION_KINDS | {REPLY}
# Kinds whose text is shown as (safe) HTML; the others are plain excerpts.
RENDERED_KINDS = frozenset({COMMENT, REPLY})
# Kinds that take part in the threaded conversation (can be replied to, are paged);
# links and reactions are listed apart.
THREADED_KINDS = frozenset({COMMENT, REPLY})
# Replies deeper than this stay flat: siblings in order of arrival, each saying
# whom it answers. Also the visual indentation limit.
THREAD_MAX_DEPTH = 5
_PATH_WIDTH = 7
# Sources that may send the same response again, changed (Webmention updates).
UPDATABLE_SOURCES = frozenset({"webmention"})
# Protocols where one source page makes at most one response on a post: a
# Webmention sent again revises it, a pingback or trackback sent again is it.
ONE_PER_SOURCE = frozenset({"webmention", "pingback", "trackback"})
KINDS = frozenset({COMMENT}) | REMOTE_KINDS
VISIBLE = "visible"

NAME_MAX = 100
TITLE_MAX = 100
URL_MAX = 500
EMAIL_MAX = 254

Errors = dict[str, list[str]]

_validate_url = URLValidator(schemes=["http", "https"])


# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
# In a name shown inline ("Eve wrote", an email's From line, the moderation queue)
# an unclosed one reverses what follows it on the line: "\u202egnp.exe" reads as
# "exe.png". A paragraph of right-to-left prose ends them itself, so bodies keep
# them; the marks (U+200E, U+200F) that right-to-left names need stay too.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def name_line(text: str) -> str:
    """A name or title as stored: one line, spaces collapsed (any line or
    paragraph separator included), no bidirectional controls. (Email headers
    take ``mail.one_line`` on top, which also drops joiners and marks.)"""
    return " ".join(clean_text(text).translate(_BIDI_CONTROLS).split())


def normalized(submission: Submission) -> Submission:
    """Clean every text field the same way, whatever the source."""
    return submission.replace(
        author_name=name_line(submission.author_name),
        author_email=clean_text(submission.author_email).strip(),
        author_url=_with_scheme(clean_text(submission.author_url).strip()),
        author_title=name_line(submission.author_title),
        author_photo=_photo(clean_text(submission.author_photo).strip()),
        body=clean_text(submission.body).strip("\n"),
        source_url=clean_text(submission.source_url).strip(),
        source_title=name_line(submission.source_title),
        user_agent=clean_text(submission.user_agent)[:500],
    )


def _photo(url: str) -> str:
    """A remote photo address is optional decoration: a bad one is dropped."""
    return url if url and is_valid_url(url, 1000) else ""


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

    # A person at the form must leave an address; history replays and the site's
    # own moderators may not have one.
    if submission.kind == COMMENT and submission.source == "form":
        email = submission.author_email
        if not email:
            add(
                "author_email",
                "Please give your email address, so the site's owner can reach you.",
            )
        elif len(email) > EMAIL_MAX or not is_valid_email(email):
            add(
                "author_email",
                f"“{email[:80]}” does not look like an email address. "
                "Please check it (name@example.com).",
            )
    elif submission.author_email and not is_valid_email(submission.author_email):
        add("author_email", "That does not look like an email address.")

    if submission.author_url and not is_valid_url(submission.author_url):
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
    if submission.kind in REACTION_KINDS:
        pass  # a like or a reblog may say nothing at all
    elif not body.strip():
        add("body", "Your comment is empty. Please write something.")
    elif len(body) > max_chars:
        over = len(body) - max_chars
        add(
            "body",
            f"Your comment is {len(body):,} characters long and the limit is "
            f"{max_chars:,}. Please shorten it by {over:,} characters, or split it "
            "in two. Your text is still here.",
        )

    if submission.kind in REMOTE_KINDS and not is_valid_url(
        submission.source_url, 1000
    ):
        add("source_url", "A link back needs the address of the page that links here.")
    return errors


def is_valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def is_valid_url(value: str, limit: int = URL_MAX) -> bool:
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


# --- Duplicates --------------------------------------------------------------------

# Characters that make two texts look different without anyone seeing it.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"))
NEAR_DUPLICATE_WINDOW = datetime.timedelta(minutes=10)
NEAR_DUPLICATE_RATIO = 0.85
# A fixed typo or two leaves most words as they were, in their order.
NEAR_DUPLICATE_WORDS = 0.5


@dataclasses.dataclass(frozen=True)
class Earlier:
    """What the duplicate rules need to know of an author's earlier response."""

    pk: int
    body: str
    created_at: datetime.datetime
    status: str
    ticket: str = ""


def comparable(text: str) -> str:
    """Text as a person reads it: case, spacing and invisible characters ignored."""
    return " ".join(text.translate(_INVISIBLE).casefold().split())


def same_text(a: str, b: str) -> bool:
    return comparable(a) == comparable(b)


def similarity(a: str, b: str) -> float:
    """0..1, how much of the two texts is the same (difflib's ratio).

    Cheap bounds first: texts of very different lengths cannot be near-duplicates,
    and neither can texts whose words are mostly not the same, in the same order
    (difflib's own quick bounds count letters, which any two English texts of
    one length share); difflib is quadratic in the worst case on long texts.
    """
    a, b = comparable(a), comparable(b)
    if not a or not b:
        return 0.0
    shorter, longer = sorted((len(a), len(b)))
    if shorter / longer < NEAR_DUPLICATE_RATIO:
        return 0.0
    if _words_shared(a, b) < NEAR_DUPLICATE_WORDS:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_DUPLICATE_RATIO:
        return 0.0
    if matcher.quick_ratio() < NEAR_DUPLICATE_RATIO:
        return 0.0
    return matcher.ratio()


def _words_shared(a: str, b: str) -> float:
    """0..1: difflib's ratio over the two texts' words (a few dozen items, not a
    few hundred letters), after its quick bound (the share of words in both)."""
    words = difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False)
    if words.quick_ratio() < NEAR_DUPLICATE_WORDS:
        return 0.0
    return words.ratio()


def find_duplicate(body: str, earlier: Iterable[Earlier]) -> Earlier | None:
    """The author's earlier response with the same text, however long ago."""
    return next((e for e in earlier if same_text(body, e.body)), None)


def find_near_duplicate(
    body: str, earlier: Iterable[Earlier], now: datetime.datetime
) -> Earlier | None:
    """A very similar text by the same author within ten minutes (a fixed typo)."""
    for e in earlier:
        if now - e.created_at > NEAR_DUPLICATE_WINDOW:
            continue
        if similarity(body, e.body) >= NEAR_DUPLICATE_RATIO:
            return e
    return None


# --- Flood control -------------------------------------------------------------------

# Sources that replay history or are typed by the owner are never rate-limited.
TRUSTED_SOURCES = frozenset({"import", "demo", "moderator"})
# Statuses a response can have (an import brings the one its old site gave it).
STATUSES = frozenset({"visible", "pending", "spam", "removed"})


def interval_wait(last_at: float | None, now: float, interval: int) -> int:
    """Seconds until the next response is allowed after one at ``last_at``."""
    if last_at is None or interval <= 0:
        return 0
    return max(0, math.ceil(last_at + interval - now))


def hourly_wait(count: int, ceiling: int, now: float) -> int:
    """Seconds until the hour's window resets, once ``count`` is over ``ceiling``."""
    if ceiling <= 0 or count <= ceiling:
        return 0
    return max(1, math.ceil(3600 - now % 3600))


def wait_message(seconds: int) -> str:
    if seconds < 90:
        when = f"{seconds} second{'s' if seconds != 1 else ''}"
    else:
        minutes = math.ceil(seconds / 60)
        when = f"{minutes} minutes"
    return (
        "You are posting faster than this site allows. "
        f"You can post again in {when}; your text is kept below."
    )


def initial_status(outcome: str, *, near_duplicate: bool) -> str:
    """Where a new response starts, from the spam judgement and the rules."""
    if outcome == "spam":
        return "spam"
    if outcome == "hold" or near_duplicate:
        return "pending"
    return VISIBLE


def thread_path(number: int, parent_path: str = "") -> str:
    """Where a response numbered ``number`` sits, below ``parent_path``.

    Sorting paths as text lists each reply right after what it answers (depth
    first, then in order of numbering). Below THREAD_MAX_DEPTH a reply becomes
    the last sibling of what it answers instead of its child.
    """
    own = f"{number:0{_PATH_WIDTH}d}"
    if not parent_path:
        return own
    ancestors = parent_path.split(".")[:THREAD_MAX_DEPTH]
    return ".".join([*ancestors, own])


Place = tuple[str, int | None]  # a path and the top-level ordinal it belongs to


def place(number: int, above: Place | None, last_root: int) -> tuple[Place, int]:
    """Where a response numbered ``number`` sits: below ``above`` (the place of
    what it answers), or, without one, as the next top-level conversation after
    ``last_root``. Returns its place and the post's new last top-level ordinal."""
    if above is not None and above[0]:
        return (thread_path(number, above[0]), above[1]), last_root
    return (thread_path(number), last_root + 1), last_root + 1


def parent_path_of(path: str) -> str:
    """The path of the place a response hangs from ("" for top level)."""
    return path.rpartition(".")[0]


def number_in_path(path: str) -> int:
    """The response number a path ends with."""
    return int(path.rpartition(".")[2])


def thread_pages(top_level_count: int, page_size: int) -> int:
    """How many pages a thread with this many top-level responses has (at least 1)."""
    return max(1, math.ceil(top_level_count / page_size))


def ordinals_on_page(page: int, page_size: int) -> tuple[int, int]:
    """The first and last top-level ordinal shown on ``page`` (counted from 1)."""
    first = (page - 1) * page_size + 1
    return first, first + page_size - 1


def page_links(current: int, pages: int, *, around: int = 2) -> list[int | None]:
    """Which page numbers a pager shows: the first, the last and a few around the
    current one; None where numbers are left out ("…")."""
    wanted = {1, pages, *range(current - around, current + around + 1)}
    shown = sorted(n for n in wanted if 1 <= n <= pages)
    out: list[int | None] = []
    previous = 0
    for number in shown:
        if previous and number - previous > 1:
            out.append(None)
        out.append(number)
        previous = number
    return out
