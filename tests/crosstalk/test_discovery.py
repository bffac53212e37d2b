"""Endpoint discovery and the links of a post, as pure functions.

The Webmention cases follow W3C Webmention section 3.1.2 and the 23 discovery tests
of https://webmention.rocks/ (their numbers in the ids); the pingback cases Pingback
1.0 section 2.
"""

from __future__ import annotations

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from firsthand.crosstalk.protocols.discovery import (
    Endpoints,
    discover,
    link_header_targets,
    origin,
    outbound_links,
)

PAGE = "https://bob.example/2026/07/02/frames/"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def endpoints(body: str = "", **headers: str) -> Endpoints:
    names = {name.replace("_", "-"): value for name, value in headers.items()}
    return discover(PAGE, CaseInsensitiveMapping({**HTML, **names}), body)


def webmention(body: str = "", **headers: str) -> str | None:
    return endpoints(body, **headers).webmention


# --- Webmention: HTTP Link headers ----------------------------------------------------


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        # 1, 2: absolute and relative
        ('<https://bob.example/wm>; rel="webmention"', "https://bob.example/wm"),
        (
            '</webmention/endpoint>; rel="webmention"',
            "https://bob.example/webmention/endpoint",
        ),
        # 8: rel not quoted; 7: odd casing of the rel value
        ("<https://bob.example/wm>; rel=webmention", "https://bob.example/wm"),
        ('<https://bob.example/wm>; REL="WebMention"', "https://bob.example/wm"),
        # 10: several rel values
        (
            '<https://bob.example/wm>; rel="somethingelse webmention"',
            "https://bob.example/wm",
        ),
        # 19: several links in one header, the webmention one second
        (
            '<https://bob.example/feed>; rel="alternate", </wm>; rel="webmention"',
            "https://bob.example/wm",
        ),
        # 21: the endpoint's query string is kept as it is
        (
            '<https://bob.example/wm?version=1&x=y>; rel="webmention"',
            "https://bob.example/wm?version=1&x=y",
        ),
        # 22: relative to the page's path
        (
            '<22/webmention>; rel="webmention"',
            "https://bob.example/2026/07/02/frames/22/webmention",
        ),
        # a comma inside the URL does not split the header
        ('<https://bob.example/w,m>; rel="webmention"', "https://bob.example/w,m"),
        # a quoted comma in another parameter does not either
        (
            '<https://bob.example/a>; title="one, two"; rel="next",'
            " <https://bob.example/wm>; rel=webmention",
            "https://bob.example/wm",
        ),
        # 15: an empty target is the page itself
        ('<>; rel="webmention"', PAGE),
        # spaces around everything
        (
            '  < https://bob.example/wm >  ;  rel = "webmention"  ',
            "https://bob.example/wm",
        ),
    ],
)
def test_link_header(link: str, expected: str) -> None:
    assert webmention(Link=link) == expected


@pytest.mark.parametrize(
    "link",
    [
        '<https://bob.example/wm>; rel="not-webmention"',  # 12: the exact value
        '<https://bob.example/wm>; rel="webmentions"',
        '<https://bob.example/wm>; rev="webmention"',
        '<https://bob.example/wm>; title="webmention"',
        "https://bob.example/wm; rel=webmention",  # no <…>: not a link
        '<https://bob.example/wm; rel="webmention"',  # never closed
    ],
)
def test_link_headers_that_name_no_endpoint(link: str) -> None:
    assert webmention(Link=link) is None


def test_multiple_link_headers_arrive_joined_and_the_first_webmention_wins() -> None:
    """18: two Link headers, as fetch gives them (joined with a comma)."""
    joined = (
        '<https://bob.example/first>; rel="webmention",'
        ' <https://bob.example/second>; rel="webmention"'
    )
    assert webmention(Link=joined) == "https://bob.example/first"


def test_the_link_header_comes_before_any_element() -> None:
    """11: header, <link> and <a> all present: the header wins."""
    body = (
        '<link rel="webmention" href="/from-link">'
        '<a rel="webmention" href="/from-a">x</a>'
    )
    assert webmention(body, Link='</from-header>; rel="webmention"') == (
        "https://bob.example/from-header"
    )


def test_link_header_targets_in_order() -> None:
    value = '</a>; rel="webmention", </b>; rel="pingback webmention", </c>; rel=me'
    assert list(link_header_targets(value, "webmention")) == ["/a", "/b"]
    assert list(link_header_targets(value, "ME")) == ["/c"]


# --- Webmention: HTML -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # 3, 4: <link>, absolute and relative
        (
            '<link rel="webmention" href="https://bob.example/wm">',
            "https://bob.example/wm",
        ),
        ('<head><link href="/wm" rel="webmention"/></head>', "https://bob.example/wm"),
        # 5, 6: <a>, absolute and relative
        (
            '<a rel="webmention" href="https://bob.example/wm">endpoint</a>',
            "https://bob.example/wm",
        ),
        (
            "<p><a href='wm' rel='webmention'>endpoint</a></p>",
            "https://bob.example/2026/07/02/frames/wm",
        ),
        # 9: several rel values, any case
        ('<link rel="webmention somethingelse" href="/wm">', "https://bob.example/wm"),
        ('<link rel="Stylesheet WEBMENTION" href="/wm">', "https://bob.example/wm"),
        ('<link rel="\twebmention\n" href="/wm">', "https://bob.example/wm"),
        # 15: an empty href is the page itself
        ('<link rel="webmention" href="">', PAGE),
        # 21: the query string stays
        (
            '<link rel="webmention" href="/wm?version=1&amp;a=b">',
            "https://bob.example/wm?version=1&a=b",
        ),
        # 13: an endpoint inside a comment is no element; 14: nor is escaped text
        (
            '<!-- <link rel="webmention" href="/commented"> -->'
            '<link rel="webmention" href="/real">',
            "https://bob.example/real",
        ),
        (
            '<code>&lt;link rel="webmention" href="/escaped"&gt;</code>'
            '<a rel="webmention" href="/real">x</a>',
            "https://bob.example/real",
        ),
        # 16: <a> before <link>: the first in document order
        (
            '<body><a rel="webmention" href="/from-a">x</a>'
            '</body><link rel="webmention" href="/from-link">',
            "https://bob.example/from-a",
        ),
        # 17: <link> before <a>
        (
            '<link rel="webmention" href="/from-link">'
            '<a rel="webmention" href="/from-a">x</a>',
            "https://bob.example/from-link",
        ),
        # 20: a <link> without an href is skipped; the <a> after it counts
        (
            '<link rel="webmention"><a rel="webmention" href="/from-a">x</a>',
            "https://bob.example/from-a",
        ),
        # 12: only the exact value
        (
            '<link rel="not-webmention" href="/no">'
            '<a rel="webmention" href="/yes">x</a>',
            "https://bob.example/yes",
        ),
        # other elements with the rel do not count
        (
            '<area rel="webmention" href="/area"><link rel="webmention" href="/link">',
            "https://bob.example/link",
        ),
        # a script's text is not markup
        (
            '<script>"<link rel=webmention href=/js>"</script>'
            '<link rel="webmention" href="/real">',
            "https://bob.example/real",
        ),
    ],
)
def test_html(body: str, expected: str) -> None:
    assert webmention(body) == expected


def test_no_endpoint_anywhere() -> None:
    assert (
        webmention('<link rel="stylesheet" href="/s.css"><a href="/wm">wm</a>') is None
    )


def test_html_is_read_only_from_html_pages() -> None:
    body = '<link rel="webmention" href="/wm">'
    assert webmention(body, Content_Type="application/json") is None
    assert (
        webmention(body, Content_Type="application/xhtml+xml")
        == "https://bob.example/wm"
    )
    # A page that does not say what it is is read as HTML.
    assert discover(PAGE, CaseInsensitiveMapping({}), body).webmention == (
        "https://bob.example/wm"
    )


def test_a_relative_endpoint_is_resolved_against_the_page_after_redirects() -> None:
    """23: the page redirected; ``discover`` is given the final URL."""
    final = "https://bob.example/moved/here/"
    found = discover(
        final, CaseInsensitiveMapping(HTML), '<link rel="webmention" href="wm">'
    )
    assert found.webmention == "https://bob.example/moved/here/wm"


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", "mailto:bob@example.org", "ftp://bob.example/wm"]
)
def test_an_endpoint_that_is_not_http_is_none(href: str) -> None:
    assert webmention(f'<link rel="webmention" href="{href}">') is None


# --- Pingback -------------------------------------------------------------------------


def test_pingback_from_the_header() -> None:
    found = endpoints(
        '<link rel="pingback" href="https://bob.example/from-link.php">',
        X_Pingback="https://bob.example/xmlrpc.php",
    )
    assert found == Endpoints(
        webmention=None, pingback="https://bob.example/xmlrpc.php"
    )


@pytest.mark.parametrize(
    "body",
    [
        '<link rel="pingback" href="https://bob.example/xmlrpc.php" />',
        "<link href='https://bob.example/xmlrpc.php' rel='pingback'>",
        '<link rel="PingBack" href="/xmlrpc.php">',
    ],
)
def test_pingback_from_the_link_element(body: str) -> None:
    assert endpoints(body).pingback == "https://bob.example/xmlrpc.php"


def test_pingback_is_never_read_from_an_a_element_or_a_comment() -> None:
    body = (
        '<!-- <link rel="pingback" href="/old.php"> -->'
        '<a rel="pingback" href="/a.php">x</a>'
    )
    assert endpoints(body).pingback is None


def test_both_endpoints_at_once() -> None:
    body = '<link rel="pingback" href="/xmlrpc.php"><link rel="webmention" href="/wm">'
    assert endpoints(body) == Endpoints(
        webmention="https://bob.example/wm", pingback="https://bob.example/xmlrpc.php"
    )


# --- The links of a post --------------------------------------------------------------

OURS = "https://ada.example/2026/07/02/prices/"


def test_outbound_links_are_absolute_unique_and_in_order() -> None:
    body = (
        '<p><a href="https://bob.example/post">Bob</a> and '
        '<a href="http://carol.example/x?y=1#part">Carol</a>, '
        '<a href="https://bob.example/post#comments">Bob again</a>, '
        '<a href="https://dan.example">Dan</a></p>'
    )
    assert outbound_links(body, OURS) == [
        "https://bob.example/post",
        "http://carol.example/x?y=1",
        "https://dan.example/",
    ]


def test_outbound_links_skip_our_own_site_and_what_is_not_the_web() -> None:
    body = (
        '<a href="/2026/06/01/earlier/">earlier</a>'
        '<a href="https://ada.example/about/">about</a>'
        '<a href="HTTPS://ADA.EXAMPLE:443/tags/">tags</a>'
        '<a href="#footnote-1">1</a>'
        '<a href="mailto:ada@example.com">mail</a>'
        '<a href="javascript:void(0)">js</a>'
        "<a>no href</a>"
        '<img src="https://img.example/a.png">'
        '<a href="https://ada.example:8443/other-site/">another port, another site</a>'
        '<a href="http://ada.example/insecure/">another scheme, another site</a>'
    )
    assert outbound_links(body, OURS) == [
        "https://ada.example:8443/other-site/",
        "http://ada.example/insecure/",
    ]


def test_outbound_links_decode_entities_in_hrefs() -> None:
    body = '<a href="https://bob.example/search?q=frames&amp;page=2">search</a>'
    assert outbound_links(body, OURS) == ["https://bob.example/search?q=frames&page=2"]


def test_origin_fills_in_default_ports() -> None:
    assert origin("https://Ada.Example/x") == origin("https://ada.example:443/y")
    assert origin("http://ada.example/") != origin("https://ada.example/")
