from __future__ import annotations

import time

import pytest

from firsthand.conversation.spam import text


def test_links_finds_markdown_autolinks_and_bare_addresses_in_order() -> None:
    found = text.links(
        'A [post](https://a.example/x "title"), an image ![i](http://b.example/i.png),'
        " <https://c.example/y>, https://d.example/z. and www.e.example."
    )
    assert found == [
        "https://a.example/x",
        "http://b.example/i.png",
        "https://c.example/y",
        "https://d.example/z",
        "www.e.example",
    ]


def test_an_email_address_is_not_a_link() -> None:
    assert text.links("write to bob@example.org") == []
    assert text.bare_domains("write to bob@example.org") == []


def test_bare_domains_need_a_known_top_level_domain_or_are_ignored() -> None:
    assert text.bare_domains("gofundme.com/grwmps or shop.ru, not e.g. or node.js") == [
        "gofundme.com/grwmps",
        "shop.ru",
    ]


def test_without_links_keeps_the_labels() -> None:
    assert text.without_links("see [my notes](https://a.example) or x.com").split() == [
        "see",
        "my",
        "notes",
        "or",
    ]


@pytest.mark.parametrize(
    ("url", "host", "site"),
    [
        ("https://www.Example.org/a", "example.org", "example.org"),
        ("m.facebook.com/page", "m.facebook.com", "facebook.com"),
        ("http://news.bbc.co.uk/x", "news.bbc.co.uk", "bbc.co.uk"),
        ("https://[not-a-host", "", ""),
    ],
)
def test_host_and_site(url: str, host: str, site: str) -> None:
    assert text.host(url) == host
    assert text.site(text.host(url)) == site


def test_words_are_lower_case_with_stretches_squeezed() -> None:
    assert text.words("SOOOO Goooood, don\u2019t stop!") == [
        "soo",
        "good",
        "dont",
        "stop",
    ]


@pytest.mark.parametrize(
    "body",
    ["[a](" * 5000, "[" * 20000, "<http://" * 2500, "a." * 10000, "1," * 10000],
)
def test_hostile_input_is_read_in_linear_time(body: str) -> None:
    started = time.perf_counter()
    text.links(body)
    text.bare_domains(body)
    text.without_links(body)
    assert time.perf_counter() - started < 0.5
