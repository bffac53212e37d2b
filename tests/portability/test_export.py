"""Exporting the site as WXR: parsed back and compared field by field, and with
what WordPress itself writes."""

from __future__ import annotations

import contextlib
import datetime
import html
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from defusedxml.ElementTree import fromstring, iterparse
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings

from firsthand import cli
from firsthand.blog import publishing
from firsthand.blog.models import Author, Post, Tag
from firsthand.conversation import intake
from firsthand.conversation.models import Response
from firsthand.portability import names
from firsthand.portability.exporter import ExportReport, cdata, export_wxr, meta_value
from firsthand.portability.management.commands import export_wxr as command
from firsthand.rendering import clean_text
from tests.portability import HOSTILE, SERIALIZED, SITE_URL, Site, build_site
from tests.testdata import shared_file

WP = f"{{{names.EXPORT_WP_NAMESPACE}}}"
CONTENT = f"{{{names.CONTENT_NAMESPACE}}}"
EXCERPT = f"{{{names.EXPORT_EXCERPT_NAMESPACE}}}"
DC = f"{{{names.DC_NAMESPACE}}}"
PHP_STRING = re.compile(r'\As:(\d+):"(.*)";\Z', re.DOTALL)


@pytest.fixture
def site(ada: Author, make_post: Callable[..., Post]) -> Site:
    return build_site(ada, make_post)


def export(**kwargs: Any) -> tuple[bytes, ExportReport]:
    out = io.BytesIO()
    report = export_wxr(out, site_url=SITE_URL, **kwargs)
    return out.getvalue(), report


def unwrap(value: str) -> str:
    """A meta value as WordPress's importer reads it (``maybe_unserialize`` of a
    serialized string), or as it is."""
    found = PHP_STRING.match(value)
    if found and int(found[1]) == len(found[2].encode("utf-8")):
        return found[2]
    return value


def text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, path
    return "".join(found.itertext())


def meta(element: ET.Element, tag: str) -> dict[str, str]:
    return {
        text(entry, f"{WP}meta_key"): unwrap(text(entry, f"{WP}meta_value"))
        for entry in element.findall(f"{WP}{tag}")
    }


def items_by_id(channel: ET.Element) -> dict[int, ET.Element]:
    return {int(text(item, f"{WP}post_id")): item for item in channel.iter("item")}


def comments_by_id(channel: ET.Element) -> dict[int, ET.Element]:
    return {
        int(text(comment, f"{WP}comment_id")): comment
        for comment in channel.iter(f"{WP}comment")
    }


def channel_of(data: bytes) -> ET.Element:
    root = fromstring(data)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel


def local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def gmt(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


# --- The file ---------------------------------------------------------------------


def test_the_file_is_wxr_1_2_with_the_namespaces_wordpress_writes(
    site: Site, settings: Settings
) -> None:
    settings.FIRSTHAND_SITE_NAME = "Quill & Frame"
    data, _ = export()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8" ?>\n')
    # "start-ns" events carry (prefix, uri) pairs, not elements.
    events = iterparse(io.BytesIO(data), events=("start-ns",))
    declared = dict(cast(tuple[str, str], pair) for _, pair in events)
    assert declared == {
        "excerpt": "http://wordpress.org/export/1.2/excerpt/",
        "content": "http://purl.org/rss/1.0/modules/content/",
        "wfw": "http://wellformedweb.org/CommentAPI/",
        "dc": "http://purl.org/dc/elements/1.1/",
        "wp": "http://wordpress.org/export/1.2/",
    }
    channel = channel_of(data)
    assert text(channel, "title") == "Quill & Frame"
    assert text(channel, "link") == SITE_URL
    assert text(channel, f"{WP}wxr_version") == "1.2"
    assert text(channel, f"{WP}base_site_url") == SITE_URL
    assert text(channel, f"{WP}base_blog_url") == SITE_URL
    assert text(channel, "language") == settings.LANGUAGE_CODE
    assert re.fullmatch(
        r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", text(channel, "pubDate")
    )


def test_every_author_and_tag_is_there(site: Site) -> None:
    channel = channel_of(export()[0])
    authors = {
        text(author, f"{WP}author_login"): author
        for author in channel.findall(f"{WP}author")
    }
    assert set(authors) == {"ada", "lin"}
    lin = authors["lin"]
    assert text(lin, f"{WP}author_id") == str(site.lin.pk)
    assert text(lin, f"{WP}author_email") == "lin@example.com"
    # WordPress keeps display names as HTML: "&" is written "&amp;".
    assert text(lin, f"{WP}author_display_name") == "Lin Marsh &amp; Co"
    assert text(lin, f"{WP}author_first_name") == "Lin"
    assert text(lin, f"{WP}author_last_name") == "Marsh"
    tags = {
        text(tag, f"{WP}tag_slug"): (
            text(tag, f"{WP}term_id"),
            text(tag, f"{WP}tag_name"),
        )
        for tag in channel.findall(f"{WP}tag")
    }
    assert tags == {
        tag.slug: (str(tag.pk), html.escape(tag.name, quote=False))
        for tag in Tag.objects.all()
    }
    assert {slug: name for slug, (_, name) in tags.items()} == {
        "framing": "Framing",
        "tools-jigs": "Tools &amp; Jigs",
        "café": "Café",
    }


def test_every_post_and_page_with_its_fields(site: Site, settings: Settings) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    data, report = export()
    items = items_by_id(channel_of(data))
    everything = list(Post.everything.all())
    assert set(items) == {post.pk for post in everything}
    assert (report.posts, report.pages) == (4, 2)

    post, item = site.post, items[site.post.pk]
    assert text(item, "title") == post.title
    assert text(item, "link") == SITE_URL + post.get_absolute_url()
    assert text(item, "pubDate") == "Thu, 02 Jul 2026 10:30:00 +0000"
    assert text(item, f"{DC}creator") == "ada"
    guid = item.find("guid")
    assert guid is not None
    assert guid.get("isPermaLink") == "false"
    assert guid.text == f"urn:uuid:{post.uid}"
    assert text(item, f"{CONTENT}encoded") == post.body_html
    assert "<strong>frames</strong>" in post.body_html
    assert text(item, f"{EXCERPT}encoded") == "Prices online, or not."
    # 10:30 UTC is 12:30 in Paris in July.
    assert text(item, f"{WP}post_date") == "2026-07-02 12:30:00"
    assert text(item, f"{WP}post_date_gmt") == "2026-07-02 10:30:00"
    assert text(item, f"{WP}comment_status") == "open"
    assert text(item, f"{WP}ping_status") == "open"
    assert text(item, f"{WP}post_name") == post.slug
    assert text(item, f"{WP}status") == "publish"
    assert text(item, f"{WP}post_parent") == "0"
    assert text(item, f"{WP}post_type") == "post"
    assert text(item, f"{WP}post_password") == ""
    assert text(item, f"{WP}is_sticky") == "0"
    categories = {
        (category.get("domain"), category.get("nicename"), category.text)
        for category in item.findall("category")
    }
    assert categories == {
        ("post_tag", "framing", "Framing"),
        ("post_tag", "tools-jigs", "Tools &amp; Jigs"),
    }
    assert meta(item, "postmeta") == {
        names.META_BODY: post.body,
        names.META_FORMAT: "markdown",
        names.META_UID: str(post.uid),
    }

    draft = items[site.draft.pk]
    assert text(draft, f"{WP}status") == "draft"
    # Never dated: no UTC date, as WordPress's own drafts; written when created.
    assert text(draft, f"{WP}post_date_gmt") == "0000-00-00 00:00:00"
    assert text(draft, f"{WP}post_date") == local(site.draft.created_at)
    dated = items[site.dated_draft.pk]
    assert text(dated, f"{WP}status") == "draft"
    assert site.dated_draft.published_at is not None
    assert text(dated, f"{WP}post_date_gmt") == gmt(site.dated_draft.published_at)
    assert text(dated, f"{DC}creator") == "lin"

    scheduled = items[site.scheduled.pk]
    assert text(scheduled, f"{WP}status") == "future"
    assert text(scheduled, f"{WP}post_date_gmt") == "2036-01-05 08:00:00"
    assert text(scheduled, f"{WP}comment_status") == "closed"
    assert text(scheduled, f"{WP}ping_status") == "closed"

    about, team = items[site.about.pk], items[site.team.pk]
    assert text(about, f"{WP}post_type") == "page"
    assert text(about, f"{WP}post_parent") == "0"
    assert text(about, f"{WP}menu_order") == "1"
    assert text(team, f"{WP}post_type") == "page"
    assert text(team, f"{WP}post_parent") == str(site.about.pk)
    assert text(team, f"{WP}menu_order") == "2"
    assert text(team, "link") == f"{SITE_URL}/{site.about.slug}/{site.team.slug}/"


def test_every_response_with_its_thread_state_and_kind(site: Site) -> None:
    data, report = export()
    channel = channel_of(data)
    comments = comments_by_id(channel)
    assert set(comments) == {response.pk for response in Response.objects.all()}
    assert report.response_total == len(site.responses)
    assert report.responses == {"comment": 10, "pingback": 1, "like": 1, "mention": 1}
    assert report.statuses == {"visible": 9, "pending": 2, "spam": 1, "removed": 1}
    # Each response sits in the item of its own post.
    items = items_by_id(channel)
    for response in site.responses:
        inside = {
            int(text(c, f"{WP}comment_id"))
            for c in items[response.post_id].iter(f"{WP}comment")
        }
        assert response.pk in inside

    expected_state = {
        site.first.pk: ("1", "comment", "comment"),
        site.reply.pk: ("1", "comment", "comment"),
        site.held.pk: ("0", "comment", "comment"),
        site.waiting.pk: ("0", "comment", "comment"),
        site.spam.pk: ("spam", "comment", "comment"),
        site.removed.pk: ("trash", "comment", "comment"),
        site.pingback.pk: ("1", "pingback", "pingback"),
        site.like.pk: ("1", "webmention", "like"),
        site.mention.pk: ("1", "webmention", "mention"),
    }
    for pk, (approved, wp_type, kind) in expected_state.items():
        comment = comments[pk]
        assert text(comment, f"{WP}comment_approved") == approved, pk
        assert text(comment, f"{WP}comment_type") == wp_type, pk
        assert meta(comment, "commentmeta")[names.META_KIND] == kind, pk

    first = comments[site.first.pk]
    assert text(first, f"{WP}comment_parent") == "0"
    assert text(first, f"{WP}comment_author") == "Bob Reader"
    assert text(first, f"{WP}comment_author_email") == "bob@example.org"
    assert text(first, f"{WP}comment_user_id") == "0"
    assert text(first, f"{WP}comment_content") == site.first.body_html
    assert "<em>frames</em>" in site.first.body_html
    assert text(first, f"{WP}comment_date_gmt") == gmt(site.first.created_at)
    assert text(first, f"{WP}comment_date") == local(site.first.created_at)

    reply = comments[site.reply.pk]
    assert text(reply, f"{WP}comment_parent") == str(site.first.pk)
    assert text(reply, f"{WP}comment_author_url") == "https://cleo.example.net"
    assert meta(reply, "commentmeta") == {
        names.META_KIND: "comment",
        names.META_NUMBER: str(site.reply.number),
        names.META_FORMAT: "markdown",
        names.META_BODY: "A reply to the first.",
        names.META_UID: str(site.reply.uid),
        names.META_AUTHOR_TITLE: "Framer, Vance & Daughters",
    }

    waiting = meta(comments[site.waiting.pk], "commentmeta")
    assert site.waiting.number is None
    assert names.META_NUMBER not in waiting
    edited = meta(comments[site.edited.pk], "commentmeta")
    assert site.edited.edited_at is not None
    assert edited[names.META_EDITED_AT] == site.edited.edited_at.isoformat()
    assert edited[names.META_BODY] == "First draft of a comment."

    pingback = comments[site.pingback.pk]
    # WordPress links a pingback's name to the page that linked.
    assert text(pingback, f"{WP}comment_author_url") == (
        "https://notes.example.org/2026/07/prices"
    )
    assert text(comments[site.like.pk], f"{WP}comment_author_url") == (
        "https://theo.example"
    )
    assert text(pingback, f"{WP}comment_content") == (
        "[…] Ada asks whether prices belong online […]"
    )
    assert meta(pingback, "commentmeta")[names.META_SOURCE_URL] == (
        "https://notes.example.org/2026/07/prices"
    )
    assert meta(pingback, "commentmeta")[names.META_SOURCE_TITLE] == "Notes on prices"
    like = meta(comments[site.like.pk], "commentmeta")
    assert like[names.META_AUTHOR_PHOTO] == "https://theo.example/photo.jpg"
    assert like[names.META_BODY] == ""
    assert text(comments[site.like.pk], f"{WP}comment_content") == (
        "Liked this at https://theo.example/likes/1"
    )
    # A plain excerpt is text: WordPress shows comment content as HTML.
    assert text(comments[site.mention.pk], f"{WP}comment_content") == (
        "Mira wrote about &lt;this&gt; &amp; that."
    )


def test_responses_come_in_thread_order_so_parents_come_first(site: Site) -> None:
    item = items_by_id(channel_of(export()[0]))[site.post.pk]
    order = [int(text(c, f"{WP}comment_id")) for c in item.iter(f"{WP}comment")]
    numbered = Response.objects.filter(post=site.post, number__isnull=False)
    assert order[: numbered.count()] == [r.pk for r in numbered.order_by("number")]
    assert order[-1] == site.waiting.pk  # never numbered: last
    assert order.index(site.first.pk) < order.index(site.reply.pk)


# --- Text that must survive -------------------------------------------------------


def test_hostile_text_cannot_break_out_and_comes_back_exactly(site: Site) -> None:
    title = "]]></title><wp:status>publish</wp:status><![CDATA[ 🎉 שלום"
    draft = Post.objects.get(pk=site.draft.pk)
    draft.title = title
    publishing.save_post(draft)
    channel = channel_of(export()[0])
    item = items_by_id(channel)[site.draft.pk]
    # WordPress shows titles as HTML: the text is written escaped.
    assert text(item, "title") == html.escape(title, quote=False)
    assert html.unescape(text(item, "title")) == title
    assert [s.text for s in item.findall(f"{WP}status")] == ["draft"]

    comment = comments_by_id(channel)[site.hostile.pk]
    stored = Response.objects.get(pk=site.hostile.pk)
    assert stored.body == HOSTILE
    assert meta(comment, "commentmeta")[names.META_BODY] == HOSTILE
    assert html.unescape(text(comment, f"{WP}comment_author")) == stored.author_name
    assert "<" not in text(comment, f"{WP}comment_author")
    assert text(comment, f"{WP}comment_content") == stored.body_html
    assert [a.text for a in comment.findall(f"{WP}comment_approved")] == ["1"]
    assert len(list(channel.iter(f"{WP}comment"))) == len(site.responses)
    assert "<script>" not in stored.body_html


def test_php_serialized_text_is_written_so_wordpress_reads_a_string(
    site: Site,
) -> None:
    channel = channel_of(export()[0])
    entries = comments_by_id(channel)[site.serialized.pk].findall(f"{WP}commentmeta")
    raw = {
        text(entry, f"{WP}meta_key"): text(entry, f"{WP}meta_value")
        for entry in entries
    }
    assert raw[names.META_BODY] == f's:{len(SERIALIZED)}:"{SERIALIZED}";'
    assert unwrap(raw[names.META_BODY]) == SERIALIZED
    assert raw[names.META_KIND] == "comment"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("Plain words", "Plain words"),
        ("", ""),
        ("N;", 's:2:"N;";'),
        ("b:1;", 's:4:"b:1;";'),
        ('  a:1:{i:0;s:1:"x";}\n', 's:21:"  a:1:{i:0;s:1:"x";}\n";'),
        ('s:1:"é";', 's:9:"s:1:"é";";'),
        ("é:x;", "é:x;"),  # not ASCII: no PHP type letter
        ("see: this;", "see: this;"),
    ],
)
def test_meta_values_php_would_unserialize_are_wrapped(
    value: str, written: str
) -> None:
    assert meta_value(value) == written
    assert unwrap(written) == value


@pytest.mark.parametrize(
    "value",
    ["", "]]>", "a]]>b]]>c", "]]]]>>", "x]]", "<![CDATA[", "🎉\x85\u202e"],
)
def test_cdata_keeps_any_text_whole(value: str) -> None:
    element = fromstring(f"<v>{cdata(value)}</v>".encode())
    assert (element.text or "") == value


def test_cdata_drops_what_xml_cannot_hold_as_the_site_does_on_input() -> None:
    forbidden = "a\x00b\x0bc\ufffe"
    element = fromstring(f"<v>{cdata(forbidden)}</v>".encode())
    assert element.text == "abc" == clean_text(forbidden)


def test_naughty_strings_survive_exactly(
    site: Site, comment_on: Callable[..., Response]
) -> None:
    naughty = [
        line
        for line in shared_file("blns/blns.txt").read_text(encoding="utf-8").split("\n")
        if line and not line.startswith("#")
    ]
    post = Post.objects.get(pk=site.post.pk)  # with its response counters
    post.title = " ".join(naughty[:40])[:300]
    publishing.save_post(post)
    stored: list[Response] = []
    for n, line in enumerate(naughty):
        with contextlib.suppress(intake.Rejected):  # blank names and bodies
            stored.append(
                comment_on(
                    site.post,
                    author_name=line[:100],
                    author_title=line[:100],
                    author_email=f"n{n}@example.org",
                    body=line,
                    ip_address=f"192.0.2.{n % 250}",
                )
            )
    assert len(stored) > 450
    channel = channel_of(export()[0])
    item = items_by_id(channel)[site.post.pk]
    title = Post.everything.get(pk=site.post.pk).title
    assert text(item, "title") == html.escape(title, quote=False)
    comments = comments_by_id(channel)
    for response in Response.objects.filter(pk__in=[r.pk for r in stored]):
        comment = comments[response.pk]
        values = meta(comment, "commentmeta")
        assert values[names.META_BODY] == response.body, response.body
        assert text(comment, f"{WP}comment_author") == html.escape(
            response.author_name, quote=False
        )
        assert text(comment, f"{WP}comment_content") == response.body_html
        if response.author_title:
            assert values[names.META_AUTHOR_TITLE] == response.author_title


# --- Like WordPress ---------------------------------------------------------------


def element_names(parent: ET.Element) -> list[str]:
    """Child element names in order, repeats of the same name counted once."""
    seen: list[str] = []
    for child in parent:
        if not seen or seen[-1] != child.tag:
            seen.append(child.tag)
    return seen


def test_an_item_has_wordpress_elements_in_wordpress_order(site: Site) -> None:
    """WordPress's importer reads elements by name; its exporter writes them in
    one order. Compare with a real export of each kind."""
    ours = channel_of(export()[0])
    fixture = shared_file("wxr-wordpress-importer/e2e-fixtures/wxr-comprehensive.xml")
    theirs = channel_of(fixture.read_bytes())
    blocks = shared_file("wxr-theme-test-data/64-block-test-data.xml")
    wordpress_6_4 = channel_of(blocks.read_bytes())

    their_item = next(theirs.iter("item"))
    our_item = items_by_id(ours)[site.post.pk]
    in_both = [n for n in element_names(our_item) if n in element_names(their_item)]
    # Categories are post tags only here (WordPress writes categories first).
    assert in_both == element_names(their_item)
    # What we write beyond that fixture (post_modified) is what WordPress 6.4 writes.
    known = {child.tag for item in wordpress_6_4.iter("item") for child in item}
    assert set(element_names(our_item)) <= known

    their_comment = next(theirs.iter(f"{WP}comment"))
    our_comment = comments_by_id(ours)[site.reply.pk]
    assert element_names(our_comment) == element_names(their_comment)
    their_author = next(theirs.iter(f"{WP}author"))
    our_author = next(ours.iter(f"{WP}author"))
    assert element_names(our_author) == element_names(their_author)
    their_tag = next(theirs.iter(f"{WP}tag"))
    our_tag = next(ours.iter(f"{WP}tag"))
    assert element_names(our_tag) == element_names(their_tag)[:3]
    header = [n for n in element_names(ours) if n not in {f"{WP}author", f"{WP}tag"}]
    assert header[:8] == element_names(theirs)[:8]


# --- Streaming --------------------------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_site(
    ada: Author, make_post: Callable[..., Post], comment_on: Callable[..., Response]
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export()
        return len(captured.captured_queries)

    for _ in range(2):
        comment_on(make_post(), body=f"On post {Post.objects.count()}.")
    small = queries()
    for _ in range(6):
        post = make_post()
        comment_on(post, body=f"On post {post.pk}.")
        publishing.tag_named(f"Tag {post.pk}")
    assert queries() == small


def test_progress_is_told_after_each_post(site: Site) -> None:
    seen: list[tuple[int, int]] = []
    export(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 6) for n in range(1, 7)]


def test_an_empty_site_is_still_a_wordpress_export(db: None) -> None:
    data, report = export()
    channel = channel_of(data)
    assert text(channel, f"{WP}wxr_version") == "1.2"
    assert list(channel.iter("item")) == []
    assert report == ExportReport(bytes=len(data))


# --- The command ------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_command_writes_the_file_and_says_what_is_in_it(
    site: Site, tmp_path: Path, settings: Settings
) -> None:
    settings.FIRSTHAND_SITE_URL = SITE_URL
    target = tmp_path / "site.xml"
    out, err = io.StringIO(), Terminal()
    call_command("export_wxr", "-o", str(target), stdout=out, stderr=err)
    data = target.read_bytes()
    assert text(channel_of(data), "link") == SITE_URL
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left
    assert target.stat().st_mode & 0o077 == 0  # emails and IP addresses inside
    summary = out.getvalue()
    assert "Exported 4 post(s), 2 page(s), 13 response(s)" in summary
    assert "(10 comment, 1 like, 1 mention, 1 pingback)" in summary
    assert "2 author(s) and 3 tag(s)" in summary
    assert f"{len(data):,} bytes" in summary
    assert "Exporting 6 of 6 posts and pages…" in err.getvalue()


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    site: Site, tmp_path: Path
) -> None:
    err = io.StringIO()
    call_command(
        "export_wxr",
        "-o",
        str(tmp_path / "site.xml"),
        "--site-url",
        SITE_URL,
        stdout=io.StringIO(),
        stderr=err,
    )
    assert err.getvalue() == ""


def test_the_command_writes_to_the_standard_output(site: Site) -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    err = io.StringIO()
    call_command(
        "export_wxr",
        "-o",
        "-",
        "--site-url",
        "https://other.example.org/",
        stdout=out,
        stderr=err,
    )
    channel = channel_of(raw.getvalue())
    assert text(channel, "link") == "https://other.example.org"
    assert "to the standard output" in err.getvalue()


def test_a_failed_export_leaves_no_file_and_the_old_one_as_it_was(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "site.xml"
    target.write_text("yesterday's export")

    def broken(out: io.BufferedWriter, **kwargs: Any) -> ExportReport:
        out.write(b"<?xml version='1.0'?><rss><channel><item>")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(command, "export_wxr", broken)
    with pytest.raises(OSError, match="No space left"):
        call_command("export_wxr", "-o", str(target), "--site-url", SITE_URL)
    assert target.read_text() == "yesterday's export"
    assert list(tmp_path.iterdir()) == [target]


def test_errors_say_how_to_fix_them(
    db: None, tmp_path: Path, settings: Settings
) -> None:
    settings.FIRSTHAND_SITE_URL = ""
    with pytest.raises(CommandError, match="Set FIRSTHAND_SITE_URL=https://"):
        call_command("export_wxr", "-o", str(tmp_path / "site.xml"))
    with pytest.raises(CommandError, match="with http:// or https://"):
        call_command(
            "export_wxr", "-o", str(tmp_path / "a.xml"), "--site-url", "blog.example"
        )
    with pytest.raises(CommandError, match="does not exist: create it"):
        call_command(
            "export_wxr",
            "-o",
            str(tmp_path / "nowhere" / "a.xml"),
            "--site-url",
            SITE_URL,
        )
    with pytest.raises(CommandError, match="is a folder"):
        call_command("export_wxr", "-o", str(tmp_path), "--site-url", SITE_URL)
    assert list(tmp_path.iterdir()) == []


def test_help_says_what_is_in_the_file_and_how_to_import_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["firsthand", "export-wxr", "--help"])
    shown = capsys.readouterr().out
    assert "Tools -> Import -> WordPress" in shown
    assert "every response" in shown
    assert "--site-url URL" in shown
    assert "firsthand export-wxr -o site.xml" in shown
