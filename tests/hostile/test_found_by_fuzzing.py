"""Bugs the fuzz targets found (tests/fuzz/), kept as ordinary tests at the place a
stranger would reach them. The inputs themselves replay in
tests/fuzz/test_regressions.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from firsthand.blog.models import Post
from firsthand.crosstalk.fetch import refusal
from firsthand.portability.importer import ImportFailed, import_wxr
from firsthand.syndication.models import Subscription
from tests.portability.wxr_files import FOOTER, HEADER

pytestmark = pytest.mark.django_db

# An IPv6 zone of non-ASCII letters: httpx parses the URL, then cannot encode its
# host; the guard raised UnicodeEncodeError instead of refusing.
ZONED = "http://[de51::1%\u038b\u00a1\u03cf:]/"


def test_a_non_ascii_ipv6_zone_is_refused_not_raised() -> None:
    assert refusal(ZONED) is not None


def test_the_websub_hub_answers_such_a_callback_with_a_clear_400(
    client: Client,
) -> None:
    answer = client.post(
        reverse("syndication:websub-hub"),
        {
            "hub.mode": "subscribe",
            "hub.topic": "http://testserver/feeds/posts.atom",
            "hub.callback": ZONED,
        },
    )
    assert answer.status_code == 400
    assert "hub.callback" in answer.content.decode()
    assert not Subscription.objects.exists()


def test_an_export_in_a_multibyte_encoding_is_a_clear_error(tmp_path: Path) -> None:
    """WordPress writes the blog's charset in the XML declaration; expat cannot
    read UTF-7, Shift_JIS or EUC-JP and raised a bare ValueError; an unknown one
    (UTF-4) raised LookupError."""
    for encoding in ("UTF-7", "Shift_JIS", "EUC-JP", "UTF-4"):
        path = tmp_path / f"{encoding}.xml"
        text = HEADER.replace('encoding="UTF-8"', f'encoding="{encoding}"') + FOOTER
        path.write_bytes(text.encode("ascii"))
        with pytest.raises(ImportFailed, match="convert it to UTF-8") as failure:
            import_wxr(path)
        assert failure.value.line == 1
        assert encoding in str(failure.value) or "encoding" in str(failure.value)
    assert not Post.everything.exists()
