"""Whose address a request counts against (plan §3.1 D27, D29): X-Forwarded-For
is believed only from FIRSTHAND_TRUSTED_PROXIES, and then its right-most hop
that is not a trusted proxy is the client."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from firsthand.client import client_ip

PROXY = "127.0.0.1"


def ip_of(remote: str, forwarded: str | None = None) -> str | None:
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(request)


@override_settings(FIRSTHAND_TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert ip_of("203.0.113.9", "198.51.100.1") == "203.0.113.9"


@override_settings(FIRSTHAND_TRUSTED_PROXIES=[PROXY])
def test_a_forged_header_from_an_untrusted_peer_is_ignored() -> None:
    assert ip_of("203.0.113.9", "198.51.100.1, 127.0.0.1") == "203.0.113.9"


@override_settings(FIRSTHAND_TRUSTED_PROXIES=[PROXY, "10.0.0.2"])
@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        ("198.51.100.1", "198.51.100.1"),
        # The client's own forged hops sit to the left of the one the proxy added.
        ("6.6.6.6, 198.51.100.1", "198.51.100.1"),
        # Several trusted proxies: the nearest untrusted hop from the right.
        ("6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        # Garbage in the chain stops the walk at the proxy itself.
        ("198.51.100.1, not-an-address", PROXY),
        ("", PROXY),
        ("10.0.0.2", PROXY),
        (" 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_from_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(
    forwarded: str, client: str
) -> None:
    assert ip_of(PROXY, forwarded) == client


@override_settings(FIRSTHAND_TRUSTED_PROXIES=[PROXY])
def test_a_bad_remote_address_gives_none() -> None:
    assert ip_of("bogus", "198.51.100.1") is None
