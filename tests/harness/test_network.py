"""The network guard every test runs under (tests/harness/network.py)."""

from __future__ import annotations

import socket

import pytest

from tests.harness.network import GUARD, refusal


def test_the_guard_is_on_for_every_test() -> None:
    assert GUARD.installed
    assert socket.socket.connect is not GUARD.connect


@pytest.mark.parametrize(
    "address",
    [
        ("10.0.0.1", 80),
        ("169.254.169.254", 80),
        ("192.0.2.1", 443),
        ("100.64.0.1", 80),
        ("0.0.0.0", 80),  # noqa: S104  # an address refused, not bound
        ("::ffff:10.0.0.1", 80),
        ("2001:db8::1", 80),
        ("example.com", 80),
    ],
)
def test_a_connect_outside_loopback_fails_before_a_packet_leaves(
    address: tuple[str, int],
) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        with pytest.raises(AssertionError, match="network guard"):
            sock.connect(address)
        with pytest.raises(AssertionError, match="network guard"):
            sock.connect_ex(address)


def test_create_connection_and_lookups_are_guarded_too() -> None:
    with pytest.raises(AssertionError, match="network guard"):
        socket.create_connection(("203.0.113.7", 80), timeout=1)
    with pytest.raises(AssertionError, match="no lookup"):
        socket.getaddrinfo("example.org", 80)


def test_loopback_and_localhost_still_work() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        with socket.create_connection(("localhost", port), timeout=5):
            pass
    assert socket.getaddrinfo("127.0.0.2", 80)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        (b"127.0.0.1", True),
        ("10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("localhost.example.com", False),
    ],
)
def test_what_counts_as_this_machine(host: str | bytes, allowed: bool) -> None:
    assert (refusal(host) is None) is allowed
