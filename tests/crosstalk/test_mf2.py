"""Reading a source page: the link to the target and what microformats2 says.

Pure (``protocols.webmention.read_source``): no database, no network. The pages
are shaped like the ones real IndieWeb sites publish (h-entry with an h-card
author, e-content, u-url; reply, like and repost contexts as links or h-cites).
"""

from __future__ import annotations

import pytest

from firsthand.crosstalk.protocols.webmention import (
    EXCERPT_MAX_CHARS,
    MAX_DEPTH,
    REPLY_MAX_CHARS,
    Unreadable,
    around_mark,
    decode,
    normalized,
    read_source,
    same_site,
)

TARGET = "https://ada.example/2026/07/02/prices/"
SOURCE = "https://bob.example/notes/2026/07/03/1"
HTML = "text/html; charset=utf-8"


def page(body: str, head: str = "<title>Bob's notes</title>") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def test_a_reply_in_an_h_entry_with_an_author_h_card_and_photo() -> None:
    html = page(f"""
      <article class="h-entry">
        <div class="p-author h-card">
          <img class="u-photo" src="/images/bob.jpg" alt="">
          <a class="p-name u-url" href="/">Bob Reader</a>
        </div>
        <p>In reply to <a class="u-in-reply-to" href="{TARGET}">Ada's post</a></p>
        <div class="e-content"><p>Publishing prices saved me <em>hours</em>.</p>
          <p>Customers arrive knowing the range.</p></div>
        <a class="u-url" href="/notes/2026/07/03/1">3 July</a>
      </article>""")
    reading = read_source(html, HTML, SOURCE, TARGET)
    assert reading.links_to_target
    assert reading.kind == "reply"
    assert reading.author_name == "Bob Reader"
    assert reading.author_url == "https://bob.example/"
    assert reading.author_photo == "https://bob.example/images/bob.jpg"
    assert reading.url == SOURCE
    assert reading.content == (
        "Publishing prices saved me hours.\n\nCustomers arrive knowing the range."
    )
    assert reading.title == "Bob's notes"  # a note has no name of its own


def test_a_like_as_an_h_cite() -> None:
    html = page(f"""
      <div class="h-entry">
        <a class="p-author h-card" href="https://carol.example/">Carol</a> liked
        <div class="u-like-of h-cite">
          <a class="u-url p-name" href="{TARGET}">Prices</a></div>
      </div>""")
    reading = read_source(html, HTML, "https://carol.example/likes/9", TARGET)
    assert (reading.links_to_target, reading.kind) == (True, "like")
    assert (reading.author_name, reading.author_url) == (
        "Carol",
        "https://carol.example/",
    )
    assert reading.content == ""


def test_a_repost_keeps_the_reposters_own_words_short() -> None:
    words = "Worth reading twice. " * 40
    html = page(f"""
      <div class="h-entry"><span class="p-author">Dan</span>
        <a class="u-repost-of" href="{TARGET}">Reblogged</a>
        <div class="e-content">{words}</div></div>""")
    reading = read_source(html, HTML, "https://dan.example/r/1", TARGET)
    assert reading.kind == "repost"
    assert reading.author_name == "Dan"  # p-author as plain text
    assert reading.author_url == ""
    assert reading.content.startswith("Worth reading twice.")
    assert len(reading.content) <= EXCERPT_MAX_CHARS
    assert reading.content.endswith("…")


def test_a_mention_gets_the_sentence_around_the_link() -> None:
    html = page(f"""
      <nav><a href="/">Home</a> <a href="/about">About</a></nav>
      <article class="h-entry"><h1 class="p-name">Shop notes, week 27</h1>
        <div class="e-content">
          <p>We changed the window display. Ada argues in
          <a href="{TARGET}">her post</a> that small shops should put prices
          online. I half agree! The rest of this paragraph is about frames.</p>
          <p>A second paragraph nobody needs here.</p></div></article>""")
    reading = read_source(html, HTML, SOURCE, TARGET)
    assert reading.kind == "mention"
    assert reading.title == "Shop notes, week 27"
    assert reading.excerpt == (
        "[…] We changed the window display. Ada argues in her post that small "
        "shops should put prices online. I half agree! The rest of this "
        "paragraph is about frames. […]"
    )
    assert reading.author_name == ""  # no h-card anywhere: the caller names it


def test_a_long_sentence_is_cut_around_the_link() -> None:
    before = "word " * 200
    after = "more " * 200
    html = page(f'<p>{before}<a href="{TARGET}">the post</a> {after}</p>')
    reading = read_source(html, HTML, SOURCE, TARGET)
    assert reading.excerpt.startswith("[…] word")
    assert reading.excerpt.endswith("more […]")
    assert "the post" in reading.excerpt
    assert len(reading.excerpt) <= EXCERPT_MAX_CHARS + 10


def test_a_reply_is_trimmed_to_two_thousand_characters() -> None:
    text = "All of this matters. " * 200
    html = page(f"""<div class="h-entry"><a class="u-in-reply-to" href="{TARGET}"></a>
      <div class="e-content">{text}</div></div>""")
    reading = read_source(html, HTML, SOURCE, TARGET)
    assert reading.kind == "reply"
    assert len(reading.content) <= REPLY_MAX_CHARS
    assert reading.content.endswith("…")


def test_relative_links_resolve_against_the_source_and_its_base() -> None:
    relative = page('<p>See <a href="../../2026/07/02/prices">this</a>.</p>')
    assert read_source(
        relative, HTML, "https://ada.example/notes/x/y", TARGET
    ).links_to_target
    based = page(
        '<p>See <a href="2026/07/02/prices/">this</a>.</p>',
        head='<base href="https://ada.example/">',
    )
    assert read_source(based, HTML, SOURCE, TARGET).links_to_target


def test_the_link_may_be_only_in_a_u_in_reply_to_without_an_a_element() -> None:
    html = page(f"""<div class="h-entry">
        <data class="u-in-reply-to" value="{TARGET}"></data>
        <p class="e-content">Agreed.</p></div>""")
    reading = read_source(html, HTML, SOURCE, TARGET)
    assert (reading.links_to_target, reading.kind, reading.content) == (
        True,
        "reply",
        "Agreed.",
    )


def test_the_h_entry_that_links_is_chosen_over_the_first() -> None:
    html = page(f"""
      <div class="h-feed">
        <div class="h-entry"><p class="e-content">Unrelated note.</p>
          <a class="p-author h-card" href="/">Someone</a></div>
        <div class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
          <a class="p-author h-card" href="https://eve.example/">Eve</a>
          <p class="e-content">This one answers.</p></div>
      </div>""")
    reading = read_source(html, HTML, SOURCE, TARGET)
    assert (reading.kind, reading.author_name, reading.content) == (
        "reply",
        "Eve",
        "This one answers.",
    )


def test_a_page_without_microformats_is_a_mention_with_its_title() -> None:
    html = page(
        f'<h1>Links</h1><p>Read <a href="{TARGET}">this</a> today.</p>',
        head="<title>Daily links</title>"
        '<meta property="og:site_name" content="Frank\'s Links">',
    )
    reading = read_source(html, HTML, SOURCE, TARGET)
    assert reading.links_to_target
    assert (reading.kind, reading.title, reading.site_name) == (
        "mention",
        "Daily links",
        "Frank's Links",
    )
    assert reading.excerpt == "[…] Read this today."


@pytest.mark.parametrize(
    "body",
    [
        "<p>No link at all.</p>",
        '<p><a href="https://ada.example/2026/07/02/other/">another post</a></p>',
        f"<!-- <a href='{TARGET}'>in a comment</a> -->",
        f"<p>Written out: {TARGET}</p>",
        f'<script>var a = "<a href={TARGET}>";</script>',
        f'<img src="{TARGET}" alt="">',
    ],
)
def test_no_link_to_the_target(body: str) -> None:
    assert not read_source(page(body), HTML, SOURCE, TARGET).links_to_target


@pytest.mark.parametrize(
    "href",
    [
        "https://ADA.example/2026/07/02/prices/",
        "https://ada.example:443/2026/07/02/prices/",
        "http://ada.example/2026/07/02/prices",
        "https://ada.example/2026/07/02/prices/#comment-3",
        "https://ada.example/2026/07/02/%70rices/",
    ],
)
def test_links_that_name_the_same_page(href: str) -> None:
    html = page(f'<p><a href="{href}">the post</a></p>')
    assert read_source(html, HTML, SOURCE, TARGET).links_to_target


def test_plain_text_and_json_sources() -> None:
    text = f"Ada says prices belong online. See {TARGET}. I agree."
    reading = read_source(text, "text/plain", SOURCE, TARGET)
    assert reading.links_to_target
    assert "See" in reading.excerpt
    assert read_source(
        f'{{"items": [{{"url": "{TARGET}"}}]}}', "application/json", SOURCE, TARGET
    ).links_to_target
    assert not read_source(
        "{not json", "application/json", SOURCE, TARGET
    ).links_to_target


def test_other_media_types_are_not_read() -> None:
    html = page(f'<a href="{TARGET}">x</a>')
    assert not read_source(html, "image/png", SOURCE, TARGET).links_to_target


def test_normalized_and_same_site() -> None:
    assert normalized("HTTPS://Ada.Example:443/a%7Eb/?q=1#x") == normalized(
        "http://ada.example/a~b?q=1"
    )
    assert normalized("ftp://ada.example/") == ""
    assert normalized("not a url") == ""
    assert same_site("http://127.0.0.1:8001/x", "http://127.0.0.1:8001")
    assert not same_site("http://127.0.0.1:8002/x", "http://127.0.0.1:8001")
    assert same_site(
        "https://www.ada.example/x", "https://ada.example", [".ada.example"]
    )
    assert not same_site("https://evil.example/x", "https://ada.example", ["*"])


def test_around_mark_without_a_mark_is_empty() -> None:
    assert around_mark("no mark here") == ""


def test_a_page_nested_too_deeply_is_not_read() -> None:
    deep = "<div>" * (MAX_DEPTH + 1) + f'<a href="{TARGET}">x</a>'
    with pytest.raises(Unreadable, match="more than 256 deep"):
        read_source(deep, HTML, SOURCE, TARGET)
    # Old-style pages that never close <p> or <li> are not deep.
    sloppy = "<ul>" + "<li><p>item" * 2000 + f'<a href="{TARGET}">x</a>'
    assert read_source(sloppy, HTML, SOURCE, TARGET).links_to_target


@pytest.mark.parametrize(
    ("content", "content_type", "text"),
    [
        ("café".encode("latin-1"), "text/html; charset=ISO-8859-1", "café"),
        (b'<meta charset="iso-8859-1"><p>caf\xe9', "text/html", "café"),
        (
            b'<meta http-equiv="Content-Type" '
            b'content="text/html; charset=windows-1252">\x93quoted\x94',
            "text/html",
            "“quoted”",
        ),
        (b"\xef\xbb\xbfcaf\xc3\xa9", "text/html", "café"),
        ("café".encode(), "text/html; charset=no-such-charset", "café"),
        (b"caf\xff", "text/plain", "caf\ufffd"),
    ],
)
def test_decode_follows_the_header_then_the_page(
    content: bytes, content_type: str, text: str
) -> None:
    assert text in decode(content, content_type)
