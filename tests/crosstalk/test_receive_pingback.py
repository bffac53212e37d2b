"""Receiving pingbacks: XML-RPC ``pingback.ping`` with the spec's fault codes, the
XML defences, and the amplification WordPress's endpoint allowed.

Answers are read with the standard library's XML-RPC reader, as a sending blog
would; faults are compared by code (Pingback 1.0, "Error codes").
"""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from firsthand.blog.models import Post
from firsthand.conversation.models import Response
from firsthand.crosstalk import receive
from firsthand.crosstalk.models import Inbound
from firsthand.crosstalk.protocols import pingback
from tests.crosstalk import receiving
from tests.crosstalk.receiving import (
    SITE,
    Send,
    Source,
    entry,
    fault_code,
    target_of,
    xmlrpc_answer,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_minute")]

guard = receiving.guard
remote = receiving.remote
send_pingback = receiving.send_pingback


def post_xml(client: Client, body: bytes | str, **extra: Any) -> Any:
    return client.post(
        reverse("crosstalk:xmlrpc"), body, content_type="text/xml", **extra
    )


def test_a_pingback_is_accepted_verified_and_shown_as_an_excerpt(
    remote: Source, post: Post, send_pingback: Send
) -> None:
    target = target_of(post)
    source = remote.page("/notes/1", entry(target, title="Prices, again"))
    answer = send_pingback(source, target)
    assert answer.status_code == 200
    assert xmlrpc_answer(answer) == pingback.SUCCESS
    inbound = Inbound.objects.get()
    assert (inbound.protocol, inbound.status) == ("pingback", "accepted")
    response = Response.objects.get()
    assert inbound.response == response
    assert response.status == Response.Status.VISIBLE
    assert response.kind == Response.Kind.PINGBACK
    assert response.source == "pingback"
    assert response.author_name == "Bob's Notes"  # og:site_name
    assert response.source_title == "Prices, again"
    assert response.body.startswith("[…] Some context first.")
    assert response.body.endswith("[…]")


def test_the_wordpress_address_answers_too(
    remote: Source, post: Post, send_pingback: Send
) -> None:
    target = target_of(post)
    source = remote.page("/notes/1", entry(target))
    answer = send_pingback(source, target, path="/xmlrpc.php")
    assert xmlrpc_answer(answer) == pingback.SUCCESS
    assert Response.objects.get().kind == "pingback"


def test_the_same_pingback_twice_is_already_registered(
    remote: Source, post: Post, send_pingback: Send
) -> None:
    target = target_of(post)
    source = remote.page("/notes/1", entry(target))
    assert xmlrpc_answer(send_pingback(source, target)) == pingback.SUCCESS
    assert fault_code(send_pingback(source, target)) == pingback.ALREADY_REGISTERED
    assert remote.fetches() == 1
    assert Response.objects.count() == 1


def test_a_source_without_the_link_is_refused_after_verification(
    remote: Source, post: Post, send_pingback: Send
) -> None:
    target = target_of(post)
    source = remote.page("/notes/1", "<p>No link here.</p>")
    assert xmlrpc_answer(send_pingback(source, target)) == pingback.SUCCESS
    inbound = Inbound.objects.get()
    assert inbound.status == Inbound.Status.REJECTED
    assert inbound.reason == "the source does not link to the target"
    # Asked again at once: answered from what is stored, not fetched again.
    again = send_pingback(source, target)
    assert again.status_code == 429
    assert fault_code(again) == pingback.ACCESS_DENIED
    assert remote.fetches() == 1


def test_a_gone_source_is_refused(
    remote: Source, post: Post, send_pingback: Send
) -> None:
    remote.gone("/notes/1")
    send_pingback(remote.url("/notes/1"), target_of(post))
    assert Inbound.objects.get().status == Inbound.Status.REJECTED
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("source", "target", "code"),
    [
        ("ftp://bob.example/1", "{target}", pingback.SOURCE_NOT_FOUND),
        ("https://bob.example/1", "mailto:ada@example.com", pingback.TARGET_NOT_FOUND),
        (
            "https://bob.example/1",
            "https://elsewhere.example/p/",
            pingback.TARGET_INVALID,
        ),
        (
            "https://bob.example/1",
            SITE + "/2001/01/01/nothing/",
            pingback.TARGET_NOT_FOUND,
        ),
        ("https://bob.example/1", SITE + "/tags/", pingback.TARGET_INVALID),
        (SITE + "/", "{target}", pingback.ACCESS_DENIED),
        ("{target}", "{target}", pingback.GENERIC),
    ],
)
def test_cheap_checks_answer_faults_at_once(
    client: Client, guard: Any, post: Post, source: str, target: str, code: int
) -> None:
    body = xmlrpc.client.dumps(
        (source.format(target=target_of(post)), target.format(target=target_of(post))),
        "pingback.ping",
    )
    assert fault_code(post_xml(client, body)) == code
    assert not Inbound.objects.exists()
    assert guard.blocked == []


def test_drafts_closed_posts_and_closed_pings_are_faults(
    client: Client, make_post: Callable[..., Post], settings: Settings
) -> None:
    draft = make_post("Draft", draft=True)
    closed = make_post("Closed")
    closed.comments_open = False
    closed.save()
    no_pings = make_post("No pings")
    no_pings.pings_open = False
    no_pings.save()
    open_post = make_post("Open")

    def ping(post: Post) -> int:
        body = xmlrpc.client.dumps(
            ("https://bob.example/1", target_of(post)), "pingback.ping"
        )
        return fault_code(post_xml(client, body))

    assert ping(draft) == pingback.TARGET_NOT_FOUND
    assert ping(closed) == pingback.TARGET_INVALID
    assert ping(no_pings) == pingback.TARGET_INVALID
    settings.FIRSTHAND_PINGS_ENABLED = False
    assert ping(open_post) == pingback.TARGET_INVALID
    assert not Inbound.objects.exists()


# --- XML-RPC itself ----------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>pingback.ping</methodName><params>
<param><value><string>&lol9;</string></value></param>
<param><value><string>&lol9;</string></value></param>
</params></methodCall>"""


def external_entity(url: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE call [<!ENTITY ext SYSTEM "{url}">]>
<methodCall><methodName>pingback.ping</methodName><params>
<param><value><string>&ext;</string></value></param>
<param><value><string>x</string></value></param>
</params></methodCall>""".encode()


def test_an_entity_bomb_is_refused_before_expansion(client: Client) -> None:
    answer = post_xml(client, BILLION_LAUGHS)
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc_answer(answer)
    assert raised.value.faultCode == pingback.PARSE_ERROR
    assert "DOCTYPE" in raised.value.faultString
    assert not Inbound.objects.exists()


def test_an_external_entity_is_never_fetched(client: Client, remote: Source) -> None:
    answer = post_xml(client, external_entity(remote.url("/secret")))
    assert fault_code(answer) == pingback.PARSE_ERROR
    assert remote.fetches() == 0


def test_an_oversize_body_is_refused_unread(client: Client) -> None:
    padding = "x" * (70 * 1024)
    body = xmlrpc.client.dumps((padding, "y"), "pingback.ping")
    answer = post_xml(client, body)
    assert answer.status_code == 413
    assert "65536 bytes" in answer.content.decode()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<methodCall><methodName>pingback.ping", pingback.PARSE_ERROR),
        (b"<notACall/>", pingback.PARSE_ERROR),
        (b"", pingback.PARSE_ERROR),
        (b"<methodCall><params/></methodCall>", pingback.PARSE_ERROR),
        (
            b"<methodCall><methodName>x</methodName><params><param><value><int>one</int>"
            b"</value></param></params></methodCall>",
            pingback.PARSE_ERROR,
        ),
        (xmlrpc.client.dumps(("only one",), "pingback.ping"), pingback.INVALID_PARAMS),
        (xmlrpc.client.dumps((1, 2), "pingback.ping"), pingback.INVALID_PARAMS),
        (xmlrpc.client.dumps((), "wp.getUsersBlogs"), pingback.UNKNOWN_METHOD),
    ],
)
def test_malformed_calls_are_faults(
    client: Client, body: bytes | str, code: int
) -> None:
    assert fault_code(post_xml(client, body)) == code


def test_list_methods_and_no_multicall(
    client: Client, post: Post, remote: Source
) -> None:
    methods = xmlrpc_answer(
        post_xml(client, xmlrpc.client.dumps((), "system.listMethods"))
    )
    assert methods == ["pingback.ping", "system.listMethods"]
    calls = [
        {
            "methodName": "pingback.ping",
            "params": [remote.url(f"/{n}"), target_of(post)],
        }
        for n in range(50)
    ]
    multicall = xmlrpc.client.dumps((calls,), "system.multicall")
    assert fault_code(post_xml(client, multicall)) == pingback.UNKNOWN_METHOD
    assert not Inbound.objects.exists()
    assert remote.fetches() == 0


def test_get_is_refused(client: Client) -> None:
    answer = client.get(reverse("crosstalk:xmlrpc"))
    assert answer.status_code == 405
    assert "POST" in answer.content.decode()


# --- Amplification (docs/protocols/pingback.md) ------------------------------------


def test_fifty_pingbacks_naming_one_victim_page_fetch_it_once(
    remote: Source, post: Post, send_pingback: Send
) -> None:
    """WordPress fetched the source for every call; here a (source, target) pair is
    fetched at most once per window, whoever asks."""
    victim = remote.page("/expensive-report", "<p>A page that links nowhere.</p>")
    for n in range(50):
        send_pingback(victim, target_of(post), ip=f"198.51.100.{n}")
    assert remote.fetches() == 1


def test_pingbacks_naming_one_victim_host_are_capped_per_minute(
    remote: Source, make_post: Callable[..., Post], send_pingback: Send
) -> None:
    """Different targets, different senders, one victim host: at most
    PER_SOURCE_HOST_PER_MINUTE fetches reach it in a minute."""
    posts = [make_post() for _ in range(receive.PER_SOURCE_HOST_PER_MINUTE + 10)]
    answers = [
        send_pingback(remote.url(f"/page/{n}"), target_of(p), ip=f"198.51.100.{n}")
        for n, p in enumerate(posts)
    ]
    assert remote.fetches() == receive.PER_SOURCE_HOST_PER_MINUTE
    refused = answers[receive.PER_SOURCE_HOST_PER_MINUTE :]
    assert {a.status_code for a in refused} == {429}
    assert {fault_code(a) for a in refused} == {pingback.ACCESS_DENIED}


def test_one_sender_is_rate_limited(client: Client, post: Post) -> None:
    body = xmlrpc.client.dumps(
        ("https://bob.example/1", SITE + "/nothing/"), "pingback.ping"
    )
    for _ in range(receive.PER_SENDER_PER_MINUTE):
        assert fault_code(post_xml(client, body)) == pingback.TARGET_NOT_FOUND
    refused = post_xml(client, body)
    assert refused.status_code == 429
    assert refused["Retry-After"].isdigit()


# --- Discovery ----------------------------------------------------------------------


def test_the_article_page_advertises_the_pingback_server(
    client: Client, post: Post
) -> None:
    page = client.get(post.get_absolute_url())
    server = SITE + reverse("crosstalk:xmlrpc")
    assert page["X-Pingback"] == server
    # Pingback 1.0 autodiscovery: exactly this form, found by a regular expression.
    assert f'<link rel="pingback" href="{server}">' in page.content.decode()


def test_closed_pings_are_not_advertised(
    client: Client, make_post: Callable[..., Post], settings: Settings
) -> None:
    quiet = make_post("Quiet")
    quiet.pings_open = False
    quiet.save()
    page = client.get(quiet.get_absolute_url())
    assert not BeautifulSoup(page.content, "html.parser").select('link[rel="pingback"]')

    settings.FIRSTHAND_PINGS_ENABLED = False
    open_post = make_post("Open")
    page = client.get(open_post.get_absolute_url())
    assert "X-Pingback" not in page
    assert not BeautifulSoup(page.content, "html.parser").select('link[rel="pingback"]')
    assert BeautifulSoup(page.content, "html.parser").select('link[rel="webmention"]')
