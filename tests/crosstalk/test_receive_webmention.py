"""Receiving Webmentions (W3C Recommendation), against a real source site on loopback.

Bob's site (``remote``) is an HTTP server on 127.0.0.1 serving the pages each test
gives it; the endpoint stores the mention and the verification, queued after
commit, runs at once (immediate task backend) and fetches the page through the
guarded door. Ada's posts are the targets; mallory sends what should be refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from firsthand.blog.models import Post
from firsthand.conversation import moderation
from firsthand.conversation.models import BlockRule, Response
from firsthand.crosstalk import receive, tasks, verify
from firsthand.crosstalk.models import Inbound
from tests.crosstalk import receiving
from tests.crosstalk.receiving import SENDER_IP, SITE, Send, Source, entry, target_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_minute")]

guard = receiving.guard
remote = receiving.remote
send_webmention = receiving.send_webmention

LATER = datetime.timedelta(minutes=2)  # past receive.REPEAT_WINDOW
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}


def later() -> Any:
    return time_machine.travel(timezone.now() + LATER, tick=False)


def thread(post: Post) -> list[Response]:
    return list(Response.objects.thread_of(post))


def test_a_mention_is_accepted_verified_and_shown_in_the_thread(
    client: Client, remote: Source, post: Post, send_webmention: Send
) -> None:
    target = target_of(post)
    source = remote.page("/notes/1", entry(target))
    answer = send_webmention(source, target)

    # Section 3.2.1: a status page means 201 Created with its URL in Location.
    assert answer.status_code == 201
    inbound = Inbound.objects.get()
    status_url = SITE + reverse("crosstalk:webmention-status", args=[inbound.token])
    assert answer["Location"] == status_url
    assert status_url in answer.content.decode()
    assert remote.fetches("/notes/1") == 1
    seen = remote.server.seen[0]
    assert seen.method == "GET"
    assert seen.headers["accept"].startswith("text/html")

    assert inbound.status == Inbound.Status.ACCEPTED
    assert (inbound.protocol, inbound.remote_ip) == ("webmention", SENDER_IP)
    (response,) = thread(post)
    assert inbound.response == response
    assert response.kind == Response.Kind.MENTION
    assert response.source == "webmention"
    assert response.source_url == source
    assert response.author_name == "Bob Reader"
    assert response.author_url == remote.url("/about")
    assert response.body.startswith("[…] Some context first.")
    assert "her post on prices" in response.body
    assert response.ip_address == SENDER_IP
    post.refresh_from_db()
    assert post.response_count == 1

    page = client.get(post.get_absolute_url())
    assert "her post on prices" in page.content.decode()


@pytest.mark.parametrize(
    ("prop", "kind"),
    [
        ("in-reply-to", Response.Kind.REPLY),
        ("like-of", Response.Kind.LIKE),
        ("repost-of", Response.Kind.REPOST),
    ],
)
def test_the_kind_comes_from_microformats(
    remote: Source, post: Post, send_webmention: Send, prop: str, kind: str
) -> None:
    target = target_of(post)
    text = "Publishing prices saved me hours every week."
    source = remote.page("/r/1", entry(target, prop=prop, text=text))
    assert send_webmention(source, target).status_code == 201
    (response,) = thread(post)
    assert response.kind == kind
    assert response.author_name == "Bob Reader"
    if kind == Response.Kind.LIKE:
        assert response.body == ""
    else:
        assert response.body == text


def test_an_update_replaces_the_response_in_place(
    remote: Source, post: Post, make_post: Callable[..., Post], send_webmention: Send
) -> None:
    target = target_of(post)
    other = make_post("Another post")
    # A mention of another post first: numbers are per post all the same.
    send_webmention(remote.page("/first", entry(target_of(other))), target_of(other))
    source = remote.page("/r/1", entry(target, prop="in-reply-to", text="First take."))
    send_webmention(source, target)
    (first,) = thread(post)

    remote.page("/r/1", entry(target, prop="in-reply-to", text="Second, better take."))
    with later():
        assert send_webmention(source, target).status_code == 201
    (updated,) = thread(post)
    assert (updated.pk, updated.number) == (first.pk, first.number)
    assert updated.body == "Second, better take."
    assert updated.edited_at is not None
    both = list(Inbound.objects.filter(source=source).order_by("pk"))
    assert [(i.status, i.response) for i in both] == [("accepted", updated)] * 2
    post.refresh_from_db()
    assert post.response_count == 1


def test_a_source_that_answers_410_removes_the_response(
    remote: Source, post: Post, send_webmention: Send
) -> None:
    target = target_of(post)
    source = remote.page("/r/1", entry(target))
    send_webmention(source, target)
    (response,) = thread(post)

    remote.gone("/r/1")
    with later():
        assert send_webmention(source, target).status_code == 201
    latest = Inbound.objects.order_by("-pk").first()
    assert latest is not None
    assert latest.status == Inbound.Status.REMOVED
    assert "410" in latest.reason
    response.refresh_from_db()
    assert response.status == Response.Status.REMOVED
    assert thread(post) == []
    post.refresh_from_db()
    assert post.response_count == 0


def test_a_source_that_no_longer_links_removes_the_response(
    remote: Source, post: Post, send_webmention: Send
) -> None:
    target = target_of(post)
    source = remote.page("/r/1", entry(target, prop="in-reply-to"))
    send_webmention(source, target)
    assert len(thread(post)) == 1

    remote.page("/r/1", "<p>I took the link out.</p>")
    with later():
        send_webmention(source, target)
    assert Inbound.objects.order_by("-pk")[0].status == Inbound.Status.REMOVED
    assert thread(post) == []

    # Linking again brings it back, with its number.
    remote.page("/r/1", entry(target, prop="in-reply-to", text="Back again."))
    with time_machine.travel(timezone.now() + 2 * LATER, tick=False):
        send_webmention(source, target)
    (back,) = thread(post)
    assert (back.number, back.body) == (1, "Back again.")


def test_a_new_source_without_the_link_is_rejected_with_the_reason(
    client: Client, remote: Source, post: Post, send_webmention: Send
) -> None:
    target = target_of(post)
    source = remote.page("/r/1", "<p>Nothing to see.</p>")
    answer = send_webmention(source, target)
    assert answer.status_code == 201  # the check happens after the answer
    inbound = Inbound.objects.get()
    assert inbound.status == Inbound.Status.REJECTED
    assert inbound.reason == "the source does not link to the target"
    assert thread(post) == []
    status = client.get(answer["Location"])
    assert status.status_code == 200
    text = " ".join(BeautifulSoup(status.content, "html.parser").get_text().split())
    assert "Refused (see reason): the source does not link to the target" in text


def test_the_status_page_follows_the_mention(
    client: Client,
    remote: Source,
    post: Post,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    target = target_of(post)
    source = remote.page("/r/1", entry(target))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = client.post(
            reverse("crosstalk:webmention"), {"source": source, "target": target}
        )
    # A second sending while the first still waits is the same mention.
    again = client.post(
        reverse("crosstalk:webmention"), {"source": source, "target": target}
    )
    assert again["Location"] == answer["Location"]
    assert Inbound.objects.count() == 1
    waiting = client.get(answer["Location"])
    assert "has not been checked yet" in waiting.content.decode()

    for callback in queued:
        callback()
    shown = client.get(answer["Location"]).content.decode()
    assert "Verified and handed to the conversation" in shown
    (response,) = thread(post)
    assert response.get_absolute_url() in shown
    assert client.get("/webmention/status/no-such-token/").status_code == 404


@pytest.mark.parametrize(
    ("source", "target", "reason"),
    [
        ("", "{target}", "The source URL is missing."),
        ("https://bob.example/1", "", "The target URL is missing."),
        ("ftp://bob.example/1", "{target}", "http:// or https://"),
        ("https://bob.example/" + "x" * 1000, "{target}", "longer than 1000"),
        ("{target}", "{target}", "the same URL"),
        ("https://bob.example/1", "https://elsewhere.example/p/", "not on this site"),
        ("https://bob.example/1", SITE + "/2001/01/01/nothing/", "does not exist"),
        ("https://bob.example/1", SITE + "/no/such/page/", "does not exist"),
        ("https://bob.example/1", SITE + "/tags/", "not a post"),
        (SITE + "/about/", "{target}", "on this site"),
    ],
)
def test_a_bad_request_gets_400_with_the_reason(
    client: Client, guard: Any, post: Post, source: str, target: str, reason: str
) -> None:
    fields = {
        "source": source.format(target=target_of(post)),
        "target": target.format(target=target_of(post)),
    }
    answer = client.post(reverse("crosstalk:webmention"), fields)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "text/plain; charset=utf-8"
    assert reason in answer.content.decode()
    assert not Inbound.objects.exists()
    assert guard.blocked == []


def test_drafts_and_closed_posts_take_no_mentions(
    client: Client, make_post: Callable[..., Post]
) -> None:
    draft = make_post("Not yet", draft=True)
    closed = make_post("Closed")
    closed.comments_open = False
    closed.save()
    for post, reason in ((draft, "does not exist"), (closed, "closed")):
        fields = {"source": "https://bob.example/1", "target": target_of(post)}
        answer = client.post(reverse("crosstalk:webmention"), fields)
        assert answer.status_code == 400
        assert reason in answer.content.decode()
    assert not Inbound.objects.exists()


def test_a_target_with_a_fragment_or_without_its_last_slash_is_the_post(
    remote: Source, post: Post, send_webmention: Send
) -> None:
    bare = target_of(post).rstrip("/")
    source = remote.page("/r/1", entry(bare))
    assert send_webmention(source, bare + "#comment-1").status_code == 201
    assert Inbound.objects.get().post == post
    assert len(thread(post)) == 1


def test_the_source_is_fetched_only_through_the_guard(
    guard: Any, post: Post, send_webmention: Send
) -> None:
    """A source on a private address is refused by fetch.py, never connected to."""
    answer = send_webmention("http://127.0.0.1:9/secret", target_of(post))
    assert answer.status_code == 201
    inbound = Inbound.objects.get()
    assert inbound.status == Inbound.Status.REJECTED
    assert "loopback" in inbound.reason
    assert guard.blocked == []


def test_the_spam_layers_judge_the_source_text(
    remote: Source, post: Post, send_webmention: Send
) -> None:
    BlockRule.objects.create(kind="word", value="casino", action="hold")
    target = target_of(post)
    source = remote.page("/r/1", entry(target, text="Best online casino bonus."))
    send_webmention(source, target)
    response = Response.objects.get()
    assert response.status == Response.Status.PENDING
    assert "casino" in response.explanation
    assert Inbound.objects.get().status == Inbound.Status.ACCEPTED
    assert thread(post) == []


def test_flood_control_counts_per_sender_address(
    remote: Source,
    make_post: Callable[..., Post],
    send_webmention: Send,
    settings: Settings,
) -> None:
    settings.FIRSTHAND_FLOOD_INTERVAL = 15
    first, second = make_post(), make_post()
    for n, post in enumerate((first, second)):
        remote.page(f"/r/{n}", entry(target_of(post), text=f"Thought {n}."))
    send_webmention(remote.url("/r/0"), target_of(first))
    send_webmention(remote.url("/r/1"), target_of(second))
    refused = Inbound.objects.get(post=second)
    assert refused.status == Inbound.Status.REJECTED
    assert "faster than this site allows" in refused.reason
    # Another sender is not held back by the first one's pace.
    remote.page("/r/2", entry(target_of(second), text="Thought 2."))
    send_webmention(remote.url("/r/2"), target_of(second), ip="198.51.100.20")
    assert len(thread(second)) == 1


def test_one_sender_and_one_source_host_are_rate_limited(
    client: Client, post: Post
) -> None:
    url = reverse("crosstalk:webmention")
    closed = {"source": "https://bob.example/1", "target": SITE + "/nothing/"}
    for _ in range(receive.PER_SENDER_PER_MINUTE):
        assert client.post(url, closed, REMOTE_ADDR="192.0.2.1").status_code == 400
    refused = client.post(url, closed, REMOTE_ADDR="192.0.2.1")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60

    victim = {"target": SITE + "/nothing/"}
    for n in range(receive.PER_SOURCE_HOST_PER_MINUTE):
        fields = {**victim, "source": f"https://victim.example/{n}"}
        assert (
            client.post(url, fields, REMOTE_ADDR=f"198.51.100.{n}").status_code == 400
        )
    fields = {**victim, "source": "https://victim.example/x"}
    answer = client.post(url, fields, REMOTE_ADDR="203.0.113.99")
    assert answer.status_code == 429
    assert "victim.example" in answer.content.decode()


def test_a_repeat_within_the_window_is_not_fetched_again(
    remote: Source, post: Post, send_webmention: Send
) -> None:
    target = target_of(post)
    source = remote.page("/r/1", entry(target))
    send_webmention(source, target)
    again = send_webmention(source, target)
    assert again.status_code == 429
    assert int(again["Retry-After"]) <= 60
    assert remote.fetches() == 1


def test_with_a_worker_a_quick_update_waits_for_the_window(
    remote: Source, post: Post, send_webmention: Send, settings: Settings
) -> None:
    """Section 3.2.4 updates are never lost: one sent within the window is kept
    and verified when the window has passed (one fetch per window all the same)."""
    target = target_of(post)
    source = remote.page("/r/1", entry(target))
    send_webmention(source, target)
    first = Inbound.objects.get()
    settings.TASKS = DATABASE_TASKS
    answer = send_webmention(source, target)
    assert answer.status_code == 201
    waiting = Inbound.objects.exclude(pk=first.pk).get()
    assert waiting.status == Inbound.Status.RECEIVED
    job = DBTaskResult.objects.get(status="READY")
    assert job.args_kwargs["args"] == [waiting.pk, 1]
    assert job.run_after == first.created_at + receive.REPEAT_WINDOW
    assert remote.fetches() == 1
    # Sent a third time meanwhile: the same waiting mention.
    assert send_webmention(source, target)["Location"] == answer["Location"]
    assert DBTaskResult.objects.count() == 1


def test_a_burst_of_mentions_to_many_posts_is_held(
    remote: Source, make_post: Callable[..., Post], send_webmention: Send
) -> None:
    posts = [make_post() for _ in range(verify.BURST_POSTS + 1)]
    for n, post in enumerate(posts):
        remote.page(f"/r/{n}", entry(target_of(post), text=f"Point number {n}."))
        send_webmention(remote.url(f"/r/{n}"), target_of(post), ip=f"198.51.100.{n}")
    statuses = [Response.objects.get(post=p).status for p in posts]
    assert statuses == ["visible"] * verify.BURST_POSTS + ["pending"]
    held = Inbound.objects.get(post=posts[-1])
    assert held.status == Inbound.Status.ACCEPTED
    assert "127.0.0.1 mentioned 6 different posts in 10 minutes" in held.reason
    assert "6 different posts" in Response.objects.get(post=posts[-1]).explanation


def test_a_busy_source_is_tried_again_later(
    remote: Source, post: Post, settings: Settings
) -> None:
    settings.TASKS = DATABASE_TASKS
    target = target_of(post)
    source = remote.page("/r/1", "busy", status=503)
    inbound = Inbound.objects.create(
        protocol="webmention", source=source, target=target, post=post
    )
    with pytest.raises(tasks.VerificationFailed):
        tasks.verify_inbound_task.call(inbound.pk, 1)
    inbound.refresh_from_db()
    assert inbound.status == Inbound.Status.RECEIVED
    assert "attempt 1 failed (the source answered 503)" in inbound.reason
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"] == [inbound.pk, 2]
    wait = retry.run_after - timezone.now()
    assert datetime.timedelta(seconds=50) < wait <= datetime.timedelta(seconds=60)

    assert verify.verify(inbound.pk, verify.MAX_ATTEMPTS).error
    inbound.refresh_from_db()
    assert inbound.status == Inbound.Status.FAILED
    assert inbound.reason.startswith("gave up after 5 attempts")


def test_without_a_worker_a_network_failure_fails_at_once(
    remote: Source, post: Post, send_webmention: Send
) -> None:
    target = target_of(post)
    source = remote.page("/r/1", "broken", status=500)
    send_webmention(source, target)
    inbound = Inbound.objects.get()
    assert inbound.status == Inbound.Status.FAILED
    assert "the source answered 500" in inbound.reason


def test_get_explains_the_endpoint(client: Client) -> None:
    answer = client.get(reverse("crosstalk:webmention"))
    assert answer.status_code == 405
    assert "source=" in answer.content.decode()


def test_the_endpoint_needs_no_csrf_token(post: Post, guard: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    fields = {"source": "https://bob.example/1", "target": target_of(post)}
    with_token = strict.post(reverse("crosstalk:webmention"), fields)
    assert with_token.status_code == 201


def test_the_article_page_advertises_the_endpoint(client: Client, post: Post) -> None:
    page = client.get(post.get_absolute_url())
    endpoint = SITE + reverse("crosstalk:webmention")
    assert f'<{endpoint}>; rel="webmention"' in page["Link"]
    soup = BeautifulSoup(page.content, "html.parser")
    links = soup.select('head link[rel="webmention"]')
    assert [link["href"] for link in links] == [endpoint]


def test_a_draft_preview_advertises_nothing_in_its_head(
    ada_client: Client, make_post: Callable[..., Post]
) -> None:
    draft = make_post("Not yet", draft=True)
    page = ada_client.get(draft.get_absolute_url())
    assert page.status_code == 200
    soup = BeautifulSoup(page.content, "html.parser")
    assert soup.select('head link[rel="webmention"]') == []


@pytest.mark.parametrize("form", ["anchor", "permalink"])
def test_a_reply_to_a_comment_is_nested_under_that_comment(
    remote: Source,
    post: Post,
    send_webmention: Send,
    comment_on: Callable[..., Response],
    form: str,
) -> None:
    comment_on(post, author_name="Mina Okafor")
    if form == "anchor":
        target = f"{target_of(post)}#comment-1"
    else:
        target = f"{target_of(post)}comments/1/"
    source = remote.page("/r/1", entry(target, prop="in-reply-to", text="Agreed."))
    assert send_webmention(source, target).status_code == 201
    first, reply = thread(post)
    assert reply.kind == Response.Kind.REPLY
    assert reply.parent_id == first.pk
    assert reply.path == f"{first.path}.0000002"


def test_a_reply_to_a_comment_no_longer_shown_answers_the_post(
    remote: Source,
    post: Post,
    send_webmention: Send,
    comment_on: Callable[..., Response],
) -> None:
    moderation.remove(comment_on(post))
    target = f"{target_of(post)}comments/1/"
    source = remote.page("/r/1", entry(target, prop="in-reply-to", text="Agreed."))
    assert send_webmention(source, target).status_code == 201
    (reply,) = thread(post)
    assert reply.parent_id is None
    assert reply.number == 2
