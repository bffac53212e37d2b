"""The import benchmark's generator (bench/wxr_generate.py) on a tiny file: valid
WXR 1.2 with exactly the asked counts, threading only to earlier comments of the
same post, fictional addresses, and a summary that says what the file holds."""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring, parse

BENCH = Path(__file__).resolve().parents[2] / "bench"
WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
POSTS, PAGES, COMMENTS = 20, 3, 200
DOCUMENTATION_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
FICTIONAL_DOMAINS = ("example.com", "example.org", "example.net")


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return load("wxr_generate")


@pytest.fixture(scope="module")
def export(
    generator: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("wxr") / "tiny.xml"
    summary = generator.generate(path, posts=POSTS, comments=COMMENTS, pages=PAGES)
    return path, summary


@pytest.fixture(scope="module")
def channel(export: tuple[Path, dict[str, Any]]) -> Element:
    root = parse(export[0]).getroot()
    assert root is not None
    assert root.tag == "rss"
    found = root.find("channel")
    assert found is not None
    return found


def text(element: Element, name: str) -> str:
    found = element.find(name)
    assert found is not None, name
    return found.text or ""


def items(channel: Element) -> list[Element]:
    return channel.findall("item")


def comments(item: Element) -> list[Element]:
    return item.findall(f"{WP}comment")


def test_the_file_is_wxr_1_2_with_exactly_the_asked_counts(channel: Element) -> None:
    assert text(channel, f"{WP}wxr_version") == "1.2"
    kinds = Counter(text(item, f"{WP}post_type") for item in items(channel))
    assert kinds == {"post": POSTS, "page": PAGES}
    assert sum(len(comments(item)) for item in items(channel)) == COMMENTS
    assert len(channel.findall(f"{WP}author")) == 4
    assert len(channel.findall(f"{WP}category")) == 51
    assert len(channel.findall(f"{WP}tag")) == 200


def test_replies_point_only_at_earlier_approved_comments_of_the_same_post(
    channel: Element,
) -> None:
    every_id: set[str] = set()
    replies = 0
    for item in items(channel):
        depth: dict[str, int] = {}  # this post's answerable comments so far
        for comment in comments(item):
            comment_id = text(comment, f"{WP}comment_id")
            assert comment_id not in every_id
            every_id.add(comment_id)
            parent = text(comment, f"{WP}comment_parent")
            level = 1
            if parent != "0":
                replies += 1
                assert parent in depth, f"comment {comment_id} answers {parent}"
                assert text(comment, f"{WP}comment_type") == ""
                level = depth[parent] + 1
                assert level <= 8
            answerable = text(comment, f"{WP}comment_approved") == "1"
            if answerable and text(comment, f"{WP}comment_type") == "":
                depth[comment_id] = level
    assert COMMENTS * 0.2 < replies < COMMENTS * 0.4


def test_the_summary_beside_the_file_says_what_it_holds(
    generator: ModuleType, export: tuple[Path, dict[str, Any]], channel: Element
) -> None:
    path, returned = export
    summary = json.loads(generator.summary_path(path).read_text())
    assert generator.summary_path(path) == path.with_name("tiny.summary.json")
    assert summary == returned
    assert summary["bytes"] == path.stat().st_size
    statuses: dict[str, Counter[str]] = {"post": Counter(), "page": Counter()}
    by_type: Counter[str] = Counter()
    by_approved: Counter[str] = Counter()
    password_protected = with_parent = replies = 0
    for item in items(channel):
        kind = text(item, f"{WP}post_type")
        statuses[kind][text(item, f"{WP}status")] += 1
        password_protected += text(item, f"{WP}post_password") != ""
        with_parent += text(item, f"{WP}post_parent") != "0"
        for comment in comments(item):
            by_type[text(comment, f"{WP}comment_type") or "comment"] += 1
            by_approved[text(comment, f"{WP}comment_approved")] += 1
            replies += text(comment, f"{WP}comment_parent") != "0"
    assert summary["posts"] == {
        "total": POSTS,
        "by_status": dict(statuses["post"]),
        "password_protected": password_protected,
    }
    assert summary["pages"] == {
        "total": PAGES,
        "by_status": dict(statuses["page"]),
        "with_parent": with_parent,
    }
    assert summary["comments"]["total"] == COMMENTS
    assert summary["comments"]["by_type"] == dict(by_type)
    assert summary["comments"]["by_approved"] == dict(by_approved)
    assert summary["comments"]["replies"] == replies
    assert set(by_approved) <= {"1", "0", "spam", "trash"}


def test_dates_increase_through_the_file(channel: Element) -> None:
    previous = datetime.datetime.min
    for item in items(channel):
        local = datetime.datetime.fromisoformat(text(item, f"{WP}post_date"))
        assert local > previous
        previous = local
        moment = local
        for comment in comments(item):
            at = datetime.datetime.fromisoformat(text(comment, f"{WP}comment_date"))
            assert at >= moment
            moment = at


def test_names_addresses_and_links_are_fictional(channel: Element) -> None:
    for item in items(channel):
        for comment in comments(item):
            email = text(comment, f"{WP}comment_author_email")
            assert email == "" or email.endswith(FICTIONAL_DOMAINS), email
            url = text(comment, f"{WP}comment_author_url")
            host = urlsplit(url).hostname or ""
            assert url == "" or host.endswith(FICTIONAL_DOMAINS), url
            ip = text(comment, f"{WP}comment_author_IP")
            if ip:
                address = ipaddress.ip_address(ip)
                assert any(
                    address in network
                    for network in DOCUMENTATION_NETWORKS
                    if network.version == address.version
                ), ip
            if text(comment, f"{WP}comment_type") in {"pingback", "trackback"}:
                assert url.startswith("https://")


def test_bodies_are_long_html_with_blank_line_paragraphs(channel: Element) -> None:
    posts = [i for i in items(channel) if text(i, f"{WP}post_type") == "post"]
    for item in posts:
        body = text(item, f"{CONTENT}encoded")
        assert 300 <= len(body.split()) <= 4000
        assert "\n\n" in body


def test_the_same_seed_gives_the_same_file(
    generator: ModuleType, tmp_path: Path
) -> None:
    paths = [tmp_path / "a.xml", tmp_path / "b.xml", tmp_path / "c.xml"]
    for path, seed in zip(paths, (7, 7, 8), strict=True):
        generator.generate(path, posts=5, comments=30, pages=1, seed=seed)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()
    assert not list(tmp_path.glob("*.part"))


def test_cdata_keeps_a_literal_end_marker(generator: ModuleType) -> None:
    wrapped = generator.cdata("if (grid[row[0]]>limit) { x = ']]>'; }")
    parsed = fromstring(f"<p>{wrapped}</p>")
    assert parsed.text == "if (grid[row[0]]>limit) { x = ']]>'; }"


def test_allocate_shares_out_exactly(generator: ModuleType) -> None:
    first, second, third = generator.allocate(10, [1.0, 1.0, 2.0])
    assert sorted([first, second]) == [2, 3]
    assert third == 5
    counts = generator.allocate(1000, [0.0, 1.0, 3.0, 6.0])
    assert counts == [0, 100, 300, 600]
    assert sum(generator.allocate(7, [0.3, 0.3, 0.3])) == 7
