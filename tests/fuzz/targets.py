"""Fuzz targets (plan §2.6 and §3.1 test 14): one function per parser, taking the
fuzzer's bytes. Each raises only when it finds a bug: an exception other than the
parser's own refusal, active content after sanitizing, an address the guard should
have refused, or an input that takes too long.

They need Django set up (``tests.settings``) but not atheris: tests/fuzz/run.py
drives them under atheris, tests/fuzz/test_regressions.py replays the saved
inputs in the ordinary suite.
"""

from __future__ import annotations

import io
import ipaddress
import time
import xmlrpc.client
from collections.abc import Callable

from firsthand import rendering
from firsthand.crosstalk import fetch
from firsthand.crosstalk.protocols import pingback
from firsthand.portability import wxr
from tests.hostile.bombs import BOMBS
from tests.hostile.corpora import MARKDOWN_VECTORS
from tests.oracle import active_content
from tests.portability.wxr_files import FOOTER, HEADER, comment, item

# The complexity oracle: rendering has its own budget (half a second for a
# comment), so twice that plus room for a busy machine means the budget failed.
RENDER_LIMIT = 2.0
PARSE_LIMIT = 2.0


class Found(AssertionError):
    """A bug: what the target saw, for the crash report."""


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _timed(limit: float, what: str, start: float) -> None:
    took = time.monotonic() - start
    if took > limit:
        raise Found(f"{what} took {took:.2f} s (limit {limit} s)")


def render(data: bytes) -> None:
    """Markdown -> sanitized HTML, reader's and author's: no active content, and the
    sanitizer is stable on its own output."""
    text = _text(data)
    for name, make, sanitize in (
        ("response", rendering.render_response, rendering._sanitize_response_html),
        ("post", rendering.render_post, rendering.sanitize_post_html),
    ):
        start = time.monotonic()
        html = make(text)
        _timed(RENDER_LIMIT, f"render_{name}", start)
        found = active_content(html)
        if found:
            raise Found(f"render_{name} let through {found[:3]}: {html[:200]!r}")
        again = sanitize(html)
        if active_content(again):
            raise Found(f"sanitizing render_{name}'s output again: {again[:200]!r}")


def _fake_resolver(data: bytes) -> fetch.Resolver:
    """Every name resolves to an address made of the input's last bytes: the guard
    must judge whatever DNS says."""
    tail = data[-16:].rjust(16, b"\0")
    addresses = [
        str(ipaddress.IPv4Address(tail[-4:])),
        str(ipaddress.IPv6Address(tail)),
    ]
    pick = addresses[len(data) % 2]

    def resolve(host: str, port: int) -> list[str]:
        return [pick]

    return resolve


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An independent (and weaker) view of "public": the guard may refuse more."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None and not inner.is_global:
            return False
    return address.is_global and not address.is_private


def url_guard(data: bytes) -> None:
    """The fetch guard: only ``FetchError`` ever comes out, and what it lets
    through goes to a public address."""
    url = _text(data[:-16] if len(data) > 16 else data)
    start = time.monotonic()
    try:
        target = fetch._checked(url, _fake_resolver(data))
    except fetch.FetchError:
        _timed(PARSE_LIMIT, "the URL guard", start)
        return
    _timed(PARSE_LIMIT, "the URL guard", start)
    address = ipaddress.ip_address(target.address)
    if not _public(address):
        raise Found(f"the guard let {url!r} through to {address}")
    if target.url.scheme not in {"http", "https"}:
        raise Found(f"the guard let the scheme {target.url.scheme!r} through")
    fetch.refusal(url)  # the DNS-free check answers too


def xmlrpc_call(data: bytes) -> None:
    """The pingback request parser: an answer or a ``Fault``, nothing else, and
    the fault is writable as an XML-RPC answer."""
    start = time.monotonic()
    try:
        call = pingback.parse_call(data)
        if call.method == pingback.PING:
            pingback.ping_of(call)
    except pingback.Fault as fault:
        _check_fault_answer(fault)
    _timed(PARSE_LIMIT, "the XML-RPC parser", start)


def _check_fault_answer(fault: pingback.Fault) -> None:
    """The fault, written as the endpoint writes it, reads back as the same fault."""
    try:
        xmlrpc.client.loads(pingback.fault(fault.code, fault.message))
    except xmlrpc.client.Fault as answer:
        if answer.faultCode != fault.code:
            raise Found(f"fault {fault.code} came back as {answer.faultCode}") from None
        return
    raise Found(f"fault {fault.code} was not written as a fault")


def wxr_reader(data: bytes) -> None:
    """The WordPress export reader: records or a ``WxrError`` with a reason."""
    start = time.monotonic()
    try:
        for _record in wxr._records(io.BytesIO(data), len(data), lambda _: None, None):
            pass
    except wxr.WxrError as error:
        if not str(error):
            raise Found("a WxrError without a reason") from error
    _timed(PARSE_LIMIT, "the WXR reader", start)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "render": render,
    "url_guard": url_guard,
    "xmlrpc": xmlrpc_call,
    "wxr": wxr_reader,
}


def seeds(target: str) -> list[bytes]:
    """Starting inputs: the hostile ones the tests already know, and valid ones."""
    if target == "render":
        texts = [*MARKDOWN_VECTORS, *(make(300) for make in BOMBS.values())]
        texts.append("# Title\n\n> quote\n\n- [link](https://a.example.org) *em*\n")
        return [t.encode() for t in texts]
    if target == "url_guard":
        public, private = bytes([93, 184, 216, 34]), bytes([10, 0, 0, 1])
        return [
            url.encode() + pad.rjust(16, b"\0")
            for url in (
                "https://example.org/page",
                "http://10.0.0.1/",
                "http://[::ffff:127.0.0.1]:8080/x",
                "http://0x7f.1/",
                "http://user@host.example:81/",
                "http://xn--nxasmq6b.example/",
                "http://2130706433/",
                "http://[fe80::1%25eth0]/",
            )
            for pad in (public, private)
        ]
    if target == "xmlrpc":
        return [
            xmlrpc.client.dumps(
                ("https://a.example/", "https://b.example/"), pingback.PING
            ).encode(),
            xmlrpc.client.dumps((), pingback.LIST_METHODS).encode(),
            xmlrpc.client.dumps(([1, {"a": 2.5}], True), "x.y").encode(),
            b'<!DOCTYPE m [<!ENTITY a "b">]><methodCall/>',
        ]
    if target == "wxr":
        body = item(3, "A post", comments=comment(9, "A comment"))
        return [(HEADER + body + FOOTER).encode(), b"<rss><channel/></rss>"]
    raise KeyError(target)


DICTIONARY: dict[str, list[str]] = {
    "render": ["[", "](", "![", "<", "&#", "]]>", "`", "**", "_", "~~", "> ", "- ",
               "1. ", "javascript:", "<script>", "\n\n", "    ", "&amp;", "<http://"],
    "url_guard": ["http://", "https://", "@", "[", "]", ":", "%2e", "%00", "0x",
                  "::ffff:", "localhost", "127.1", "xn--", "#", "?", "\\"],
    "xmlrpc": ["<methodCall>", "<methodName>", "<params>", "<param>", "<value>",
               "<string>", "<int>", "<double>", "<array>", "<data>", "<struct>",
               "<!DOCTYPE", "<!ENTITY", "]]>", "&#", "pingback.ping"],
    "wxr": ["<rss>", "<channel>", "<item>", "<wp:post_id>", "<wp:comment>",
            "<![CDATA[", "]]>", "<!DOCTYPE", "<!ENTITY", "<wp:wxr_version>",
            "xmlns:wp=\"http://wordpress.org/export/1.2/\"", "&#"],
}  # fmt: skip
