"""Markdown complexity bombs (plan §1.4 and §3.1 test 11): each one renders, or runs
out of time and is kept as escaped plain text; nothing raises, nothing is lost.

The speed of each bomb is measured by bench/markdown_bombs.py, not here: these tests
check what a reader gets, whatever the machine's speed."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from firsthand import rendering
from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from tests.conversation.test_views import form_data, respond_url
from tests.hostile.bombs import BOMBS, bomb
from tests.oracle import active_content


def _depth(html: str, tag: str) -> int:
    deepest = depth = 0
    for match in re.finditer(rf"<(/?){tag}\b", html):
        depth += -1 if match.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


def _check(html: str, text: str) -> None:
    assert active_content(html) == [], text[:40]
    # markdown-it-py's maxNesting (20 in the commonmark preset) bounds the depth of
    # blocks. Not of emphasis: "*" x 10,000 around a word is 5,000 nested <strong>,
    # which is what CommonMark asks for; nh3 and html5lib take it (no recursion).
    for tag in ("blockquote", "ul", "ol"):
        assert _depth(html, tag) <= 21, (tag, text[:40])


@pytest.mark.parametrize("name", BOMBS)
def test_each_bomb_renders_safely_at_a_fifth_of_the_length(name: str) -> None:
    # (The oracle's html5lib is quadratic in nested <strong>: see below.)
    text = bomb(name, 1_000 if name == "deep emphasis" else 4_000)
    _check(rendering.render_response(text), text)
    _check(rendering.render_post(text), text)


@pytest.mark.slow
def test_each_bomb_at_the_full_comment_length_renders_or_is_kept_as_text() -> None:
    for name in BOMBS:
        # html5lib (the oracle) takes quadratic time over thousands of nested <strong>
        # (8 s for 4,000; the renderer 0.15 s): that one is checked shorter.
        text = bomb(name, 4_000 if name == "deep emphasis" else 20_000)
        html = rendering.render_response(text)
        _check(html, text)
        assert html, name


def test_past_the_budget_the_text_is_kept_as_escaped_paragraphs() -> None:
    text = (
        "**not bold** <script>alert(1)</script> [x](javascript:alert(1))\n"
        "line two\n\n\n  para & two  "
    )
    html = rendering.render_response(text, budget=0)
    assert html == (
        "<p>**not bold** &lt;script&gt;alert(1)&lt;/script&gt; "
        "[x](javascript:alert(1))<br>\nline two</p>\n<p>  para &amp; two  </p>"
    )
    assert active_content(html) == []
    # Within the budget the same text is Markdown.
    assert "<strong>not bold</strong>" in rendering.render_response(text)
    post = rendering.render_post(text, budget=0)
    assert post.startswith("<p>**not bold** &lt;script&gt;")


def test_the_deadline_is_checked_inside_the_parse_not_only_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A clock that moves one millisecond each time it is read: the bomb reads it
    thousands of times (once per place an inline rule is tried) and runs out of a
    50 ms budget; an ordinary comment reads it a few times and stays Markdown."""
    ticks = itertools.count()
    monkeypatch.setattr(time, "monotonic", lambda: next(ticks) / 1000)
    slow = rendering.render_response(bomb("open brackets"), budget=0.05)
    assert slow == "<p>" + "[" * 20_000 + "</p>"  # the plain-text form
    quick = rendering.render_response("I *agree*, [mostly](https://a.example.org).")
    assert "<em>agree</em>" in quick
    rules = rendering.render_response("***\n\n" * 4000, budget=0.05)
    assert "<hr" not in rules  # block rules check it too
    assert "***" in rules


@pytest.mark.django_db
def test_a_comment_over_the_budget_is_stored_whole_and_shown_as_text(
    client: Client, post: Post, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rendering, "RESPONSE_BUDGET", 0.0)
    body = "[" * 300 + " *still* here <b>\n\nsecond paragraph"
    reply = client.post(respond_url(post), form_data(post, body=body))
    assert reply.status_code == 302
    stored = Response.objects.get()
    assert stored.body == body
    page = client.get(post.get_absolute_url()).content.decode()
    assert active_content(page) == []
    soup = BeautifulSoup(page, "html5lib")
    shown = soup.select_one("li.response .e-content")
    assert shown is not None
    assert [p.text for p in shown.find_all("p")] == [
        "[" * 300 + " *still* here <b>",
        "second paragraph",
    ]
