"""``{% load thread %}`` then
``{% thread_entries thread replies_open reply_base mine %}``: the numbered entries
of one page of the thread, and ``{% thread_links links %}``: the pingbacks,
trackbacks and mentions (both written by ``conversation.thread_html``)."""

from __future__ import annotations

from collections.abc import Container, Iterable

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from firsthand.conversation.models import Response
from firsthand.conversation.thread import Entry
from firsthand.conversation.thread_html import entries_html, links_html

register = template.Library()


@register.simple_tag
def thread_entries(
    entries: Iterable[Entry],
    replies_open: bool,
    reply_base: str,
    mine: Container[int],
) -> SafeString:
    def own_actions(response: Response) -> SafeString:
        # Only for this browser's own responses, a few at most: a template is fine.
        return render_to_string(
            "conversation/_own_actions.html",
            {"response": response, "replies_open": replies_open},
        )

    return entries_html(
        entries,
        replies_open=bool(replies_open),
        reply_base=reply_base,
        mine=mine,
        own_actions=own_actions,
    )


@register.simple_tag
def thread_links(links: Iterable[Response]) -> SafeString:
    return links_html(links)
