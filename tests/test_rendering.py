from __future__ import annotations

from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup

from firsthand.blog import publishing
from firsthand.blog.models import Author, Post
from firsthand.conversation import moderation, own
from firsthand.conversation.models import Response
from firsthand.rendering import (
    clean_text,
    plain_excerpt,
    render_post,
    render_post_body,
    render_response,
    render_response_body,
)
from tests.oracle import active_content


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


# --- Body formats: Markdown written here, HTML imported from WordPress (issue #7) ---

WORDPRESS_POST = (
    "<!-- wp:paragraph -->\n<p>Block paragraph.</p>\n<!-- /wp:paragraph -->\n\n"
    "Classic *text*\nwith a break.\n\n"
    '[caption id="attachment_9" align="alignright" width="300"]'
    '<a href="https://example.org/big.jpg"><img src="https://example.org/s.jpg" '
    'onerror="alert(1)" /></a> A caption[/caption]\n\n'
    '<script>alert(2)</script><iframe src="https://evil.example"></iframe>'
)


def test_markdown_bodies_render_as_before() -> None:
    text = "Some *text*\n\n<b>bold</b> [link](https://example.org)"
    assert render_post_body(text, "markdown") == render_post(text)
    assert render_response_body(text, "markdown") == render_response(text)


def test_an_html_post_gets_paragraphs_and_figures_and_no_active_content() -> None:
    html = render_post_body(WORDPRESS_POST, "html")
    soup = BeautifulSoup(html, "html.parser")
    assert [p.get_text() for p in soup.find_all("p")] == [
        "Block paragraph.",
        "Classic *text*\nwith a break.",  # not Markdown; the newline has a <br>
    ]
    assert soup.find_all("p")[1].find("br") is not None
    figure = soup.find("figure")
    assert figure is not None
    assert figure.find("img") is not None
    assert figure.find("figcaption").get_text() == "A caption"  # type: ignore[union-attr]
    assert active_content(html) == []
    assert "alert" not in html
    assert "<!--" not in html
    assert "<p></p>" not in html  # the paragraph the <iframe> was in


def test_an_html_response_uses_the_response_allowlist() -> None:
    html = render_response_body(WORDPRESS_POST, "html")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("figure") is None
    assert soup.find("img") is None
    assert "A caption" in html
    assert active_content(html) == []
    link = soup.find("a")
    assert link is not None
    assert link["href"] == "https://example.org/big.jpg"
    assert set(link["rel"]) == {"nofollow", "ugc", "noopener"}


def test_an_html_response_is_not_read_as_markdown() -> None:
    html = render_response_body("one *two*\n\nthree", "html")
    assert html == "<p>one *two*</p>\n<p>three</p>"


@pytest.mark.parametrize("render", [render_post_body, render_response_body])
def test_an_unknown_body_format_is_refused(render: Callable[[str, str], str]) -> None:
    with pytest.raises(ValueError, match=r"'markdown'.*'html'"):
        render("text", "textile")


@pytest.mark.django_db
def test_save_post_renders_an_imported_post_as_html(ada: Author) -> None:
    post = publishing.save_post(
        Post(
            title="Imported",
            body="First line\nsecond line\n\n*Not emphasis*",
            body_format=Post.Format.HTML,
            author=ada,
        )
    )
    assert post.body_html == "<p>First line<br>\nsecond line</p>\n<p>*Not emphasis*</p>"
    assert post.summary == "First line second line *Not emphasis*"


@pytest.mark.django_db
def test_editing_an_imported_response_renders_it_as_html(
    post: Post, ada: Author, comment_on: Callable[..., Response]
) -> None:
    response = comment_on(post)
    Response.objects.filter(pk=response.pk).update(body_format="html")
    edited = moderation.edit_text(
        response, "Fixed *typo*\n\nSecond paragraph.", editor=ada.user
    )
    assert edited.body_html == "<p>Fixed *typo*</p>\n<p>Second paragraph.</p>"


@pytest.mark.django_db
def test_the_author_editing_an_imported_response_keeps_it_html(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    response = comment_on(post)
    Response.objects.filter(pk=response.pk).update(body_format="html")
    response.refresh_from_db()
    edited = own.edit_own(response, "Now *with*\nmore thought.")
    assert edited.body_html == "<p>Now *with*<br>\nmore thought.</p>"
