"""The SSRF address corpus (security-test-plan test 20) and a fake DNS.

Every fetch site is tested against the same list (plan test 21): the outbound door
itself (tests/crosstalk/test_fetch.py), received Webmention and pingback sources,
reblog sources, endpoints discovered when sending, WebSub callbacks
(tests/hostile/test_fetch_sites.py). ``{c}`` is a canary server's port: had the guard
let an entry through, the canary would count a hit.
"""

from __future__ import annotations

from collections.abc import Callable

from firsthand.crosstalk.fetch import FetchError


def fake_dns(names: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver that knows only ``names``: tests never ask real DNS."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise FetchError(f"cannot resolve {host}")
        return names[host]

    return resolve


DNS = fake_dns(
    {
        "localhost": ["127.0.0.1"],
        "sneaky.example": ["127.0.0.1"],
        "split.example": ["93.184.215.14", "10.0.0.7"],
        "metadata.example": ["169.254.169.254"],
    }
)

REFUSED = [
    "http://127.0.0.1:{c}/",
    "http://localhost:{c}/",
    "http://LOCALHOST.:{c}/",
    "http://sneaky.example:{c}/",
    "http://split.example:{c}/",
    "http://metadata.example/latest/meta-data/",
    "http://127.1:{c}/",
    "http://0177.0.0.1:{c}/",
    "http://2130706433:{c}/",
    "http://0x7f000001:{c}/",
    "http://0x7f.1:{c}/",
    "http://0:{c}/",
    "http://0.0.0.0:{c}/",
    "http://[::1]:{c}/",
    "http://[::]:{c}/",
    "http://[::ffff:127.0.0.1]:{c}/",
    "http://[::ffff:7f00:1]:{c}/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{c}/",
    "http://[::127.0.0.1]:{c}/",
    "http://[64:ff9b::7f00:1]:{c}/",
    "http://[2002:7f00:1::]:{c}/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://[fd00::1]/",
    "http://[fe80::1%25lo]/",
    "http://allowed@127.0.0.1:{c}/",
    "http://127.0.0.1:{c}#@allowed/",
    "http://allowed\\@127.0.0.1:{c}/",
    "http://127.0.0.1\t:{c}/",
    "http://127.0.0.1\n:{c}/",
    "http://127.0.\n0.1:{c}/",
    # IDN: circled letters that NFKC turns into "localhost"
    "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3:{c}/",
    "http://sneaky.example.:{c}/",
    "http://\uff11\uff12\uff17.0.0.1:{c}/",  # full-width digits
    "file:///etc/passwd",
    "gopher://127.0.0.1:{c}/",
    "ftp://127.0.0.1:{c}/",
    "dict://127.0.0.1:{c}/",
    "data:text/plain,hello",
    "javascript:alert(1)",
]
