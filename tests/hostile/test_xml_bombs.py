"""XML bombs and external entities at the XML-RPC (pingback) endpoint and in
WordPress imports (plan §1.5, §3.1 tests 17 and 18): each is a clear refusal, no
file is read, no connection is made, and nothing is stored.

tests/crosstalk/test_receive_pingback.py and tests/portability/test_import.py hold
the first vectors (billion laughs, an http external entity, an external DTD); these
are the rest of the plan's list.
"""

from __future__ import annotations

import gzip
import time
import tracemalloc
import xmlrpc.client
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from firsthand.crosstalk.models import Inbound
from firsthand.crosstalk.protocols import pingback
from firsthand.portability.importer import ImportFailed, import_wxr
from tests.crosstalk import receiving
from tests.crosstalk.receiving import Source, fault_code, target_of, xmlrpc_answer
from tests.portability.wxr_files import FOOTER, HEADER, item

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_minute")]

guard = receiving.guard
remote = receiving.remote

SECRET_FILE = "/etc/hostname"

QUADRATIC = (
    '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY a "'
    + "a" * 20_000
    + '">]>\n<methodCall><methodName>pingback.ping</methodName><params>'
    + "<param><value><string>"
    + "&a;" * 5_000
    + "</string></value></param></params></methodCall>"
)


def _call(inner: str) -> str:
    return (
        "<methodCall><methodName>pingback.ping</methodName><params>"
        f"{inner}</params></methodCall>"
    )


def _hostile_calls(canary: str) -> dict[str, bytes]:
    entity = '<!DOCTYPE m [<!ENTITY x SYSTEM "{}">]>'
    param = '<!DOCTYPE m [<!ENTITY % p SYSTEM "{}"> %p;]>'
    string = "<param><value><string>&x;</string></value></param>"
    deep = "<value><array><data>" * 1_500 + "</data></array></value>" * 1_500
    return {
        "quadratic blowup": QUADRATIC.encode(),
        "external entity, file": (
            entity.format(f"file://{SECRET_FILE}") + _call(string * 2)
        ).encode(),
        "external entity, http": (entity.format(canary) + _call(string * 2)).encode(),
        "external DTD": (f'<!DOCTYPE m SYSTEM "{canary}">' + _call("")).encode(),
        "parameter entity": (param.format(canary) + _call("")).encode(),
        "internal subset, no entity": ("<!DOCTYPE m []>" + _call("")).encode(),
        "xinclude": (
            '<methodCall xmlns:xi="http://www.w3.org/2001/XInclude">'
            "<methodName>pingback.ping</methodName><params><param><value><string>"
            f'<xi:include href="file://{SECRET_FILE}" parse="text"/>'
            "</string></value></param></params></methodCall>"
        ).encode(),
        "deep nesting": _call(f"<param>{deep}</param>").encode(),
        "huge integer": _call(
            f"<param><value><int>{'9' * 50_000}</int></value></param>"
        ).encode(),
        "huge double": _call(
            "<param><value><double>1e99999</double></value></param>"
        ).encode(),
        "invalid UTF-8": _call(
            "<param><value><string>\udcff</string></value></param>"
        ).encode("utf-8", "surrogateescape"),
        "a NUL": _call(
            "<param><value><string>a\x00b</string></value></param>"
        ).encode(),
        "a huge method name": (
            f"<methodCall><methodName>{'m' * 60_000}</methodName></methodCall>"
        ).encode(),
    }


def _post(client: Client, body: bytes, **extra: Any) -> Any:
    return client.post(
        reverse("crosstalk:xmlrpc"), body, content_type="text/xml", **extra
    )


def test_every_xml_attack_is_a_fault_and_touches_nothing(
    client: Client, post: Post, remote: Source
) -> None:
    canary = remote.url("/evil")
    secret = Path(SECRET_FILE).read_text(encoding="utf-8").strip()
    tracemalloc.start()
    try:
        for name, body in _hostile_calls(canary).items():
            assert len(body) <= 64 * 1024, name  # under the endpoint's size cap
            started = time.monotonic()
            answer = _post(client, body)
            took = time.monotonic() - started
            assert answer.status_code == 200, name
            code = fault_code(answer)
            assert code in {
                pingback.PARSE_ERROR,
                pingback.INVALID_PARAMS,
                pingback.UNKNOWN_METHOD,
            }, (name, code)
            assert secret not in answer.content.decode("utf-8", "replace"), name
            assert took < 5, (name, took)  # refused before anything is expanded
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024
    assert remote.fetches() == 0
    assert not Inbound.objects.exists()


def test_a_gzipped_body_is_not_inflated(client: Client, remote: Source) -> None:
    """1 GB of zeros is about 1 MB gzipped: over the cap, refused unread. A small
    gzipped call is not XML, and is a parse fault (nothing inflates it)."""
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    answer = _post(client, bomb, HTTP_CONTENT_ENCODING="gzip")
    assert answer.status_code in {200, 413}
    if answer.status_code == 200:
        assert fault_code(answer) == pingback.PARSE_ERROR
    call = xmlrpc.client.dumps(
        (remote.url("/a"), "https://x.example/"), "pingback.ping"
    )
    small = _post(client, gzip.compress(call.encode()), HTTP_CONTENT_ENCODING="gzip")
    assert fault_code(small) == pingback.PARSE_ERROR
    assert remote.fetches() == 0


def test_the_endpoint_still_answers_a_real_call_after_the_attacks(
    client: Client, post: Post, remote: Source
) -> None:
    source = remote.page("/ok", f'<a href="{target_of(post)}">a post</a>')
    for body in _hostile_calls(remote.url("/evil")).values():
        _post(client, body)
    call = xmlrpc.client.dumps((source, target_of(post)), "pingback.ping")
    assert xmlrpc_answer(_post(client, call.encode())) == pingback.SUCCESS


# --- WordPress imports -----------------------------------------------------------


def _wxr(doctype: str = "", body: str = "Hello.", post_id: str = "7") -> str:
    header = HEADER.replace('<?xml version="1.0" encoding="UTF-8" ?>\n', "")
    text = item(7, "A post", body=body).replace(
        "<wp:post_id>7</wp:post_id>", f"<wp:post_id>{post_id}</wp:post_id>"
    )
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n{doctype}{header}{text}{FOOTER}'


def test_wxr_attacks_are_refused_with_the_reason_and_nothing_imported(
    tmp_path: Path, remote: Source
) -> None:
    canary = remote.url("/evil.dtd")
    cases = {
        "quadratic blowup": _wxr(
            '<!DOCTYPE rss [<!ENTITY a "' + "a" * 50_000 + '">]>\n',
            body="&a;" * 20_000,
        ),
        "external entity, file": _wxr(
            f'<!DOCTYPE rss [<!ENTITY s SYSTEM "file://{SECRET_FILE}">]>\n', body="&s;"
        ),
        "external entity, http": _wxr(
            f'<!DOCTYPE rss [<!ENTITY s SYSTEM "{canary}">]>\n', body="&s;"
        ),
        "parameter entity": _wxr(
            f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{canary}"> %p;]>\n'
        ),
        "external DTD over http": _wxr(f'<!DOCTYPE rss SYSTEM "{canary}">\n'),
    }
    secret = Path(SECRET_FILE).read_text(encoding="utf-8").strip()
    for name, text in cases.items():
        path = tmp_path / f"{name}.xml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ImportFailed, match="refused") as failure:
            import_wxr(path)
        assert secret not in str(failure.value), name
        assert Post.everything.count() == 0, name
    assert remote.fetches() == 0


def test_a_huge_post_id_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "odd.xml"
    path.write_text(_wxr(post_id="9" * 50_000), encoding="utf-8")
    with pytest.raises(ImportFailed, match="should be a number") as failure:
        import_wxr(path)
    assert failure.value.line == 19
    assert len(str(failure.value)) < 200  # the number is cut short in the message
    assert Post.everything.count() == 0


def test_deep_nesting_and_character_references_import_as_text(tmp_path: Path) -> None:
    """20,000 nested unknown elements are skipped; a NUL reference inside CDATA is
    text, kept as written."""
    deep = "<x>" * 20_000 + "</x>" * 20_000
    path = tmp_path / "odd.xml"
    path.write_text(
        _wxr(body="a&#0;b").replace("</channel>", deep + "</channel>"),
        encoding="utf-8",
    )
    import_wxr(path)
    assert [p.body for p in Post.everything.all()] == ["a&#0;b"]
    assert not Response.objects.exists()
