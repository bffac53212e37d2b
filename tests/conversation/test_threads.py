"""Threads: replies nested under what they answer, one query, stable pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup, Tag
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from firsthand.blog.models import Post
from firsthand.conversation import intake, moderation, rules, thread
from firsthand.conversation.models import Response
from tests.conftest import submission_for
from tests.conversation.test_views import form_data, respond_url
from tests.conversation.threads import grow


def soup(client: Client, url: str) -> BeautifulSoup:
    page = client.get(url)
    assert page.status_code == 200, url
    return BeautifulSoup(page.content, "html5lib")


def item(page: BeautifulSoup, number: int) -> Tag:
    found = page.find("li", id=f"comment-{number}")
    assert isinstance(found, Tag), f"#{number} is not on the page"
    return found


def number_of(li: Tag) -> int:
    return int(str(li["data-number"]))


def numbers_in_order(page: BeautifulSoup) -> list[int]:
    return [number_of(li) for li in page.select("li.response")]


def parent_item(page: BeautifulSoup, number: int) -> int | None:
    """The number of the <li> a response is nested in, None at the top level."""
    above = item(page, number).find_parent("li")
    return number_of(above) if above else None


# --- The place in the thread (pure) ----------------------------------------------


def test_a_path_lists_the_ancestors_and_stops_growing_at_the_depth_limit() -> None:
    assert rules.thread_path(4) == "0000004"
    assert rules.thread_path(9, "0000004") == "0000004.0000009"
    deep = "0000001"
    for number in range(2, 12):
        deep = rules.thread_path(number, deep)
    # Six levels at most (depth 0..5); deeper replies become siblings.
    assert deep.count(".") == rules.THREAD_MAX_DEPTH
    assert deep.endswith("0000011")
    assert rules.parent_path_of("0000004.0000009") == "0000004"
    assert rules.number_in_path("0000004.0000009") == 9


def test_pages_are_counted_from_top_level_ordinals() -> None:
    assert rules.thread_pages(0, 100) == 1
    assert rules.thread_pages(100, 100) == 1
    assert rules.thread_pages(101, 100) == 2
    assert rules.ordinals_on_page(1, 100) == (1, 100)
    assert rules.ordinals_on_page(3, 100) == (201, 300)


def entry_rows(paths: dict[int, tuple[str, int | None]]) -> list[Response]:
    rows = []
    for number, (path, parent) in paths.items():
        row = Response(number=number, path=path, author_name=f"Reader {number}")
        row.pk = number
        row.parent_id = parent
        rows.append(row)
    return sorted(rows, key=lambda r: r.path)


def test_a_hidden_parent_leaves_its_place_and_its_replies_stay_under_it() -> None:
    rows = entry_rows(
        {
            1: ("0000001", None),
            # 2 was removed; its replies 3 and 4 are still visible.
            3: ("0000002.0000003", 2),
            4: ("0000002.0000003.0000004", 3),
            5: ("0000005", None),
        }
    )
    entries = thread.entries(rows)
    assert [(e.number, e.depth, e.response is None) for e in entries] == [
        (1, 0, False),
        (2, 0, True),
        (3, 1, False),
        (4, 2, False),
        (5, 0, False),
    ]
    assert [e.has_replies for e in entries] == [False, True, True, False, False]
    assert [len(e.closes) for e in entries] == [0, 0, 0, 2, 0]


def test_flat_replies_beyond_the_limit_say_whom_they_answer() -> None:
    paths: dict[int, tuple[str, int | None]] = {}
    path = ""
    for number in range(1, 9):
        path = rules.thread_path(number, path)
        paths[number] = (path, number - 1 or None)
    entries = thread.entries(entry_rows(paths))
    assert [e.depth for e in entries] == [0, 1, 2, 3, 4, 5, 5, 5]
    said = [(e.number, e.answers_number, e.answers_name) for e in entries]
    assert said[5] == (6, None, "")  # nested right under #5: no need to say
    assert said[6] == (7, 6, "Reader 6")
    assert said[7] == (8, 7, "Reader 7")


# --- Replies through intake and the page -------------------------------------------


def test_a_reply_is_numbered_in_turn_and_nested_under_its_parent(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    first = comment_on(post, author_name="Mina Okafor")
    second = comment_on(post)
    reply = comment_on(post, parent_id=first.pk, author_name="Theo Brandt")
    assert (first.number, second.number, reply.number) == (1, 2, 3)
    assert reply.path == "0000001.0000003"
    assert reply.root_ordinal == first.root_ordinal == 1
    assert second.root_ordinal == 2
    post.refresh_from_db()
    assert (post.response_count, post.last_root_ordinal) == (3, 2)

    page = soup(client, post.get_absolute_url())
    order = numbers_in_order(page)
    assert order == [1, 3, 2]  # the reply follows what it answers
    assert parent_item(page, 3) == 1
    assert parent_item(page, 2) is None
    link = item(page, 1).select_one("a.reply-link")
    assert link is not None
    assert link["href"] == f"{post.get_absolute_url()}reply/1/#respond"


def test_the_reply_page_works_without_script_and_posts_a_nested_reply(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    first = comment_on(post, author_name="Mina Okafor")
    page = soup(client, f"{post.get_absolute_url()}reply/1/")
    assert "Reply to #1 Mina Okafor" in page.get_text()
    field = page.find("input", attrs={"name": "in_reply_to"})
    assert isinstance(field, Tag)
    assert field["value"] == "1"
    posted = client.post(
        respond_url(post), form_data(post, in_reply_to="1", body="Quite so.")
    )
    assert posted.status_code == 302
    reply = Response.objects.get(post=post, number=2)
    assert reply.parent_id == first.pk
    assert posted["Location"].endswith("#comment-2")
    assert parent_item(soup(client, post.get_absolute_url()), 2) == 1


def test_no_reply_page_for_a_hidden_or_unknown_response(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    held = comment_on(post, author_name="Mina Okafor")
    moderation.remove(held)
    for number in (1, 99):
        assert (
            client.get(f"{post.get_absolute_url()}reply/{number}/").status_code == 404
        )


def test_a_reply_to_a_response_gone_meanwhile_keeps_the_text(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    first = comment_on(post, author_name="Mina Okafor")
    moderation.remove(first)
    typed = form_data(post, in_reply_to="1", body="My careful answer.")
    page = client.post(respond_url(post), typed)
    assert page.status_code == 400
    html = page.content.decode()
    assert "no longer shown" in html
    assert "My careful answer." in html
    assert Response.objects.filter(post=post).count() == 1


def test_a_reply_must_answer_a_visible_response_of_the_same_post(
    make_post: Callable[..., Post], comment_on: Callable[..., Response]
) -> None:
    one, other = make_post("One"), make_post("Other")
    elsewhere = comment_on(other)
    with pytest.raises(intake.Rejected, match="no such comment"):
        intake.receive(submission_for(one, parent_id=elsewhere.pk))
    pingback = intake.receive(
        submission_for(
            one,
            kind=Response.Kind.PINGBACK,
            source="pingback",
            source_url="https://elsewhere.example.net/post",
            author_name="Elsewhere",
        )
    )
    with pytest.raises(intake.Rejected, match="no such comment"):
        intake.receive(submission_for(one, parent_id=pingback.pk))


def test_a_held_reply_takes_its_place_when_approved(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    first = comment_on(post)
    comment_on(post)
    reply = comment_on(post, parent_id=first.pk)
    moderation.hold(reply)  # as if the filter had held it
    Response.objects.filter(pk=reply.pk).update(number=None, path="", root_ordinal=None)
    reply.refresh_from_db()
    approved = moderation.approve(reply)
    assert approved.number == 4
    assert approved.path == "0000001.0000004"
    assert parent_item(soup(client, post.get_absolute_url()), 4) == 1


def test_a_removed_parent_leaves_a_marker_and_its_replies_in_place(
    client: Client, post: Post, comment_on: Callable[..., Response]
) -> None:
    first = comment_on(post)
    reply = comment_on(post, parent_id=first.pk)
    comment_on(post, parent_id=reply.pk)
    moderation.remove(first)
    page = soup(client, post.get_absolute_url())
    gone = item(page, 1)
    assert "response-gone" in gone["class"]
    assert "#1 is no longer shown" in gone.get_text()
    assert first.body not in page.get_text()
    assert parent_item(page, 2) == 1
    assert parent_item(page, 3) == 2


def test_deep_chains_stay_flat_below_the_limit_and_say_whom_they_answer(
    client: Client, post: Post
) -> None:
    grow(post, [None, *range(1, 9)])  # 1 <- 2 <- 3 … <- 9
    page = soup(client, post.get_absolute_url())
    assert parent_item(page, 6) == 5
    assert parent_item(page, 7) == 5  # flat: a sibling of #6
    answers = item(page, 7).select_one("a.answers")
    assert answers is not None
    assert answers.get_text(" ", strip=True) == "↪ in reply to #6 Reader 6"
    assert answers["href"] == "#comment-6"
    assert item(page, 6).select_one("a.answers") is None


@pytest.mark.parametrize("size", [0, 18, 2000])
def test_the_thread_page_runs_a_constant_number_of_queries(
    client: Client,
    post: Post,
    size: int,
    settings: Settings,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    settings.FIRSTHAND_THREAD_PAGE_SIZE = 2000  # the whole thread on one page
    # Top-level comments with replies, a pingback every 50, and a 300-deep chain.
    answers: list[int | None] = []
    for n in range(1, size + 1):
        if size >= 2000 and 1000 < n <= 1300:
            answers.append(n - 1)  # the deep chain
        elif n % 3 == 0:
            answers.append(n - 1)
        else:
            answers.append(None)
    rows = grow(post, answers)
    answered = {a for a in answers if a}
    pings = [
        r
        for r in rows
        if r.number and r.number % 50 == 0 and not r.parent_id
        if r.number not in answered
    ]
    assert size < 50 or pings
    for ping in pings:
        Response.objects.filter(pk=ping.pk).update(
            kind=Response.Kind.PINGBACK,
            source_url="https://elsewhere.example.net/",
            path="",
            root_ordinal=None,
        )
    # post + tags + older + newer + the thread
    with django_assert_num_queries(5):
        page = client.get(post.get_absolute_url())
    html = BeautifulSoup(page.content, "html5lib")
    assert len(html.select("li.response")) == size
    if size == 2000:
        assert parent_item(html, 1300) == parent_item(
            html, 1299
        )  # flat below the limit


def test_a_long_thread_pages_by_top_level_responses_with_their_replies(
    client: Client,
    post: Post,
    settings: Settings,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    settings.FIRSTHAND_THREAD_PAGE_SIZE = 3
    # 1 2(<-1) 3 4 5(<-4) 6 7 8(<-1): top levels 1 3 4 6 7
    grow(post, [None, 1, None, None, 4, None, None, 1])
    first = soup(client, post.get_absolute_url())
    assert numbers_in_order(first) == [
        1,
        2,
        8,
        3,
        4,
        5,
    ]
    with django_assert_num_queries(5):
        client.get(f"{post.get_absolute_url()}?page=2")
    second = soup(client, f"{post.get_absolute_url()}?page=2")
    assert numbers_in_order(second) == [6, 7]
    nav = second.select_one("nav.thread-pages")
    assert nav is not None
    assert "page 2 of 2" in nav.get_text()
    for bad in ("3", "0", "x"):
        assert client.get(f"{post.get_absolute_url()}?page={bad}").status_code == 404


def test_a_permalink_always_finds_the_page_it_is_on(
    client: Client, post: Post, settings: Settings
) -> None:
    settings.FIRSTHAND_THREAD_PAGE_SIZE = 2
    rows = grow(post, [None, None, None, 3])  # #4 answers #3, on page 2
    url = post.get_absolute_url()
    page = client.get(f"{url}comments/4/")
    assert page.status_code == 302
    assert page["Location"] == f"{url}?page=2#comment-4"
    assert client.get(f"{url}comments/1/")["Location"] == f"{url}#comment-1"
    assert client.get(f"{url}comments/9/").status_code == 404
    rows[3].post = post
    assert rows[3].get_absolute_url() == f"{url}?page=2#comment-4"


def test_posting_a_reply_lands_on_the_page_of_its_conversation(
    client: Client,
    post: Post,
    settings: Settings,
    comment_on: Callable[..., Response],
) -> None:
    settings.FIRSTHAND_THREAD_PAGE_SIZE = 2
    grow(post, [None, None, None, None])  # pages: 1-2, 3-4
    posted = client.post(
        respond_url(post), form_data(post, in_reply_to="1", body="One answer.")
    )
    assert posted["Location"] == f"{post.get_absolute_url()}#comment-5"
    later = client.post(
        respond_url(post), form_data(post, in_reply_to="4", body="Another answer.")
    )
    assert later["Location"] == f"{post.get_absolute_url()}?page=2#comment-6"
    new = client.post(respond_url(post), form_data(post, body="A new thought."))
    assert new["Location"] == f"{post.get_absolute_url()}?page=3#comment-7"


def test_a_moderator_can_make_a_flat_comment_a_reply_with_its_replies(
    post: Post, comment_on: Callable[..., Response]
) -> None:
    first = comment_on(post)
    second = comment_on(post)
    answer = comment_on(post, parent_id=second.pk)
    moved = moderation.make_reply(second, first)
    answer.refresh_from_db()
    assert moved.parent_id == first.pk
    assert moved.path == "0000001.0000002"
    assert answer.path == "0000001.0000002.0000003"
    assert moved.root_ordinal == answer.root_ordinal == first.root_ordinal
    with pytest.raises(ValueError, match="cannot answer itself"):
        moderation.make_reply(first, answer)
    back = moderation.make_reply(moved, None)
    answer.refresh_from_db()
    assert back.parent_id is None
    assert back.path == "0000002"
    assert answer.path == "0000002.0000003"
    post.refresh_from_db()
    assert back.root_ordinal == post.last_root_ordinal == 3  # a new, later place


def test_the_pager_shows_the_ends_and_the_pages_around_the_current_one() -> None:
    assert rules.page_links(1, 1) == [1]
    assert rules.page_links(1, 4) == [1, 2, 3, 4]
    assert rules.page_links(50, 100) == [1, None, 48, 49, 50, 51, 52, None, 100]
    assert rules.page_links(2, 100) == [1, 2, 3, 4, None, 100]


def test_a_held_reply_says_what_it_answers_to_moderators_and_its_writer(
    client: Client,
    ada_client: Client,
    post: Post,
    comment_on: Callable[..., Response],
) -> None:
    comment_on(post, author_name="Mina Okafor")
    typed = form_data(post, in_reply_to="1", body="Buy cheap frames at spam.example")
    typed["body"] += " https://spam.example/a https://spam.example/b"
    posted = client.post(respond_url(post), typed)
    assert posted.status_code == 302
    held = Response.objects.get(post=post, status=Response.Status.PENDING)
    assert held.parent is not None
    mine = soup(client, post.get_absolute_url()).select_one("li.response-pending")
    assert mine is not None
    assert "↪ in reply to #1 Mina Okafor" in mine.get_text()
    queue = soup(ada_client, "/moderate/")
    assert "#1 Mina Okafor" in queue.get_text()


def test_each_page_of_the_thread_names_itself_canonical(
    client: Client, post: Post, settings: Settings
) -> None:
    settings.FIRSTHAND_THREAD_PAGE_SIZE = 1
    grow(post, [None, None])
    for query, expected in (("", ""), ("?page=2", "?page=2")):
        page = soup(client, f"{post.get_absolute_url()}{query}")
        link = page.find("link", rel="canonical")
        assert isinstance(link, Tag)
        assert str(link["href"]).endswith(f"{post.get_absolute_url()}{expected}")


def test_a_response_is_placed_below_what_it_answers_or_starts_a_conversation() -> None:
    assert rules.place(9, ("0000004", 2), 5) == (("0000004.0000009", 2), 5)
    assert rules.place(9, None, 5) == (("0000009", 6), 6)
    # A parent never shown has no place: the reply starts a conversation.
    assert rules.place(9, ("", None), 5) == (("0000009", 6), 6)
