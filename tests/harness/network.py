"""Loopback only: no test reaches, or looks up, anything outside this machine.

Installed for the whole run by ``tests/conftest.py`` (``pytest_configure``, so in
every xdist worker too). ``socket.socket.connect`` and ``connect_ex`` (which
``socket.create_connection``, httpx and the Redis client all go through) refuse any
address outside 127.0.0.0/8 and ::1, and any host name but ``localhost``, before a
packet leaves; ``socket.getaddrinfo`` refuses to look up any other name. So a URL
guard with a bug fails its test instead of sending a request to 10.0.0.1 or
169.254.169.254, and no test depends on the machine's DNS. Unix sockets (a local
PostgreSQL) pass. The SSRF tests add a stricter guard of their own on top
(``tests.loopback.SocketGuard``: exact ``host:port`` pairs).

Not covered: processes a test starts (``tests/sites.py`` runs real servers; their
outbound requests go through ``firsthand.crosstalk.fetch``, whose allowance the
tests set to exact loopback ports), and C libraries that open their own sockets
(libpq, which the tests point at 127.0.0.1 or a Unix socket).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_LOCAL_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def refusal(host: object) -> str | None:
    """Why ``host`` may not be reached from a test, or None if it may."""
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower() in _LOCAL_NAMES:
        return None
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return f"{name!r} is a name to look up; tests use loopback addresses only"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None
    return f"{address} is outside 127.0.0.0/8 and ::1"


class NetworkGuard:
    def __init__(self) -> None:
        self.connect = socket.socket.connect
        self.connect_ex = socket.socket.connect_ex
        self.getaddrinfo = socket.getaddrinfo
        self.installed = False

    def install(self) -> None:
        if self.installed:
            return
        guard = self

        def connect(sock: socket.socket, address: Any) -> None:
            guard.check(sock, address)
            guard.connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            guard.check(sock, address)
            return guard.connect_ex(sock, address)

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host is not None:
                why = refusal(host)
                if why is not None:
                    raise AssertionError(f"network guard: no lookup of {host!r}: {why}")
            return guard.getaddrinfo(host, *args, **kwargs)

        socket.socket.connect = connect  # type: ignore[method-assign,assignment]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
        socket.getaddrinfo = getaddrinfo
        self.installed = True

    def uninstall(self) -> None:
        if not self.installed:
            return
        socket.socket.connect = self.connect  # type: ignore[method-assign]
        socket.socket.connect_ex = self.connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = self.getaddrinfo
        self.installed = False

    @staticmethod
    def check(sock: socket.socket, address: Any) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return  # a Unix socket: this machine, not the network
        why = refusal(address[0])
        if why is not None:
            raise AssertionError(
                f"network guard: connect to {address!r} refused: {why}"
            )


GUARD = NetworkGuard()
