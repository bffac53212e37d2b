"""A small site with one of everything an export must carry, for the export and
round-trip tests: posts in every state, pages under pages, two authors, tags, and
responses of every kind and status, threaded, edited, with hostile text."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from django.contrib.auth.models import User

from firsthand.blog import publishing
from firsthand.blog.models import Author, Page, Post
from firsthand.conversation import intake, moderation
from firsthand.conversation.models import Response
from firsthand.conversation.submission import Submission
from tests.conftest import submission_for

SITE_URL = "https://quill.example.com"
PUBLISHED_AT = datetime.datetime(2026, 7, 2, 10, 30, tzinfo=datetime.UTC)
SCHEDULED_AT = datetime.datetime(2036, 1, 5, 8, 0, tzinfo=datetime.UTC)
# Text that must come back exactly: CDATA's end inside, markup, emoji with a
# joiner, right-to-left script, a C1 control (allowed in XML 1.0), and what PHP
# would unserialize.
HOSTILE = (
    "]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
    "<![CDATA[ <script>alert(1)</script> &amp; 👩‍👩‍👧 مرحبا بالعالم \x85 end ]]>"
)
SERIALIZED = 'O:8:"stdClass":1:{s:4:"evil";b:1;}'


@dataclasses.dataclass
class Site:
    ada: Author
    lin: Author
    post: Post
    draft: Post
    dated_draft: Post
    scheduled: Post
    about: Post
    team: Post
    first: Response
    reply: Response
    held: Response
    waiting: Response
    spam: Response
    removed: Response
    edited: Response
    hostile: Response
    serialized: Response
    pingback: Response
    like: Response
    mention: Response
    on_page: Response

    @property
    def responses(self) -> list[Response]:
        return [
            self.first,
            self.reply,
            self.held,
            self.waiting,
            self.spam,
            self.removed,
            self.edited,
            self.hostile,
            self.serialized,
            self.pingback,
            self.like,
            self.mention,
            self.on_page,
        ]


def build_site(ada: Author, make_post: Callable[..., Post]) -> Site:
    """Everything through the workflows a real site uses (publishing, intake,
    moderation); nothing written to the tables directly."""
    lin = Author.objects.create(
        user=User.objects.create_user(
            "lin", "lin@example.com", first_name="Lin", last_name="Marsh"
        ),
        slug="lin-marsh",
        display_name="Lin Marsh & Co",
    )
    framing, tools = (
        publishing.tag_named("Framing"),
        publishing.tag_named("Tools & Jigs"),
    )
    publishing.tag_named("Café")  # a tag no post uses yet

    post = publishing.publish_post(
        Post(
            title="Should a small shop put its prices online?",
            author=ada,
            body="Prices, **frames** and <em>glass</em>.\n\nA second paragraph.",
            excerpt="Prices online, or not.",
        ),
        at=PUBLISHED_AT,
    )
    post.tags.set([framing, tools])
    draft = make_post("A draft without a date", draft=True, body="Not yet.")
    dated_draft = publishing.unpublish_post(
        make_post("Back to draft", body="Was public once.", author=lin)
    )
    scheduled = publishing.publish_post(
        Post(title="Next year's catalogue", author=lin, body="Soon."),
        at=SCHEDULED_AT,
    )
    scheduled.comments_open = False
    scheduled.pings_open = False
    scheduled = publishing.save_post(scheduled)

    about = _page("About the workshop", ada, menu_order=1)
    team = _page("The team", lin, parent=about, menu_order=2)

    first = _visible(submission_for(post, body="First! Nice *frames*."))
    reply = _visible(
        submission_for(
            post,
            body="A reply to the first.",
            parent_id=first.pk,
            author_name="Cleo Vance",
            author_email="cleo@example.net",
            author_url="https://cleo.example.net",
            author_title="Framer, Vance & Daughters",
        )
    )
    held = moderation.hold(_visible(submission_for(post, body="Held for a look.")))
    # Two links: held by the filter on arrival, so never numbered.
    waiting = intake.receive(
        submission_for(
            post, body="Two shops: https://a.example/frames and https://b.example/"
        )
    )
    spam = moderation.mark_spam(
        _visible(submission_for(post, body="Cheap watches at example.biz"))
    )
    removed = moderation.remove(_visible(submission_for(post, body="Taken down.")))
    edited = moderation.edit_text(
        _visible(submission_for(post, body="Frist draft of a comment.")),
        "First draft of a comment.",
        editor=ada.user,
    )
    hostile = _visible(submission_for(post, body=HOSTILE, author_name=HOSTILE[:100]))
    serialized = _visible(submission_for(post, body=SERIALIZED))
    pingback = _visible(
        submission_for(
            post,
            kind=Response.Kind.PINGBACK,
            source="pingback",
            source_url="https://notes.example.org/2026/07/prices",
            source_title="Notes on prices",
            author_name="Notes",
            author_email="",
            body="[…] Ada asks whether prices belong online […]",
        )
    )
    like = _visible(
        submission_for(
            post,
            kind=Response.Kind.LIKE,
            source="webmention",
            source_url="https://theo.example/likes/1",
            author_name="Theo Park",
            author_email="",
            author_url="https://theo.example",
            author_photo="https://theo.example/photo.jpg",
            body="",
        )
    )
    mention = _visible(
        submission_for(
            post,
            kind=Response.Kind.MENTION,
            source="webmention",
            source_url="https://mira.example/notes/7",
            author_name="Mira Lund",
            author_email="",
            body="Mira wrote about <this> & that.",
        )
    )
    on_page = _visible(submission_for(about, body="Where is the workshop?"))
    return Site(
        ada=ada,
        lin=lin,
        post=post,
        draft=draft,
        dated_draft=dated_draft,
        scheduled=scheduled,
        about=about,
        team=team,
        first=first,
        reply=reply,
        held=held,
        waiting=waiting,
        spam=spam,
        removed=removed,
        edited=edited,
        hostile=hostile,
        serialized=serialized,
        pingback=pingback,
        like=like,
        mention=mention,
        on_page=on_page,
    )


def _page(
    title: str, author: Author, *, parent: Post | None = None, menu_order: int = 0
) -> Post:
    """A published page, through the pages' workflow."""
    page = Page(
        title=title,
        author=author,
        body=f"This page is *{title}*.",
        parent=parent,
        menu_order=menu_order,
    )
    return publishing.publish_page(page, at=PUBLISHED_AT)


def _visible(submission: Submission) -> Response:
    """Received through intake and approved, whatever the spam layers thought."""
    response = intake.receive(submission)
    if response.status != Response.Status.VISIBLE:
        response = moderation.approve(response)
    return response
