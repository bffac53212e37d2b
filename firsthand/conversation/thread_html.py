"""The thread's numbered entries as HTML, one ``<li>`` per entry; and its links
(pingbacks, trackbacks, mentions), one ``<li>`` per link.

Why this is Python and not a template: an article page lists up to a hundred
conversations with their replies, and a template ``{% include %}`` per entry cost
more than everything else on the page together (issue #8: 18 entries took about
half of a 17 ms render; the first page of a 10,000-response article, about 160
entries, most of its 60 ms). The markup is the one ``conversation/_response.html``
wrote, unchanged: the same classes, ids, microformats (``h-cite``,
``p-author h-card``, ``dt-published``, ``e-content``, ``u-url``) and accessible
names; ``tests/conversation/test_thread_html.py`` compares the two. The links
are what ``conversation/_link.html`` wrote, an include per link until issue #8.
Times are written by ``firsthand.times``.

Escaping: every value that comes from a person goes through ``_text`` (the
standard library's ``html.escape``, which is what Django's ``escape`` and the
templates' autoescaping call, without their lazy-string wrappers); numbers are
formatted as integers; only ``body_html``, which intake sanitised when it stored
it, is inserted as it is, as the template's ``|safe`` did.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Container, Iterable

from django.utils.safestring import SafeString, mark_safe

from firsthand.conversation.models import Response
from firsthand.conversation.thread import Entry
from firsthand.times import Clock

# Renders the " · Edit · Withdraw" links of a response this browser posted.
OwnActions = Callable[[Response], SafeString]


def _text(value: str) -> str:
    """``value`` escaped for HTML text and for a double-quoted attribute."""
    return html.escape(value, quote=True)


def _author(response: Response) -> str:
    name = _text(response.author_name)
    if response.author_url:
        shown = (
            f'<a class="p-name u-url" href="{_text(response.author_url)}"'
            f' rel="nofollow ugc">{name}</a>'
        )
    else:
        shown = f'<span class="p-name">{name}</span>'
    if response.author_title:
        shown += f'<span class="affiliation">, {_text(response.author_title)}</span>'
    return f'<span class="p-author h-card">{shown}</span>'


def _answers(entry: Entry) -> str:
    if entry.answers_number:
        return (
            f'<a class="answers" href="#comment-{entry.answers_number:d}">'
            f"↪ in reply to #{entry.answers_number:d} {_text(entry.answers_name)}</a>"
        )
    if entry.answers_gone:
        return '<span class="answers">↪ in reply to a comment no longer shown</span>'
    return ""


def _actions(
    entry: Entry, response: Response, replies_open: bool, reply_base: str, own: str
) -> str:
    if not (replies_open or own):
        return ""
    reply = ""
    if replies_open:
        name, number = _text(response.author_name), f"{entry.number:d}"
        reply = (
            f'<a class="reply-link" href="{_text(reply_base)}{number}/#respond"'
            f' data-reply-to="{number}" data-reply-name="{name}" rel="nofollow">'
            f'Reply<span class="visually-hidden"> to #{number} {name}</span></a>'
        )
    return f'<p class="actions">{reply}{own}</p>'


def _closing(entry: Entry) -> str:
    """The end of the entry: open its list of replies, or close it and as many
    levels of replies as end here."""
    if entry.has_replies:
        return '  <ol class="replies">\n'
    return "</li>\n" + "</ol></li>\n" * len(entry.closes)


def _response_html(
    entry: Entry,
    response: Response,
    replies_open: bool,
    reply_base: str,
    own: str,
    clock: Clock,
) -> str:
    edited = ""
    if response.edited_at:
        when = _text(clock.shown(response.edited_at))
        edited = f'<span class="edited" title="Edited {when}">edited</span>'
    via = ""
    if response.kind == Response.Kind.REPLY:
        via = (
            f'<a class="via u-url" href="{_text(response.source_url)}"'
            f' rel="nofollow ugc">replied on {_text(response.source_site)}</a>'
        )
    number = f"{entry.number:d}"
    created = clock.local(response.created_at)
    return (
        f'<li id="comment-{number}" class="response depth-{entry.depth:d} h-cite"'
        f' data-number="{number}">\n'
        "  <article>\n"
        "    <header>\n"
        f'      <a class="number" href="#comment-{number}"'
        f' aria-label="Comment {number}, permalink">#{number}</a>\n'
        f"      {_author(response)}\n"
        '      <time class="dt-published"'
        f' datetime="{created.isoformat()}">'
        f"{_text(clock.shown_local(created))}</time>\n"
        f"      {edited}\n"
        f"      {via}\n"
        f"      {_answers(entry)}\n"
        "    </header>\n"
        '    <div class="e-content">\n'
        f"{response.body_html}\n"  # sanitised by intake, shown as it is
        "    </div>\n"
        f"    {_actions(entry, response, replies_open, reply_base, own)}\n"
        "  </article>\n"
        f"{_closing(entry)}"
    )


def _gone_html(entry: Entry) -> str:
    number = f"{entry.number:d}"
    return (
        f'<li id="comment-{number}" class="response depth-{entry.depth:d}'
        f' response-gone" data-number="{number}">\n'
        f'  <p class="gone">#{number} is no longer shown.</p>\n'
        f"{_closing(entry)}"
    )


def entries_html(
    entries: Iterable[Entry],
    *,
    replies_open: bool,
    reply_base: str,
    mine: Container[int],
    own_actions: OwnActions,
) -> SafeString:
    """The ``<li>`` elements of one page of the thread, nested as ``entries``
    says (``depth``, ``has_replies``, ``closes``), for inside ``<ol class="thread">``.

    ``reply_base`` is the post's URL followed by ``reply/``; ``mine`` the ids of
    the responses this browser posted, whose own links ``own_actions`` renders.
    """
    parts: list[str] = []
    clock = Clock()
    for entry in entries:
        response = entry.response
        if response is None:
            parts.append(_gone_html(entry))
            continue
        own = own_actions(response) if response.pk in mine else ""
        parts.append(
            _response_html(entry, response, replies_open, reply_base, own, clock)
        )
    # Every part escapes what it takes from people (see the module's docstring).
    return mark_safe("".join(parts))  # noqa: S308


def _link_html(response: Response, clock: Clock) -> str:
    anchor = _text(response.anchor)
    number = _text(str(response.number))
    created = clock.local(response.created_at)
    site = response.source_site
    shown_site = f'<span class="site">({_text(site)})</span>' if site else ""
    source = _text(response.source_url)
    return (
        f'<li id="{anchor}" class="response response-link h-cite">\n'
        "  <article>\n"
        "    <header>\n"
        f'      <a class="number" href="#{anchor}"'
        f' aria-label="Response {number}, permalink">#{number}</a>\n'
        f'      <span class="kind">{_text(response.get_kind_display())} from</span>\n'
        f'      <a class="u-url p-name" href="{source}" rel="nofollow ugc">'
        f"{_text(response.source_title or response.author_name)}</a>\n"
        f"      {shown_site}\n"
        f'      <time class="dt-published" datetime="{created.isoformat()}">'
        f"{_text(clock.shown_local(created))}</time>\n"
        "    </header>\n"
        f'    <blockquote class="e-content excerpt" cite="{source}">'
        f"<p>{_text(response.body)}</p></blockquote>\n"
        "  </article>\n"
        "</li>\n"
    )


def links_html(responses: Iterable[Response]) -> SafeString:
    """The ``<li>`` elements of the pingbacks, trackbacks and mentions (for inside
    ``<ol class="thread links">``): the markup ``conversation/_link.html`` wrote,
    an include per link (issue #8)."""
    clock = Clock()
    # Every part escapes what it takes from people (see the module's docstring).
    return mark_safe("".join(_link_html(r, clock) for r in responses))  # noqa: S308
