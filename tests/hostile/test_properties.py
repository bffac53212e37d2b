"""Property tests (Hypothesis) for the sanitizer and the URL guard (issue #9, 3).

The sanitizer: whatever a stranger types, in a comment's Markdown or in imported
or authored HTML, what comes out holds nothing a browser would run (the
parser-based oracle in tests/oracle.py), and cleaning it again changes nothing
active. The URL guard: every spelling of every address outside the public
Internet is refused before any lookup or connection; public addresses are not.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from firsthand.crosstalk.fetch import refusal
from firsthand.rendering import (
    render_post,
    render_response,
    render_response_body,
    sanitize_post_html,
)
from tests.oracle import active_content

# Pieces attackers combine; Hypothesis strings them together with arbitrary text.
FRAGMENTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<iframe src=//evil.example>",
    "<object data=x>",
    "<base href=//evil.example/>",
    "<math><mi xlink:href=javascript:alert(1)>",
    "<style>@import 'x'</style>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[x]: javascript:alert(1)\n\n[x]",
    "`<script>`",
    "```\n<script>\n```",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    '"',
    "'",
    "<",
    ">",
    "&",
    "&#",
    "onerror=",
    " onclick=alert(1) ",
    "\x00",
    "\u202e",
    "\n\n",
    "> ",
    "* ",
]

texts = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=12
).map("".join)

# Hypothesis runs each property 100 times by default; render and parse are fast.
props = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@props
@given(texts)
def test_a_readers_markdown_never_yields_active_content(text: str) -> None:
    html = render_response(text)
    assert active_content(html) == [], (text, html)


@props
@given(texts)
def test_imported_comment_html_never_yields_active_content(text: str) -> None:
    html = render_response_body(text, "html")
    assert active_content(html) == [], (text, html)


@props
@given(texts)
def test_an_authors_post_never_yields_active_content(text: str) -> None:
    for html in (render_post(text), sanitize_post_html(text)):
        assert active_content(html) == [], (text, html)


@props
@given(texts)
def test_cleaning_twice_adds_nothing_active(text: str) -> None:
    once = sanitize_post_html(text)
    twice = sanitize_post_html(once)
    assert active_content(twice) == [], (text, once, twice)
    assert sanitize_post_html(twice) == twice  # a fixed point after one more pass


# --- The URL guard ------------------------------------------------------------------

NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]


@st.composite
def not_public_ipv4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    network = draw(st.sampled_from(NOT_PUBLIC))
    offset = draw(st.integers(0, network.num_addresses - 1))
    return ipaddress.IPv4Address(int(network.network_address) + offset)


def spellings(address: ipaddress.IPv4Address) -> list[str]:
    """The ways a URL can name ``address`` that some resolver or socket reads."""
    number = int(address)
    a, b, c, d = address.packed
    return [
        str(address),
        str(number),  # decimal
        hex(number),  # 0x7f000001
        "0" + oct(number)[2:],  # octal
        ".".join(f"0{part:o}" for part in address.packed),  # octal parts
        ".".join(hex(part) for part in address.packed),  # hex parts
        f"{a}.{(b << 16) | (c << 8) | d}",  # a.b-short form
        f"[::ffff:{address}]",  # IPv4-mapped IPv6
        f"[::ffff:{(a << 8) | b:x}:{(c << 8) | d:x}]",
        f"[64:ff9b::{address}]",  # NAT64
        f"[2002:{(a << 8) | b:x}:{(c << 8) | d:x}::]",  # 6to4
    ]


@settings(max_examples=300, deadline=None)
@given(not_public_ipv4(), st.sampled_from(["http", "https"]), st.integers(1, 65535))
# Found by this test: Python 3.11 calls most of 192.0.0.0/24 global; IANA does not.
@example(ipaddress.IPv4Address("192.0.0.8"), "http", 1)
def test_every_spelling_of_a_non_public_address_is_refused(
    address: ipaddress.IPv4Address, scheme: str, port: int
) -> None:
    for host in spellings(address):
        url = f"{scheme}://{host}:{port}/x"
        assert refusal(url) is not None, url


IETF_ASSIGNMENTS = ipaddress.ip_network("192.0.0.0/24")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address))
@example(ipaddress.IPv4Address("192.0.0.9"))  # anycast, but nothing a blog fetches
@example(ipaddress.IPv4Address("93.184.215.14"))
def test_a_public_address_in_dotted_form_is_not_refused(
    address: ipaddress.IPv4Address,
) -> None:
    url = f"http://{address}/"
    public = address.is_global and not address.is_multicast
    if public and address not in IETF_ASSIGNMENTS:
        assert refusal(url) is None, url
    else:
        assert refusal(url) is not None, url


@pytest.mark.parametrize("trick", ["user@", "user:pass@", "@"])
@settings(max_examples=50, deadline=None)
@given(address=not_public_ipv4())
def test_userinfo_never_hides_the_host(
    trick: str, address: ipaddress.IPv4Address
) -> None:
    assert refusal(f"http://{trick}{address}/") is not None
    assert refusal(f"http://example.com{trick and '@'}{address}/") is not None
