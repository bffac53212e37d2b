"""WordPress HTML as Firsthand stores it (issue #7): ``legacy_html`` and the
"html" body format, on the Theme Unit Test exports and on small hand-made cases."""

from __future__ import annotations

import re
from functools import cache
from xml.etree.ElementTree import Element

import pytest
from bs4 import BeautifulSoup, Tag
from defusedxml.ElementTree import parse as parse_xml

from firsthand.legacy_html import unknown_shortcodes, wordpress_to_html
from firsthand.rendering import render_post_body, render_response_body
from tests.oracle import active_content
from tests.testdata import shared_file

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
# The theme unit test file says https, real exports (and the block file) http.
WXR_NAMESPACES = (
    "http://wordpress.org/export/1.2/",
    "https://wordpress.org/export/1.2/",
)
# An expanded shortcode's brackets, and the caption="…" it shows.
EXPANDED_SHORTCODE = re.compile(
    r'\[/?(?:caption|embed)(?:[^\]]*?caption="([^"]*)")?[^\]]*\]'
)
PARAGRAPH_TAG = re.compile(r"</?p[\s>]", re.IGNORECASE)
THEME_TEST = "wxr-theme-test-data/themeunittestdata.wordpress.xml"
BLOCK_TEST = "wxr-theme-test-data/64-block-test-data.xml"


def root_of(relative: str) -> Element:
    root = parse_xml(shared_file(relative)).getroot()
    assert root is not None
    return root


@cache
def _items(relative: str) -> tuple[tuple[str, str], ...]:
    root = root_of(relative)
    return tuple(
        (item.findtext("title") or "", item.findtext(CONTENT) or "")
        for item in root.iter("item")
    )


def items(relative: str) -> tuple[tuple[str, str], ...]:
    """(title, content:encoded) of every item in a shared WXR file."""
    shared_file(relative)  # skips (or fails in CI) before the cache sees a miss
    return _items(relative)


def content_of(relative: str, title: str) -> str:
    found = [content for item_title, content in items(relative) if item_title == title]
    assert len(found) == 1, f"{title!r} is in {relative} {len(found)} times"
    return found[0]


def comments(relative: str) -> list[str]:
    root = root_of(relative)
    return [
        text
        for namespace in WXR_NAMESPACES
        for comment in root.iter(f"{{{namespace}}}comment")
        if (text := comment.findtext(f"{{{namespace}}}comment_content"))
    ]


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def top_level(html: str) -> list[str]:
    """The names of the top-level elements, in order."""
    return [child.name for child in soup(html).children if isinstance(child, Tag)]


def deepest_paragraph(html: str) -> int:
    """How many <p> are open at once at most, reading the tags as written."""
    depth = deepest = 0
    for tag in PARAGRAPH_TAG.findall(html):
        depth = max(0, depth - 1) if tag.startswith("</") else depth + 1
        deepest = max(deepest, depth)
    return deepest


def test_deepest_paragraph_sees_a_paragraph_in_a_paragraph() -> None:
    assert deepest_paragraph("<p>a</p><p class=x>b</p>") == 1
    assert deepest_paragraph("<p><p>a</p></p>") == 2


# --- Every item of the Theme Unit Test exports ----------------------------------


@pytest.mark.parametrize("relative", [THEME_TEST, BLOCK_TEST])
def test_every_post_renders_safely_without_wordpress_syntax(relative: str) -> None:
    contents = [content for _, content in items(relative) if content.strip()]
    assert len(contents) > 50
    for content in contents:
        html = render_post_body(content, "html")
        assert "<!--" not in html
        assert "[caption" not in html
        assert active_content(html) == []
        # No paragraph opened inside another (what autop over block content would
        # make), checked before the sanitiser, whose parser would close the first.
        assert deepest_paragraph(wordpress_to_html(content)) <= 1, content[:200]


@pytest.mark.parametrize("relative", [THEME_TEST, BLOCK_TEST])
def test_wordpress_to_html_keeps_every_word(relative: str) -> None:
    # Paragraphs, figures and links add tags, never words: the text is the same,
    # less the expanded shortcodes' own brackets (an old-style caption attribute
    # moves after its image, which has no text).
    for title, content in items(relative):
        text = soup(content).get_text()
        before = EXPANDED_SHORTCODE.sub(lambda m: f" {m[1] or ''} ", text)
        after = soup(wordpress_to_html(content)).get_text()
        assert after.split() == before.split(), title


def test_html_tags_and_formatting_post_gets_wordpress_paragraphs() -> None:
    content = content_of(THEME_TEST, "Markup: HTML Tags and Formatting")
    html = render_post_body(content, "html")
    page = soup(html)
    names = top_level(html)
    assert names[:9] == ["p", "h1", "h2", "h3", "h4", "h5", "h6", "h2", "p"]
    # The 22 "<strong>Name Tag</strong>" lines and the sentences after them are
    # separated by blank lines: each is a paragraph (the address is an <address>).
    paragraphs = page.find_all("p", recursive=False)
    names_of_tags = [p.strong.get_text().strip() for p in paragraphs if p.strong]
    assert len([name for name in names_of_tags if " Tag" in name]) == 22
    assert len(paragraphs) == 4 + 1 + 22 + 21
    assert page.p is not None
    assert page.p.get_text() == "Headings"
    # A blockquote's bare text is wrapped; one with its own <p> keeps just that one.
    quotes = page.find_all("blockquote")
    assert [len(q.find_all("p")) for q in quotes] == [1, 1]
    assert quotes[0].get_text() == "Stay hungry. Stay foolish."
    # Lists and tables are left as they are: no <p> or <br> inside.
    for element in page.find_all(["ul", "ol", "table", "dl"]):
        assert element.find(["p", "br"]) is None, element.name
    assert len(page.find_all("li")) == 24
    # Single newlines are line breaks: the <address> lines (the post allowlist has
    # no <address>, its text stays) and the <code> lines in a paragraph.
    address = soup(wordpress_to_html(content)).address
    assert address is not None
    assert [line.strip() for line in address.strings] == [
        "1 Infinite Loop",
        "Cupertino, CA 95014",
        "United States",
    ]
    assert len(address.find_all("br")) == 2
    assert len(page.find_all("br")) == 2 + 8  # the address; the code and its 2 lines
    # The poem keeps its blank lines and gets no <br>.
    pre = page.pre
    assert pre is not None
    assert "\n\n\tThen took the other" in pre.get_text()
    assert pre.find("br") is None
    assert pre.find("p") is None


def test_paginated_post_drops_its_page_markers() -> None:
    html = render_post_body(content_of(THEME_TEST, "Template: Paginated"), "html")
    assert [p.get_text() for p in soup(html).find_all("p")] == [
        "Post Page 1",
        "Post Page 2",
        "Post Page 3",
    ]


def test_caption_shortcode_becomes_a_figure() -> None:
    html = render_post_body(
        content_of(THEME_TEST, "Post Format: Image (Caption)"), "html"
    )
    figure = soup(html).figure
    assert figure is not None
    assert top_level(html) == ["figure"]
    assert figure.img is not None
    assert figure.a is not None
    assert figure.a.img is figure.img
    assert figure.img["alt"] == "Bell on Wharf"
    assert figure.figcaption is not None
    assert figure.figcaption.get_text() == "Bell on wharf in San Francisco"


def test_captions_between_paragraphs_keep_their_links() -> None:
    html = render_post_body(content_of(THEME_TEST, "Markup: Image Alignment"), "html")
    page = soup(html)
    figures = page.find_all("figure", recursive=False)
    assert len(figures) == len(page.find_all("figure")) == 5
    captions = [figure.find("figcaption") for figure in figures]
    assert [c.get_text()[:12] for c in captions if c] == [
        "Look at 580x",
        "Bigger capti",
        "Comment for ",
        "This massive",
        "Feels good t",
    ]
    assert captions[0] is not None
    assert captions[0].find("a") is not None  # the caption's own link


def test_block_editor_paragraphs_are_one_p_each() -> None:
    content = content_of(BLOCK_TEST, "Paragraph")
    html = render_post_body(content, "html")
    opened = content.count("<!-- wp:paragraph")
    assert opened > 10
    assert len(soup(html).find_all("p")) == content.count("<p")
    assert "<br" not in html  # block content is not autop'd, as in WordPress


def test_block_editor_verses_keep_their_newlines() -> None:
    content = content_of(BLOCK_TEST, "Verse")
    html = render_post_body(content, "html")
    pres = soup(html).find_all("pre")
    assert len(pres) == content.count("<pre") > 5
    for pre in pres:
        assert pre.get_text().endswith("\nCode is poetry")
        assert pre.find("br") is None


def test_gallery_and_audio_are_left_as_text_and_reported() -> None:
    gallery = content_of(THEME_TEST, "Post Format: Gallery")
    assert unknown_shortcodes(gallery) == ["gallery"]
    assert '[gallery columns="9"]' in render_post_body(gallery, "html")
    audio = content_of(THEME_TEST, "Post Format: Audio")
    assert unknown_shortcodes(audio) == ["audio"]


def test_a_url_alone_on_its_line_becomes_a_link() -> None:
    html = render_post_body(content_of(THEME_TEST, "Media: Twitter Embeds"), "html")
    first = soup(html).p
    assert first is not None
    assert first.a is not None
    assert first.a["href"] == "https://twitter.com/nacin/status/319508408669708289"


@pytest.mark.parametrize("relative", [THEME_TEST, BLOCK_TEST])
def test_imported_comments_render_safely_as_user_content(relative: str) -> None:
    bodies = comments(relative)
    assert bodies
    for body in bodies:
        html = render_response_body(body, "html")
        assert active_content(html) == []
        assert "<!--" not in html
        for link in soup(html).find_all("a"):
            assert set(link["rel"]) == {"nofollow", "ugc", "noopener"}


def test_an_imported_comment_keeps_its_link_and_paragraphs() -> None:
    body = next(b for b in comments(THEME_TEST) if "fake email" in b)
    html = render_response_body(body, "html")
    page = soup(html)
    assert [p.get_text()[:20] for p in page.find_all("p")] == [
        "This user it trying ",
        "They used a fake ema",
    ]
    link = page.a
    assert link is not None
    assert link["href"] == "https://gravatar.com//"
    assert set(link["rel"]) == {"nofollow", "ugc", "noopener"}
    assert page.find("br") is not None  # the two tab-indented lines


def test_an_image_in_an_imported_comment_is_dropped_by_the_response_allowlist() -> None:
    body = next(b for b in comments(THEME_TEST) if b.startswith("Image comment."))
    html = render_response_body(body, "html")
    assert "<img" not in html
    assert "Image comment." in html


# --- The paragraph rules, on small inputs ----------------------------------------


def test_blank_lines_make_paragraphs() -> None:
    assert wordpress_to_html("One.\n\nTwo.\n\n\n\nThree.") == (
        "<p>One.</p>\n<p>Two.</p>\n<p>Three.</p>"
    )


def test_a_single_newline_is_a_line_break() -> None:
    assert wordpress_to_html("Roses are red,\nviolets blue.") == (
        "<p>Roses are red,<br>\nviolets blue.</p>"
    )


def test_an_existing_br_gets_no_second_one() -> None:
    assert wordpress_to_html("one<br />\ntwo") == "<p>one<br />\ntwo</p>"


def test_windows_line_endings_read_like_unix_ones() -> None:
    assert wordpress_to_html("a\r\nb\r\n\r\nc") == wordpress_to_html("a\nb\n\nc")
    assert wordpress_to_html("a\r\nb\r\n\r\nc") == "<p>a<br>\nb</p>\n<p>c</p>"


def test_blockquote_text_is_made_into_paragraphs() -> None:
    html = wordpress_to_html("<blockquote>First.\n\nSecond.</blockquote>")
    assert html == "<blockquote><p>First.</p>\n<p>Second.</p></blockquote>"


def test_a_paragraph_already_written_is_not_wrapped_again() -> None:
    html = wordpress_to_html("<p>Mine.</p>\n\n<blockquote><p>Quoted.</p></blockquote>")
    assert html == "<p>Mine.</p>\n\n<blockquote><p>Quoted.</p></blockquote>"


def test_lists_and_tables_are_left_as_they_are() -> None:
    text = "<ul>\n<li>one\nline two</li>\n\n<li>two</li>\n</ul>"
    assert wordpress_to_html(text) == text
    table = "<table>\n<tr>\n<td>a\nb</td>\n</tr>\n</table>"
    assert wordpress_to_html(table) == table


def test_text_after_a_closing_div_is_a_paragraph() -> None:
    html = wordpress_to_html('<div class="note">Inside.</div>\nAfter the box.')
    assert html == '<div class="note"><p>Inside.</p></div>\n<p>After the box.</p>'


def test_pre_is_never_touched() -> None:
    text = "Code:\n\n<pre>line one\n\nline <b>three</b>\n</pre>\nAfter."
    assert wordpress_to_html(text) == (
        "<p>Code:</p>\n\n<pre>line one\n\nline <b>three</b>\n</pre>\n<p>After.</p>"
    )


def test_an_unclosed_pre_keeps_the_rest_verbatim() -> None:
    assert wordpress_to_html("<pre>a\n\nb") == "<pre>a\n\nb"


def test_block_comments_go_and_block_content_is_not_autopd() -> None:
    text = (
        "<!-- wp:paragraph -->\n<p>One\nline</p>\n<!-- /wp:paragraph -->\n\n"
        '<!-- wp:separator /-->\n<!-- wp:image {"id":9} -->\n'
        '<figure class="wp-block-image"><img src="a.jpg" alt=""/></figure>\n'
        "<!-- /wp:image -->\n\nClassic text between blocks."
    )
    html = wordpress_to_html(text)
    assert "<!--" not in html
    assert "<p>One\nline</p>" in html
    assert html.endswith("<p>Classic text between blocks.</p>")
    assert html.count("<p>") == 2


def test_comments_of_every_shape_are_dropped() -> None:
    assert (
        wordpress_to_html("a<!--more-->b<!---->c<!-->d<!-- x --!>e") == "<p>abcde</p>"
    )
    assert wordpress_to_html("kept<!-- never closed <p>x</p>") == "<p>kept</p>"


def test_removing_a_comment_never_makes_a_new_one() -> None:
    html = wordpress_to_html("a <<!-- x -->!-- b --> c")
    assert "<!--" not in html
    assert html == "<p>a &lt;!-- b --> c</p>"
    assert wordpress_to_html("1 < 2") == "<p>1 &lt; 2</p>"


def test_caption_attribute_is_the_caption() -> None:
    html = wordpress_to_html(
        '[caption id="" align="alignleft" width="150" caption="Old style"]'
        '<img src="a.jpg" alt="" />[/caption]'
    )
    caption = "<figcaption>Old style</figcaption>"
    assert html == f'<figure><img src="a.jpg" alt="" />{caption}</figure>'


def test_caption_without_text_is_a_figure_without_figcaption() -> None:
    html = wordpress_to_html('[caption width="1"]<img src="a.jpg" />[/caption]')
    assert html == '<figure><img src="a.jpg" /></figure>'


def test_escaped_shortcodes_are_shown_as_text() -> None:
    assert wordpress_to_html("Type [[gallery]] to") == "<p>Type [gallery] to</p>"
    html = wordpress_to_html("[[caption]<img src=a>x[/caption]]")
    assert html == "<p>[caption]<img src=a>x[/caption]</p>"
    assert unknown_shortcodes("Type [[gallery]] to") == []


def test_embed_shortcode_becomes_a_link() -> None:
    html = wordpress_to_html("Watch:\n\n[embed]https://videos.example/v/1[/embed]")
    assert html == (
        '<p>Watch:</p>\n<p><a href="https://videos.example/v/1">'
        "https://videos.example/v/1</a></p>"
    )


def test_only_a_url_alone_on_its_line_becomes_a_link() -> None:
    html = wordpress_to_html(
        "See https://in.example/sentence here.\nhttps://alone.example/\n"
        '<a href="https://x.example/">https://x.example/</a>\n\n'
        "<pre>https://in.example/pre</pre>"
    )
    assert html.count("<a ") == 2
    assert '<a href="https://alone.example/">https://alone.example/</a>' in html
    assert "<pre>https://in.example/pre</pre>" in html


def test_unknown_shortcodes_lists_what_stays_text() -> None:
    text = (
        '[gallery ids="1,2"] [audio src="a.mp3"] [video] [contact-form to="me"] '
        "[sic] [note]x[/note] [caption]<img src=a>ok[/caption] [embed]u[/embed] "
        "[1] [...] [caption never closed"
    )
    assert unknown_shortcodes(text) == [
        "gallery",
        "audio",
        "video",
        "contact-form",
        "note",
    ]


def test_an_unclosed_caption_is_reported_and_left() -> None:
    assert unknown_shortcodes("[caption]<img src=a> no end") == ["caption"]
    assert "[caption]" in wordpress_to_html("[caption]<img src=a> no end")


# Each about 1 MB; a backtracking pattern or a rescan per tag would not return.
HOSTILE = [
    "<div>" * 100_000 + "</blockquote>" * 40_000,
    '<a title="x>' * 40_000 + "<a b=c=" * 40_000 + "<" * 300_000,
    "[" * 200_000 + "[caption x=" * 40_000 + "[caption]<a><img " * 30_000,
    "<!--" * 150_000 + "-->" * 150_000,
    "<pre>" * 50_000 + "\n \n" * 150_000 + "https://" + "a" * 200_000,
    "<p>a\n<b>b\n\n<div>c[gallery x=1]<li>https://x.example\n" * 20_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_a_megabyte_of_unclosed_tags_and_brackets_returns(text: str) -> None:
    assert len(text) > 900_000
    html = wordpress_to_html(text)
    assert isinstance(html, str)
    assert "<!--" not in html
    assert isinstance(unknown_shortcodes(text), list)
