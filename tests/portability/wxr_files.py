"""Small WordPress exports written by the tests, and the shared real ones."""

from __future__ import annotations

from pathlib import Path

from tests.testdata import shared_file

THEME = "wxr-theme-test-data/themeunittestdata.wordpress.xml"
BLOCKS = "wxr-theme-test-data/64-block-test-data.xml"
IMPORTER = "wxr-wordpress-importer/phpunit-data/"

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
  xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Notes from the bench</title>
  <link>https://bench.example.org</link>
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:base_site_url>https://bench.example.org</wp:base_site_url>
  <wp:author>
    <wp:author_id>1</wp:author_id>
    <wp:author_login><![CDATA[mina]]></wp:author_login>
    <wp:author_email><![CDATA[mina@example.org]]></wp:author_email>
    <wp:author_display_name><![CDATA[Mina Okafor]]></wp:author_display_name>
  </wp:author>
"""
FOOTER = "</channel>\n</rss>\n"


def comment(
    wp_id: int,
    text: str,
    *,
    parent: int = 0,
    approved: str = "1",
    kind: str = "",
    author: str = "Theo Brandt",
    email: str = "theo@example.net",
    url: str = "",
    date: str = "2009-07-28 10:00:00",
) -> str:
    return f"""<wp:comment>
  <wp:comment_id>{wp_id}</wp:comment_id>
  <wp:comment_author><![CDATA[{author}]]></wp:comment_author>
  <wp:comment_author_email><![CDATA[{email}]]></wp:comment_author_email>
  <wp:comment_author_url>{url}</wp:comment_author_url>
  <wp:comment_author_IP><![CDATA[192.0.2.7]]></wp:comment_author_IP>
  <wp:comment_date><![CDATA[{date}]]></wp:comment_date>
  <wp:comment_date_gmt><![CDATA[{date}]]></wp:comment_date_gmt>
  <wp:comment_content><![CDATA[{text}]]></wp:comment_content>
  <wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>
  <wp:comment_type><![CDATA[{kind}]]></wp:comment_type>
  <wp:comment_parent>{parent}</wp:comment_parent>
  <wp:comment_user_id>0</wp:comment_user_id>
</wp:comment>
"""


def item(
    wp_id: int,
    title: str,
    *,
    body: str = "One paragraph.\n\nAnother one.",
    comments: str = "",
    status: str = "publish",
    post_type: str = "post",
    slug: str = "",
    date: str = "2009-07-28 09:00:00",
    categories: str = "",
) -> str:
    return f"""<item>
  <title>{title}</title>
  <link>https://bench.example.org/?p={wp_id}</link>
  <dc:creator><![CDATA[mina]]></dc:creator>
  <guid isPermaLink="false">https://bench.example.org/?p={wp_id}</guid>
  <content:encoded><![CDATA[{body}]]></content:encoded>
  <excerpt:encoded><![CDATA[]]></excerpt:encoded>
  <wp:post_id>{wp_id}</wp:post_id>
  <wp:post_date><![CDATA[{date}]]></wp:post_date>
  <wp:post_date_gmt><![CDATA[{date}]]></wp:post_date_gmt>
  <wp:comment_status><![CDATA[open]]></wp:comment_status>
  <wp:ping_status><![CDATA[open]]></wp:ping_status>
  <wp:post_name><![CDATA[{slug or f"post-{wp_id}"}]]></wp:post_name>
  <wp:status><![CDATA[{status}]]></wp:status>
  <wp:post_parent>0</wp:post_parent>
  <wp:menu_order>0</wp:menu_order>
  <wp:post_type><![CDATA[{post_type}]]></wp:post_type>
  <wp:post_password><![CDATA[]]></wp:post_password>
  {categories}
  {comments}
</item>
"""


def write(folder: Path, name: str, *items: str, header: str = HEADER) -> Path:
    path = folder / name
    path.write_text(header + "".join(items) + FOOTER, encoding="utf-8")
    return path


def shared(relative: str) -> Path:
    return shared_file(relative)
