from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from firsthand.rendering import clean_text, plain_excerpt, render_post, render_response


def test_markdown_basics_render() -> None:
    html = render_response("Hello *there* and **you**.\n\n> quoted\n\n- one\n- two")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("em").text == "there"  # type: ignore[union-attr]
    assert soup.find("strong").text == "you"  # type: ignore[union-attr]
    assert soup.find("blockquote") is not None
    assert [li.text for li in soup.find_all("li")] == ["one", "two"]


def test_raw_html_in_a_response_is_shown_as_text() -> None:
    html = render_response('<script>alert(1)</script><b onclick="x()">hi</b>')
    assert "<script" not in html
    assert "<b" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](javascript:alert(1))",
        "<javascript:alert(1)>",
    ],
)
def test_unsafe_url_schemes_never_survive(link: str) -> None:
    html = render_response(link).lower()
    assert 'href="javascript' not in html
    assert 'href="vbscript' not in html
    assert 'href="data' not in html
    assert "<img" not in html


def test_links_in_responses_are_marked_as_user_content() -> None:
    soup = BeautifulSoup(render_response("[site](https://example.org)"), "html.parser")
    link = soup.find("a")
    assert link is not None
    assert link["href"] == "https://example.org"
    assert set(link["rel"]) == {"nofollow", "ugc", "noopener"}


def test_posts_allow_html_but_sanitise_it() -> None:
    html = render_post(
        "## Heading\n\n<p onclick='x()'>para</p><script>bad()</script>"
        "<img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("h2") is not None
    assert soup.find("table") is not None
    assert soup.find("script") is None
    assert "bad()" not in html
    for tag in soup.find_all(True):
        assert not any(attr.startswith("on") for attr in tag.attrs), tag


def test_clean_text_drops_xml_forbidden_characters_and_normalises_newlines() -> None:
    text = "a\x00b\x08c\x0bd\x0ce\x1ff\ufffeg\uffffh\r\ni\rj\tk"
    assert clean_text(text) == "abcdefgh\ni\nj\tk"


def test_clean_text_keeps_ordinary_unicode() -> None:
    text = "naïve — ✓ 😀 عربي \U0001d54f"
    assert clean_text(text) == text


def test_plain_excerpt_decodes_entities() -> None:
    assert plain_excerpt(render_post("Fish & chips <3")) == "Fish & chips <3"


def test_plain_excerpt_is_plain_and_short() -> None:
    html = render_post("*" + "word " * 100 + "*")
    excerpt = plain_excerpt(html, words=10)
    assert "<" not in excerpt
    assert excerpt.endswith("…")
    assert len(excerpt.split()) == 10
