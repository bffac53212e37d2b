"""Login throttling: attempts are counted before any password is hashed.

A password hash costs a quarter of a second of CPU (PBKDF2, a million rounds), so
eight wrong passwords a second fill two cores. Every attempt on the sign-in form is
therefore counted first, in the shared ``guard`` cache, and one over a limit is
answered at once (429 with Retry-After) without ``authenticate()`` ever running:

- per client address and account name: FIRSTHAND_LOGIN_ATTEMPTS (5) in
  FIRSTHAND_LOGIN_WINDOW_MINUTES (15); a successful sign-in clears it;
- per client address, whatever the names: 4 times that (spraying many names);
- per account name, from addresses that never signed in to it: 40 times that (a
  password guessed from many addresses), so the real author, from an address
  they have signed in from before, is not locked out by strangers.

Names are counted as typed (case-folded), whether or not such an account exists,
so the throttle says nothing about which accounts exist; Django already hashes a
password for an unknown name too, so the answers and the time they take match.
The client address comes from ``firsthand.client.client_ip`` (X-Forwarded-For only
from FIRSTHAND_TRUSTED_PROXIES). With the shared cache out of reach, sign-in is
refused (503 with Retry-After): a login must not go unthrottled.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from firsthand import ratelimit
from firsthand.client import client_ip

log = logging.getLogger(__name__)

KNOWN_DAYS = 90  # how long an address that signed in to an account stays known
UNAVAILABLE_RETRY = 30


def _window() -> int:
    return max(1, int(settings.FIRSTHAND_LOGIN_WINDOW_MINUTES)) * 60


def _digest(name: str) -> str:
    return hashlib.sha256(name.casefold().encode()).hexdigest()[:32]


def _keys(ip: str, name: str) -> tuple[str, str, str, str]:
    bucket = int(time.time() // _window())
    account = _digest(name)
    return (
        f"login:pair:{ip}:{account}:{bucket}",
        f"login:ip:{ip}:{bucket}",
        f"login:account:{account}:{bucket}",
        f"login:known:{ip}:{account}",
    )


def seconds_to_wait(ip: str, name: str) -> int:
    """Count one sign-in attempt for ``name`` from ``ip``; 0 if it may be checked,
    else the seconds until it may. Raises ``ratelimit.Unavailable``."""
    per_pair = int(settings.FIRSTHAND_LOGIN_ATTEMPTS)
    if per_pair <= 0:
        return 0  # throttling turned off
    window = _window()
    pair, per_ip, account, known = _keys(ip, name)
    wait = max(1, math.ceil(window - time.time() % window))
    with ratelimit.together():
        if ratelimit.count(pair, timeout=2 * window) > per_pair:
            return wait
        if ratelimit.count(per_ip, timeout=2 * window) > 4 * per_pair:
            return wait
        if ratelimit.read(known) is None and (
            ratelimit.count(account, timeout=2 * window) > 40 * per_pair
        ):
            return wait
    return 0


def signed_in(ip: str, name: str) -> None:
    """A correct password: this address starts afresh for this account, and is
    known to it from now on."""
    pair, _, _, known = _keys(ip, name)
    with ratelimit.together():
        ratelimit.forget(pair)
        ratelimit.forget(known)
        ratelimit.claim(known, 1, timeout=KNOWN_DAYS * 24 * 3600)


class ThrottledAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, counting each attempt before the password check.

    ``throttled`` is the Retry-After to answer with (0: not throttled), and
    ``unavailable`` says the shared cache could not be reached.
    """

    throttled = 0
    unavailable = False

    def clean(self) -> dict[str, Any]:
        name = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if name is None or not password:
            return super().clean()  # Django's own "required" errors; nothing hashed
        ip = client_ip(self.request) if self.request else None
        ip = ip or "unknown"
        try:
            wait = seconds_to_wait(ip, name)
        except ratelimit.Unavailable:
            self.unavailable, self.throttled = True, UNAVAILABLE_RETRY
            log.error("sign-in refused: the shared cache is unreachable ip=%s", ip)
            raise ValidationError(
                "Signing in is not possible for a moment. Please try again in a "
                "minute.",
                code="unavailable",
            ) from None
        if wait:
            self.throttled = wait
            log.warning("sign-in throttled ip=%s name=%r", ip, name)
            minutes = math.ceil(wait / 60)
            raise ValidationError(
                "Too many sign-in attempts. Please try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}.",
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            log.warning("sign-in failed ip=%s name=%r", ip, name)
            raise
        with contextlib.suppress(ratelimit.Unavailable):
            signed_in(ip, name)  # if not, signed in all the same; counters stay
        log.info("signed in ip=%s name=%r", ip, name)
        return cleaned


def admin_login(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    """The admin's login page, answering 429 (or 503) with Retry-After when the
    attempt was not checked; the page still shows the form with the name typed."""
    response = admin.site.login(request, extra_context)
    form = getattr(response, "context_data", None) or {}
    form = form.get("form")
    if isinstance(form, ThrottledAuthenticationForm) and form.throttled:
        response.status_code = 503 if form.unavailable else 429
        response["Retry-After"] = str(form.throttled)
    return response
