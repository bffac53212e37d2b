"""The oracle itself: it must still see what it is meant to see."""

from __future__ import annotations

from tests.oracle import active_content


def test_only_the_sites_own_script_files_pass() -> None:
    ours = '<script src="/static/firsthand/conversation.js" defer></script>'
    assert active_content(ours) == []
    for hostile in (
        '<script src="/static/firsthand/evil.js"></script>',
        '<script src="https://cdn.example.net/conversation.js"></script>',
        '<script src="/static/firsthand/conversation.js">alert(1)</script>',
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href=" javascript:alert(1)">x</a>',
    ):
        assert active_content(hostile), hostile
