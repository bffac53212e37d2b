"""The one door for outbound HTTP: every request Firsthand makes goes through ``fetch``.

Anyone can make Firsthand fetch a URL (a WebSub callback, later a Webmention source
or a pingback), so every fetch is a chance to reach inside the server's own network:
WordPress pingback (CVE-2013-0235, CVE-2016-4029, the DNS-rebinding CVE-2022-3590),
the WordPress Webmention plugin (CVE-2026-0686/0688) and lamb (PR #508) all shipped
that SSRF. The guard (docs/protocols/outbound-http.md, security-test-plan section 0
item 1 and test section C):

- only ``http`` and ``https``, no user:password in the URL, a plain host name;
- the host is resolved once, and every address must be globally routable: no
  loopback, private, link-local, CGNAT, multicast, reserved or unspecified address,
  IPv4 hidden inside IPv6 (``::ffff:127.0.0.1``, NAT64, 6to4, Teredo) unwrapped first;
  IPv4 written as one number or in hex/octal (``2130706433``, ``0x7f000001``) is
  refused outright;
- the connection goes to the address that was checked (pinned: the URL's host
  stays in the Host header and in TLS SNI and certificate checks), so a second DNS
  answer cannot move it (DNS rebinding);
- redirects are followed for GET and HEAD only, at most ``max_redirects``, each hop
  checked again; POST never follows one;
- a total time budget and a byte cap, also on decompressed bytes;
- a budget per destination: at most ``FIRSTHAND_OUTBOUND_PER_HOST_PER_MINUTE``
  requests a minute to one host name, and four times that to one address, counted
  in the shared ``guard`` cache by every process, so strangers cannot turn the site
  into an amplifier against a third party (plan test 25);
- every request carries an opaque request id in its User-Agent, and the log line
  for it names what it was made for, so the admin of a receiving site can report a
  request and this site's admin can find where it came from;
- exceptions: ``FIRSTHAND_FETCH_ALLOW`` lists exact ``host:port`` pairs the guard lets
  through (tests' loopback servers; an intranet service on purpose).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import ipaddress
import logging
import re
import secrets
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from urllib.parse import unquote, urlencode

import httpx
from django.conf import settings
from django.utils.datastructures import CaseInsensitiveMapping

import firsthand
from firsthand import ratelimit
from firsthand.site import site_url

logger = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds for the whole fetch, redirects included
CONNECT_TIMEOUT = 5.0
MAX_BYTES = 1_048_576
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})

# A host name after IDNA: letters, digits, dots and hyphens (and a trailing dot).
_HOST_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# IANA's "IETF Protocol Assignments": not globally reachable (but for two anycast
# addresses no blog fetches from), while Python 3.11's ipaddress calls most of it
# global (found by the property tests, tests/hostile/test_properties.py).
_IETF_ASSIGNMENTS = ipaddress.IPv4Network("192.0.0.0/24")

# What the requests made now are for ("inbound 42"), set by the job that makes them.
_FOR: contextvars.ContextVar[str] = contextvars.ContextVar("fetching_for", default="")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class FetchError(Exception):
    """A fetch that did not produce an answer; ``reason`` says why, for logs and
    status columns. ``refused`` is True when the guard said no (nothing was sent):
    trying again later will not help. ``retry_after`` is set (seconds) when the
    site's own outbound budget for that host is spent: try again after it."""

    def __init__(
        self, reason: str, *, refused: bool = False, retry_after: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class FetchResult:
    url: str  # the last URL asked, after redirects
    status_code: int
    headers: CaseInsensitiveMapping[str]
    content: bytes
    redirects: tuple[str, ...] = ()  # the URLs that answered with a redirect

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        match = re.search(r"charset=([\w.:-]+)", self.headers.get("Content-Type", ""))
        charset = match.group(1) if match else "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


def fetch(
    method: str,
    url: str,
    *,
    data: bytes | Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    read_body: bool = True,
    resolver: Resolver | None = None,
) -> FetchResult:
    """Send one request through the guard; raise ``FetchError`` if it cannot.

    Any status is an answer (a 404 or 500 is returned, not raised); the caller
    decides what it means. ``read_body=False`` hangs up after the headers (the
    content is then empty). ``resolver`` replaces DNS (tests pass a fake mapping).
    What the request is made for (``fetching_for``) goes in the log line beside the
    opaque request id the User-Agent carries, never on the wire.
    """
    method = method.upper()
    if method not in {"GET", "HEAD"}:
        max_redirects = 0  # a POST that follows a redirect may land anywhere
    ref = _FOR.get()
    request_id = secrets.token_hex(8)
    logger.info(
        "Fetching %s %s (request %s%s)",
        method,
        url,
        request_id,
        f" for {ref}" if ref else "",
    )
    body, extra = _body(data, request_id)
    deadline = time.monotonic() + timeout
    sent_headers = {**extra, **(headers or {})}
    redirects: list[str] = []
    current = url
    with httpx.Client(trust_env=False, follow_redirects=False, verify=_tls()) as client:
        while True:
            target = _checked(current, resolver or system_resolver)
            _spend_budget(target)
            status, answer_headers, content, location = _send(
                client,
                method,
                target,
                body,
                sent_headers,
                deadline=deadline,
                max_bytes=max_bytes if read_body else None,
            )
            if status not in REDIRECTS or not location or max_redirects == 0:
                return FetchResult(
                    url=current,
                    status_code=status,
                    headers=answer_headers,
                    content=content,
                    redirects=tuple(redirects),
                )
            if len(redirects) >= max_redirects:
                raise FetchError(f"more than {max_redirects} redirects from {url}")
            redirects.append(current)
            current = _join(current, location)


@contextlib.contextmanager
def fetching_for(ref: str) -> Iterator[None]:
    """Name what the requests made inside the block are for, in their log lines."""
    token = _FOR.set(ref)
    try:
        yield
    finally:
        _FOR.reset(token)


def refusal(url: str) -> str | None:
    """Why the guard would refuse ``url`` without asking DNS (None: maybe fine).

    For answering a request at once (a callback URL that is an intranet address);
    the full check, with DNS, runs in ``fetch``.
    """
    try:
        _checked(url, _no_dns)
    except FetchError as error:
        return error.reason if error.refused else None
    return None


def wire_form(url: str) -> str:
    """``url`` as it is sent: host in punycode, other non-ASCII percent-encoded."""
    try:
        return str(httpx.URL(url))
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise FetchError(f"not a usable URL: {error}", refused=True) from error


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"cannot resolve {host}: {error}") from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def user_agent(request_id: str = "") -> str:
    """Names Firsthand and the site, so a receiving admin knows whom to ask, and
    the request's opaque id, so they can say which request they mean."""
    request = f"; request {request_id}" if request_id else ""
    return f"Firsthand/{firsthand.__version__} (+{site_url()}{request})"


def per_host_budget() -> int:
    """Requests a minute this site sends to one host name (four times that to one
    address, for names that share it)."""
    return int(settings.FIRSTHAND_OUTBOUND_PER_HOST_PER_MINUTE)


# --- The guard ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Target:
    url: httpx.URL  # as asked: its host goes in Host and SNI
    address: str  # the checked address the connection goes to


def _checked(url: str, resolve: Resolver) -> _Target:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise FetchError(f"not a usable URL: {error}", refused=True) from error
    if parsed.scheme not in {"http", "https"}:
        raise FetchError(
            f"only http and https URLs are fetched, not {parsed.scheme or 'this'}",
            refused=True,
        )
    if parsed.userinfo:
        raise FetchError(
            "URLs with a user name or password are not fetched", refused=True
        )
    try:
        host = parsed.raw_host.decode("ascii").lower()
    except UnicodeError as error:
        # httpx parses "http://[de51::1%\u038b:]/" but cannot encode its host (an
        # IPv6 zone of non-ASCII letters); found by the URL guard's fuzz target.
        raise FetchError("the URL's host is not a usable name", refused=True) from error
    if not host:
        raise FetchError("the URL has no host", refused=True)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    allowed = _allow_key(host, port) in _allowed()
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    elif not _HOST_NAME.match(host):
        raise FetchError(f"{host!r} is not a host name", refused=True)
    else:
        if _legacy_ipv4(host):
            raise FetchError(
                f"{host} is an IPv4 address written in a non-standard form",
                refused=True,
            )
        addresses = [_parse(a) for a in resolve(host.rstrip("."), port)]
        if not addresses:
            raise FetchError(f"{host} has no address")
    if not allowed:
        for address in addresses:
            reason = _not_global(address)
            if reason:
                logger.info("Refused to fetch %s: %s is %s", url, address, reason)
                where = host if literal else f"{host} leads to {address}, which"
                raise FetchError(f"{where} is {reason}: not fetched", refused=True)
    return _Target(url=parsed, address=str(addresses[0]))


def _join(base: str, location: str) -> str:
    try:
        return str(httpx.URL(base).join(location))
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise FetchError(f"a redirect to an unusable URL: {error}") from error


def _not_global(address: Address) -> str | None:
    """Why ``address`` is not a public Internet address (None when it is)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a link-local address with a zone"
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = _not_global(embedded)
            return f"an IPv6 form of {embedded} ({inner})" if inner else None
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not globally routable"),
        (
            isinstance(address, ipaddress.IPv6Address) and address in _IPV4_COMPATIBLE,
            "a deprecated IPv4-compatible IPv6 address",
        ),
        (
            isinstance(address, ipaddress.IPv4Address) and address in _IETF_ASSIGNMENTS,
            "an IETF protocol assignment (192.0.0.0/24)",
        ),
    )
    return next((reason for failed, reason in checks if failed), None)


def _literal(host: str) -> Address | None:
    try:
        return _parse(unquote(host))
    except FetchError:
        return None


def _parse(text: str) -> Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError as error:
        raise FetchError(f"{text!r} is not an address") from error


def _legacy_ipv4(host: str) -> bool:
    """True for what inet_aton reads as IPv4 but is not dotted-quad:
    ``2130706433``, ``0x7f000001``, ``127.1`` (getaddrinfo would connect to them)."""
    try:
        socket.inet_aton(host.rstrip("."))
    except OSError:
        return False
    return True


def _no_dns(host: str, port: int) -> list[str]:
    raise FetchError("not resolved here")


def _allow_key(host: str, port: int) -> str:
    """How FIRSTHAND_FETCH_ALLOW writes a host and port: ``127.0.0.1:8080``,
    ``[::1]:8080``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _allowed() -> set[str]:
    return {
        str(entry).lower() for entry in getattr(settings, "FIRSTHAND_FETCH_ALLOW", [])
    }


# --- Sending -----------------------------------------------------------------------


def _spend_budget(target: _Target) -> None:
    """Count one request to ``target``'s host and address; refuse it for now when
    either budget for this minute is spent (every hop of a redirect counts)."""
    host = target.url.raw_host.decode("ascii").lower().rstrip(".")
    ceiling = per_host_budget()
    budgets = (
        (f"outbound:host:{host}", ceiling, host),
        (f"outbound:address:{target.address}", 4 * ceiling, target.address),
    )
    for key, limit, name in budgets:
        try:
            within = ratelimit.allow(key, limit)
        except ratelimit.Unavailable as error:
            raise FetchError(
                f"the shared counters are unavailable ({error}); trying again later"
            ) from error
        if not within:
            wait = ratelimit.rest_of_window()
            logger.warning(
                "Outbound budget spent: %s requests a minute to %s", limit, name
            )
            raise FetchError(
                f"this site's budget of {limit} requests a minute to {name} is "
                f"spent; trying again in {wait} s",
                retry_after=wait,
            )


def _body(
    data: bytes | Mapping[str, str] | None, request_id: str
) -> tuple[bytes | None, dict[str, str]]:
    base = {"User-Agent": user_agent(request_id), "Accept-Encoding": "gzip, deflate"}
    if data is None or isinstance(data, bytes):
        return data, base
    form = urlencode(dict(data)).encode()
    return form, {**base, "Content-Type": "application/x-www-form-urlencoded"}


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every fetch, made as httpx makes its own: loading the
    CA bundle took about 80 ms of CPU, which a new client paid on every fetch
    (0.4 ms with this one). A context is safe to share between threads."""
    return httpx.create_ssl_context(trust_env=False)


def _send(
    client: httpx.Client,
    method: str,
    target: _Target,
    body: bytes | None,
    headers: dict[str, str],
    *,
    deadline: float,
    max_bytes: int | None,
) -> tuple[int, CaseInsensitiveMapping[str], bytes, str | None]:
    """One request to the checked address; ``max_bytes=None`` reads no body."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError("ran out of time before the request was sent")
    url = target.url
    host = url.raw_host.decode("ascii")
    bracketed = f"[{host}]" if ":" in host else host
    host_header = bracketed if url.port is None else f"{bracketed}:{url.port}"
    request = client.build_request(
        method,
        url.copy_with(host=target.address),  # pinned: connect to what was checked
        content=body,
        headers={**headers, "Host": host_header},
        timeout=httpx.Timeout(remaining, connect=min(CONNECT_TIMEOUT, remaining)),
        extensions={"sni_hostname": host},
    )
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException as error:
        raise FetchError(f"{host} did not answer in time") from error
    except httpx.HTTPError as error:
        raise FetchError(f"could not reach {host}: {error}") from error
    try:
        answer_headers = CaseInsensitiveMapping(dict(response.headers.items()))
        content = b""
        if method != "HEAD" and max_bytes is not None:
            content = _read(response, deadline, max_bytes)
        return (
            response.status_code,
            answer_headers,
            content,
            response.headers.get("Location"),
        )
    except httpx.TimeoutException as error:
        raise FetchError(f"{host} stopped sending in time") from error
    except httpx.HTTPError as error:
        raise FetchError(f"the answer from {host} broke off: {error}") from error
    finally:
        response.close()


def _read(response: httpx.Response, deadline: float, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"the answer is {declared} bytes, more than {max_bytes}")
    decoder = _Decoder(response.headers.get("Content-Encoding", ""))
    parts: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():  # as it arrives, so the clock is checked
        if time.monotonic() > deadline:
            raise FetchError("the answer took too long to arrive")
        piece = decoder.feed(chunk, max_bytes - size)
        size += len(piece)
        if size > max_bytes:
            raise FetchError(f"the answer is larger than {max_bytes} bytes")
        parts.append(piece)
    return b"".join(parts)


class _Decoder:
    """Content-Encoding, decompressed with a ceiling (a small gzip bomb must not
    become a large string): at most ``room + 1`` bytes come out per call."""

    def __init__(self, encoding: str) -> None:
        name = encoding.strip().lower()
        if name in {"", "identity"}:
            self._zlib = None
        elif name in {"gzip", "x-gzip"}:
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif name == "deflate":
            self._zlib = zlib.decompressobj(32 + zlib.MAX_WBITS)
        else:
            raise FetchError(f"the answer is encoded as {encoding!r}, not read")

    def feed(self, chunk: bytes, room: int) -> bytes:
        if self._zlib is None:
            return chunk
        try:
            return self._zlib.decompress(chunk, max(room, 0) + 1)
        except zlib.error as error:
            raise FetchError(f"the compressed answer is damaged: {error}") from error
