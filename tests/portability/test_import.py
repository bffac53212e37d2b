"""Importing WordPress exports: the real files of the shared test data, and small
ones written here for what the real ones do not show."""

from __future__ import annotations

import collections
import datetime
import io
from pathlib import Path

import pytest
from defusedxml.ElementTree import parse as parse_xml
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from firsthand.blog.models import Author, Post, Tag
from firsthand.conversation.models import Response
from firsthand.portability.importer import ImportFailed, import_wxr
from tests.oracle import active_content
from tests.portability.wxr_files import (
    BLOCKS,
    IMPORTER,
    THEME,
    comment,
    item,
    shared,
    write,
)

pytestmark = pytest.mark.django_db

WP = "{https://wordpress.org/export/1.2/}"


def snapshot() -> dict[str, object]:
    """Everything an import writes, to compare before and after."""
    return {
        "posts": sorted(
            Post.everything.values_list(
                "import_key", "title", "slug", "status", "kind", "response_count"
            )
        ),
        "responses": sorted(
            Response.objects.values_list("import_key", "number", "status", "path")
        ),
        "tags": sorted(Tag.objects.values_list("name", flat=True)),
        "authors": sorted(Author.objects.values_list("display_name", flat=True)),
    }


def depth_of(response: Response) -> int:
    """How many responses up the parent links go (0 for a top-level one)."""
    depth, above = 0, response.parent
    while above is not None:
        depth, above = depth + 1, above.parent
    return depth


def file_comments(path: Path) -> dict[int, dict[str, str]]:
    """Every comment of a real export, read independently with ElementTree."""
    found: dict[int, dict[str, str]] = {}
    root = parse_xml(path).getroot()
    assert root is not None
    for element in root.iter(f"{WP}comment"):
        fields = {child.tag.removeprefix(WP): child.text or "" for child in element}
        found[int(fields["comment_id"])] = fields
    return found


# --- The Theme Unit Test export ------------------------------------------------------


@pytest.fixture
def theme() -> Path:
    return shared(THEME)


def test_the_theme_unit_test_export_comes_in_whole(theme: Path) -> None:
    report = import_wxr(theme)
    assert report.counts["posts"] + report.counts["pages"] == 58 + 21 - 0
    assert Post.objects.count() == 58
    assert Post.everything.filter(kind=Post.Kind.PAGE).count() == 21
    kinds = collections.Counter(Response.objects.values_list("kind", flat=True))
    assert kinds == {"comment": 29, "pingback": 2, "trackback": 2}
    statuses = collections.Counter(Response.objects.values_list("status", flat=True))
    assert statuses == {"visible": 30, "pending": 3}
    # Skipped, each with its reason: 37 attachments and 70 menu entries.
    reasons = collections.Counter(s.reason.split(":")[0] for s in report.skipped)
    assert reasons["attachment"] == 37
    assert sum(1 for s in report.skipped if "nav_menu_item" in s.reason) == 70
    # Authors: two declared, a third only named by dc:creator; each keeps its old
    # login, so WordPress's /author/<login>/ addresses still lead to it.
    assert Author.objects.count() == 3
    logins = {a.legacy_login for a in Author.objects.select_related("user")}
    assert logins == set(Author.objects.values_list("user__username", flat=True))
    assert "" not in logins


def test_threads_dates_and_states_are_those_of_the_file(theme: Path) -> None:
    import_wxr(theme)
    in_file = file_comments(theme)
    stored = {
        int(r.import_key.rpartition("-")[2]): r
        for r in Response.objects.select_related("parent", "post")
        if r.import_key
    }
    assert set(stored) == set(in_file)
    threaded = 0
    for wp_id, fields in in_file.items():
        response = stored[wp_id]
        parent = int(fields["comment_parent"] or 0)
        if parent:
            threaded += 1
            assert response.parent is not None
            assert response.parent.import_key
            assert response.parent.import_key.endswith(f"-{parent}")
        else:
            assert response.parent is None
        when = datetime.datetime.fromisoformat(fields["comment_date_gmt"])
        assert response.created_at == when.replace(tzinfo=datetime.UTC)
        expected = "visible" if fields["comment_approved"] == "1" else "pending"
        assert response.status == expected
    assert threaded == 10

    def file_depth(wp_id: int) -> int:
        parent = int(in_file[wp_id]["comment_parent"] or 0)
        return 0 if not parent else 1 + file_depth(parent)

    deepest = max(depth_of(r) for r in stored.values())
    assert deepest == max(file_depth(n) for n in in_file)
    assert deepest >= 8  # "Template: Comments" nests nine levels and more
    # Visible ones are numbered 1..n per post, held ones not at all.
    for post in Post.everything.filter(response_count__gt=0):
        numbers = sorted(
            n
            for n in post.responses.filter(status="visible").values_list(
                "number", flat=True
            )
            if n is not None
        )
        assert numbers == list(range(1, len(numbers) + 1))
        assert post.response_count == len(numbers)
    assert not Response.objects.filter(status="pending", number__isnull=False)


def test_pingbacks_and_trackbacks_keep_their_source_and_plain_names(
    theme: Path,
) -> None:
    import_wxr(theme)
    for ping in Response.objects.filter(kind__in=["pingback", "trackback"]):
        assert ping.source_url.startswith("http")
        assert "&laquo;" not in ping.author_name
        assert "&#8217;" not in ping.author_name
        assert "<" not in ping.body
        assert ping.body_html == ""


def test_posts_keep_their_status_dates_and_render_safely(
    theme: Path, client: Client
) -> None:
    import_wxr(theme)
    scheduled = Post.objects.get(
        import_key__isnull=False, title__startswith="Scheduled"
    )
    assert scheduled.published_at is not None
    assert scheduled.published_at > timezone.now()
    assert not scheduled.is_public
    assert Post.objects.get(title="Draft").status == Post.Status.DRAFT
    protected = Post.objects.get(title__startswith="Template: Password Protected")
    assert protected.status == Post.Status.DRAFT
    # HTML in a title becomes its text; entities their characters.
    assert Post.objects.filter(title="Markup: Title With Markup").exists()
    special = Post.objects.get(title__startswith="Markup: Title With Special")
    assert special.title.endswith("~`!@#$%^&*()-_=+{}[]/\\;:'\"?,.>")
    for post in Post.everything.all():
        assert "<!-- wp:" not in post.body_html
        assert "[caption" not in post.body_html
        assert active_content(post.body_html) == [], post.title
    public = Post.objects.published().exclude(response_count=0).first()
    assert public is not None
    page = client.get(public.get_absolute_url())
    assert page.status_code == 200
    assert active_content(page.content.decode()) == []


def test_categories_become_tags(theme: Path) -> None:
    report = import_wxr(theme)
    assert report.counts["categories read"] >= 68
    post = Post.objects.get(title="Edge Case: Many Categories")
    assert post.tags.count() > 30
    assert Tag.objects.filter(name="Uncategorized").exists()


def test_the_same_file_twice_changes_nothing(theme: Path) -> None:
    import_wxr(theme)
    before = snapshot()
    again = import_wxr(theme)
    assert snapshot() == before
    assert again.counts["posts already here"] == 79
    assert again.counts["responses already here"] == 33
    assert again.counts["posts"] == again.counts["pages"] == 0


def test_a_dry_run_reports_the_same_and_writes_nothing(theme: Path) -> None:
    dry = import_wxr(theme, dry_run=True)
    assert Post.everything.count() == 0
    assert Response.objects.count() == 0
    assert user_count() == 0
    real = import_wxr(theme)
    assert dry.counts == real.counts
    assert dry.lines()[0].startswith("Dry run: nothing was written")


def user_count() -> int:
    return User.objects.count()


def test_block_editor_content_and_http_namespace(client: Client) -> None:
    report = import_wxr(shared(BLOCKS))
    assert report.counts["posts"] == 61
    assert report.counts["pages"] == 1
    assert Response.objects.count() == 2
    assert Response.objects.filter(parent__isnull=False).count() == 1
    for post in Post.everything.all():
        assert "<!--" not in post.body_html
        assert active_content(post.body_html) == []


@pytest.mark.parametrize(
    ("name", "posts", "pages", "responses"),
    [
        ("valid-wxr-1.0.xml", 3, 3, 1),
        ("valid-wxr-1.1.xml", 1, 1, 1),
        ("small-export.xml", 6, 5, 1),
        ("wxr-utf-8-challenges.xml", 1, 0, 0),
        ("crazy-cdata-escaped.xml", 1, 0, 0),
    ],
)
def test_every_wxr_version_and_namespace(
    name: str, posts: int, pages: int, responses: int
) -> None:
    report = import_wxr(shared(IMPORTER + name))
    assert report.counts["posts"] == posts
    assert report.counts["pages"] == pages
    assert Response.objects.count() == responses


def test_nested_cdata_comes_back_whole() -> None:
    import_wxr(shared(IMPORTER + "crazy-cdata-escaped.xml"))
    post = Post.objects.get()
    assert "Content with nested <![CDATA[ tags ]]> :)" in post.body


def test_multibyte_text_survives() -> None:
    import_wxr(shared(IMPORTER + "wxr-utf-8-challenges.xml"))
    post = Post.objects.get()
    in_file = parse_xml(shared(IMPORTER + "wxr-utf-8-challenges.xml")).getroot()
    assert in_file is not None
    content = in_file.find(".//{http://purl.org/rss/1.0/modules/content/}encoded")
    assert content is not None
    assert post.body == content.text


# --- Broken and hostile files: the line and the reason, and nothing written ----------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("crazy-cdata.xml", "the XML is broken"),
        ("malformed-simple.xml", "the XML is broken"),
        ("malformed.xml", "wxr_version"),
        ("missing-version-tag.xml", "<wp:wxr_version> is missing"),
        ("invalid-version-tag.xml", "is 'abc', not 1.0, 1.1 or 1.2"),
    ],
)
def test_a_broken_file_stops_with_the_line_and_writes_nothing(
    name: str, words: str
) -> None:
    with pytest.raises(ImportFailed, match=words) as failure:
        import_wxr(shared(IMPORTER + name))
    assert failure.value.line is not None
    assert failure.value.line > 0
    assert Post.everything.count() == 0
    assert Response.objects.count() == 0


def test_a_file_cut_halfway_writes_nothing_of_what_came_before(
    theme: Path, tmp_path: Path
) -> None:
    data = theme.read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(ImportFailed, match="the XML is broken") as failure:
        import_wxr(cut)
    assert failure.value.line is not None
    assert failure.value.line > 1000  # far into the file, after many posts were read
    assert Post.everything.count() == 0
    assert Response.objects.count() == 0
    assert Tag.objects.count() == 0
    assert Author.objects.count() == 0


BOMB = """<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<rss><channel><title>&c;</title></channel></rss>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<rss><channel><title>&secret;</title></channel></rss>
"""
PARAMETER = """<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">
<rss><channel><title>x</title></channel></rss>
"""


@pytest.mark.parametrize("text", [BOMB, EXTERNAL, PARAMETER])
def test_entity_bombs_and_external_entities_are_refused(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed, match="refused") as failure:
        import_wxr(path)
    assert failure.value.line is not None
    assert Post.everything.count() == 0


def test_not_a_wordpress_export(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text("<feed xmlns='http://www.w3.org/2005/Atom'/>", encoding="utf-8")
    with pytest.raises(ImportFailed, match="not <rss>"):
        import_wxr(path)


# --- Small exports: what the real ones do not show ------------------------------------


def test_a_newer_export_adds_only_what_is_new(tmp_path: Path) -> None:
    first = comment(11, "First thoughts.")
    older = write(tmp_path, "old.xml", item(1, "Prices", comments=first))
    import_wxr(older)
    reply = comment(12, "Seconded.", parent=11, date="2009-07-29 10:00:00")
    newer = write(
        tmp_path,
        "new.xml",
        item(1, "Prices", comments=first + reply),
        item(2, "Mondays"),
    )
    report = import_wxr(newer)
    assert report.counts["posts already here"] == 1
    assert report.counts["posts"] == 1
    assert report.counts["responses already here"] == 1
    post = Post.objects.get(title="Prices")
    second = post.responses.get(number=2)
    assert second.body == "Seconded."
    assert second.parent == post.responses.get(number=1)
    assert post.response_count == 2


def test_imports_are_not_rate_limited_and_not_judged_unless_asked(
    tmp_path: Path, settings: Settings
) -> None:
    settings.FIRSTHAND_FLOOD_INTERVAL = 15
    settings.FIRSTHAND_FLOOD_PER_HOUR = 30
    spammy = (
        "Cheap pills https://pills.example/a https://pills.example/b "
        "https://pills.example/c buy now buy now subscribe"
    )
    comments = "".join(
        comment(100 + n, f"Comment number {n} from the same address.")
        for n in range(40)
    ) + comment(200, spammy, author="Pill Seller", email="pills@example.com")
    path = write(tmp_path, "busy.xml", item(1, "Busy", comments=comments))
    import_wxr(path)
    assert Response.objects.filter(status="visible").count() == 41

    judged = write(
        tmp_path,
        "judged.xml",
        item(2, "Judged", comments=comment(300, spammy, email="pills@example.com")),
    )
    import_wxr(judged, judge_spam=True)
    assert Response.objects.get(import_key__endswith="#comment-300").status != "visible"


def test_odd_comments_are_repaired_or_skipped_with_a_reason(tmp_path: Path) -> None:
    comments = (
        comment(1, "No name, bad address.", author="", email="not-an-address")
        + comment(2, "A note from a shop plugin.", kind="order_note")
        + comment(3, "[…] a pingback without a source […]", kind="pingback")
        + comment(4, "Answering a comment that is not in the file.", parent=99)
    )
    path = write(tmp_path, "odd.xml", item(1, "Odd", comments=comments))
    report = import_wxr(path)
    first = Response.objects.get(import_key__endswith="#comment-1")
    assert first.author_name == "Anonymous"
    assert first.author_email == ""
    assert report.notes["an invalid email address was left out"] == 1
    reasons = [s.reason for s in report.skipped]
    assert any("order_note" in r for r in reasons)
    assert any("source" in r.lower() or "address" in r.lower() for r in reasons)
    orphan = Response.objects.get(import_key__endswith="#comment-4")
    assert orphan.parent is None
    assert orphan.status == "visible"


def test_a_reply_to_a_held_comment_keeps_its_parent(tmp_path: Path) -> None:
    comments = comment(1, "Held back.", approved="0") + comment(
        2, "Answering the held one.", parent=1, date="2009-07-28 11:00:00"
    )
    import_wxr(write(tmp_path, "held.xml", item(1, "Held", comments=comments)))
    held = Response.objects.get(import_key__endswith="#comment-1")
    answer = Response.objects.get(import_key__endswith="#comment-2")
    assert held.status == "pending"
    assert held.number is None
    assert answer.parent == held
    assert answer.number == 1
    assert answer.path == "0000001"  # shown at the top level, saying whom it answers


def test_comments_come_in_order_whatever_the_file_order(tmp_path: Path) -> None:
    comments = (
        comment(3, "Third, answering the first.", parent=1, date="2009-07-28 12:00:00")
        + comment(1, "First.", date="2009-07-28 10:00:00")
        + comment(2, "Second.", date="2009-07-28 11:00:00")
    )
    import_wxr(write(tmp_path, "order.xml", item(1, "Order", comments=comments)))
    numbers = dict(Response.objects.values_list("body", "number"))
    assert numbers == {
        "First.": 1,
        "Second.": 2,
        "Third, answering the first.": 3,
    }


# --- The command ---------------------------------------------------------------------


def test_the_command_reports_and_fails_clearly(theme: Path) -> None:
    out = io.StringIO()
    call_command("import_wxr", str(theme), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Dry run: nothing was written" in text
    assert "58 posts" in text
    assert "attachment" in text
    assert Post.everything.count() == 0

    with pytest.raises(CommandError, match=r"line \d+: .*Nothing was imported"):
        call_command("import_wxr", str(shared(IMPORTER + "crazy-cdata.xml")))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_wxr", "/nowhere/export.xml")
