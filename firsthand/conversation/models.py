"""Everything that answers a post is a Response, whatever way it arrived."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone

from firsthand.blog.models import Post


class ResponseQuerySet(models.QuerySet["Response"]):
    def visible(self) -> ResponseQuerySet:
        """What readers see and what the post's count counts."""
        return self.filter(status=Response.Status.VISIBLE)

    def awaiting_moderation(self) -> ResponseQuerySet:
        return self.filter(status=Response.Status.PENDING)

    def review_counts(self) -> dict[str, int]:
        """How many responses are held and how many are spam (one query)."""
        return self.filter(
            status__in=[Response.Status.PENDING, Response.Status.SPAM]
        ).aggregate(
            held=Count("pk", filter=Q(status=Response.Status.PENDING)),
            spam=Count("pk", filter=Q(status=Response.Status.SPAM)),
        )

    def for_review(self) -> ResponseQuerySet:
        """The moderation queue: held and spam, newest first."""
        return (
            self.filter(status__in=[Response.Status.PENDING, Response.Status.SPAM])
            .select_related("post", "duplicate_of", "parent__post")
            .order_by("-created_at", "-pk")
        )

    def thread_of(self, post: Post) -> ResponseQuerySet:
        """Every visible response of one post, in order of numbering."""
        return self.visible().filter(post=post).order_by("number")


def written_by(address: str) -> Exact[bool]:
    """A filter: the response's address is ``address``, ignoring case the way the
    database does on both sides (so it is the same test everywhere, and it uses
    the ``response_email_any_case`` index; ``iexact`` cannot use an index)."""
    return Exact(Lower("author_email"), Lower(Value(address)))


class Response(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        PINGBACK = "pingback", "Pingback"
        TRACKBACK = "trackback", "Trackback"
        # Webmentions, by what the source page says it is (microformats2).
        REPLY = "reply", "Reply"
        LIKE = "like", "Like"
        REPOST = "repost", "Reblog"
        MENTION = "mention", "Mention"

    # Kinds shown as an excerpt of another page, set apart from comments.
    LINK_KINDS = frozenset({Kind.PINGBACK, Kind.TRACKBACK, Kind.MENTION})
    # Kinds that take part in the threaded conversation (replies, pages).
    THREADED_KINDS = frozenset({Kind.COMMENT, Kind.REPLY})
    # Kinds shown only as a name in a "Liked by / Reblogged by" row.
    REACTION_KINDS = frozenset({Kind.LIKE, Kind.REPOST})

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting moderation"
        VISIBLE = "visible", "Visible"
        SPAM = "spam", "Spam"
        REMOVED = "removed", "Removed"

    # A name for the response that never changes, whatever is edited (feed ids).
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="responses")
    # Stable per-post number, given when the response first becomes visible and
    # never reused, even after the response is removed.
    number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # What this response answers, if it is a reply to another response.
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )
    # Where it sits in the thread, fixed when it is numbered: the zero-padded
    # numbers of its ancestors and its own, joined by dots ("0000004.0000009").
    # Sorting by path lists every reply right after what it answers. Beyond
    # THREAD_MAX_DEPTH replies stay flat (siblings, in order of arrival).
    path = models.CharField(max_length=100, blank=True, default="", editable=False)
    # Which top-level conversation it belongs to, counted from 1 in order of
    # arrival (a reply takes its top-level ancestor's): decides the thread page it
    # is on. Links and reactions have none; they are listed on the first page.
    root_ordinal = models.PositiveIntegerField(null=True, blank=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COMMENT)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    author_name = models.CharField(max_length=200)
    author_email = models.EmailField(max_length=254, blank=True)
    author_url = models.URLField(max_length=500, blank=True)
    # A remote author's photo URL (Webmentions); never loaded by readers' browsers.
    author_photo = models.URLField(max_length=1000, blank=True)
    author_title = models.CharField("title or affiliation", max_length=200, blank=True)
    body = models.TextField(help_text="As written (Markdown for comments).")
    # "markdown" for what is written here; "html" for comments imported from
    # WordPress (HTML, with paragraphs made by blank lines).
    body_format = models.CharField(max_length=10, default="markdown", editable=False)
    body_html = models.TextField(editable=False, default="")
    source_url = models.URLField(max_length=1000, blank=True)
    source_title = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, default="form")
    # Imported responses: a key that is the same in every export (importing the
    # same file again adds nothing).
    import_key = models.CharField(
        max_length=400, null=True, blank=True, unique=True, editable=False
    )
    # The form's one-time nonce: a second POST of the same form finds this row.
    ticket = models.CharField(max_length=64, blank=True, default="")
    # What the spam layers said: combined score and every layer's verdict.
    spam_score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    # A near-duplicate is held beside the earlier response it resembles.
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="near_duplicates",
    )
    # The label the classifier learned from this response ("spam"/"ham"), so a
    # moderator who changes their mind makes it unlearn before relearning.
    learned_as = models.CharField(max_length=4, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["post", "number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "number"], name="response_number_unique_per_post"
            ),
            models.UniqueConstraint(
                fields=["ticket"], condition=~Q(ticket=""), name="response_ticket_once"
            ),
        ]
        indexes = [
            models.Index(fields=["post", "status", "number"]),
            models.Index(fields=["post", "status", "root_ordinal"]),
            models.Index(fields=["post", "author_email"]),
            models.Index(fields=["post", "ip_address"]),
            models.Index(fields=["status", "-created_at"]),
            # Every look-up of a person's responses by address (first-comment
            # rule, privacy requests) ignores case: see ``written_by``.
            models.Index(Lower("author_email"), name="response_email_any_case"),
        ]

    def __str__(self) -> str:
        label = f"#{self.number}" if self.number else "unnumbered"
        return f"{label} by {self.author_name} on {self.post_id}"

    def get_absolute_url(self) -> str:
        """Where it is shown: its thread page and anchor (post must be loaded)."""
        page = self.thread_page
        query = f"?page={page}" if page > 1 else ""
        return f"{self.post.get_absolute_url()}{query}#{self.anchor}"

    @property
    def thread_page(self) -> int:
        """The page of the post's thread this response is on (1 for links)."""
        if not self.root_ordinal:
            return 1
        size = settings.FIRSTHAND_THREAD_PAGE_SIZE
        return (self.root_ordinal - 1) // size + 1

    @property
    def depth(self) -> int:
        """0 for a top-level response, 1 for a reply to it, and so on."""
        return self.path.count(".") if self.path else 0

    @property
    def anchor(self) -> str:
        if self.number is None:
            return f"pending-{self.pk}"
        return f"comment-{self.number}"

    @property
    def explanation(self) -> str:
        """The spam layers' reasons in words, for moderators."""
        return "; ".join(
            reason for verdict in self.reasons for reason in verdict.get("reasons", [])
        )

    @property
    def is_link(self) -> bool:
        return self.kind in self.LINK_KINDS

    @property
    def is_reaction(self) -> bool:
        return self.kind in self.REACTION_KINDS

    @property
    def source_site(self) -> str:
        """The other site's host name, for "Pingback from notes.example.net"."""
        host = urlsplit(self.source_url).hostname or ""
        return host.removeprefix("www.")

    @property
    def initials(self) -> str:
        """Up to two letters standing in for a photo (no third-party images)."""
        letters = [word[0] for word in self.author_name.split() if word[:1].isalnum()]
        return "".join(letters[:2]).upper() or "?"


class ResponseEdit(models.Model):
    """A moderator changed a response's text: who, when, and what it said before."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="edits"
    )
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    edited_at = models.DateTimeField(default=timezone.now)
    old_body = models.TextField()
    new_body = models.TextField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-edited_at"]

    def __str__(self) -> str:
        return f"edit of {self.response_id} at {self.edited_at:%Y-%m-%d %H:%M}"


class Follow(models.Model):
    """Someone asked to hear by email about replies or new responses.

    Nothing is sent to the address until it confirms (double opt-in); every email
    carries a signed one-click link that ends the follow.
    """

    class Scope(models.TextChoices):
        REPLIES = "replies", "Replies to my response"
        POST = "post", "New responses on the post"

    email = models.EmailField(max_length=254)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="follows")
    # The response whose replies are followed (scope "replies"); the response
    # that asked for the follow otherwise.
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the response that asked for it became visible: only then is a
    # confirmation email sent (spam never makes Firsthand email anyone).
    requested_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "scope", "response"], name="follow_once"
            )
        ]
        indexes = [
            models.Index(fields=["email"]),
            models.Index(fields=["post", "scope"]),
        ]

    def __str__(self) -> str:
        return f"{self.email} follows {self.get_scope_display().lower()}"


class SentEmail(models.Model):
    """One row per email sent, keyed by what it is about: a job run twice (a
    worker restarted mid-job) finds the row and sends nothing twice.

    ``pending`` while the mail server is being talked to; ``job`` names the job
    sending it, so the same job run again after its worker died sends it again
    (with the same Message-ID) instead of losing it (``mail.send_once``)."""

    key = models.CharField(max_length=300, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)
    pending = models.BooleanField(default=False)
    job = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return self.key


class BlockRule(models.Model):
    """A word, domain, email or IP address that holds or bans what mentions it."""

    class Kind(models.TextChoices):
        WORD = "word", "Word"
        DOMAIN = "domain", "Domain"
        EMAIL = "email", "Email address"
        IP = "ip", "IP address"

    class Action(models.TextChoices):
        HOLD = "hold", "Hold for moderation"
        SPAM = "spam", "Mark as spam (ban)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=254)
    action = models.CharField(
        max_length=10, choices=Action.choices, default=Action.HOLD
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="block_rule_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.get_kind_display()} {self.value}"


class SpamToken(models.Model):
    """How often the classifier saw a feature in spam and in legitimate responses."""

    token = models.CharField(max_length=200, primary_key=True)
    spam = models.PositiveIntegerField(default=0)
    ham = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.token}: {self.spam} spam, {self.ham} ham"


class SpamTotals(models.Model):
    """How many spam and legitimate documents the classifier learned (one row)."""

    spam_docs = models.PositiveIntegerField(default=0)
    ham_docs = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.spam_docs} spam, {self.ham_docs} ham documents"
