"""Who is asking: the client's IP address, trusting proxies only when told to."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the nearest untrusted hop of X-Forwarded-For when the request
    came through a proxy listed in FIRSTHAND_TRUSTED_PROXIES.

    Trusting the header from anyone would let every client pick its own address and
    walk past flood control (remark42 fixed exactly this in 2026).
    """
    remote = _valid(request.META.get("REMOTE_ADDR", ""))
    trusted = set(settings.FIRSTHAND_TRUSTED_PROXIES)
    if remote is None or remote not in trusted:
        return remote
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        address = _valid(hop)
        if address is None:
            return remote
        if address not in trusted:
            return address
    return remote


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None
