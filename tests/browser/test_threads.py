"""bob answers other readers in a real Chromium: threads and the form's script.

Everything goes through ``firsthand serve`` (see conftest.py), with
firsthand/static/firsthand/conversation.js as a reader's browser runs it, and
once with JavaScript off, where the Reply link opens its own page.

This module's server has a lower comment limit (so the counter can be checked
against the server at the limit) and no flood interval (the tests post several
comments within seconds from one address). Each test uses its own post, or
counts what it needs before it acts, so the tests do not depend on each other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from firsthand.demo_content import ARTICLE_RESPONSES, ARTICLE_SLUG
from firsthand.rendering import clean_text

# Without Chromium the `browser` fixture skips these, and fails them in CI.
pytestmark = [pytest.mark.slow]

# The demo's own comments must still fit under the limit (`firsthand demo` runs
# them through intake too).
MAX_CHARS = max(2_000, *(len(item.body) for item in ARTICLE_RESPONSES))

# A person takes a few seconds to write; a form sent within the spam layers'
# minimum (3 s) after it was served looks like a bot's (as in test_comment_form.py).
HUMAN_PAUSE_MS = 3_500
# conversation.js saves the draft 400 ms after the last keystroke.
DRAFT_SAVED_MS = 1_000

PHONE = {"width": 360, "height": 740}
# Seven different comments (near-duplicates from one address are held), one with
# a word longer than a phone is wide.
CHAIN = (
    "Quoting by the hour never worked for us either.",
    "Why not? Customers like to see the hours written down.",
    "Because a slow day makes the same frame cost more, which feels unfair.",
    "Then quote the job and keep the hours as your private check.",
    "That is what we do now: a fixed price list for the usual sizes.",
    "Supercalifragilisticexpialidociouslylongwordthatwillnotfitonaphone indeed.",
    "Late to this, but the price list saved my Saturdays.",
)

# Demo posts without comments, one per test that needs a fresh thread.
THREAD_POST = "/2026/04/20/what-we-do-with-the-offcuts/"
CHAIN_POST = "/2026/05/12/how-i-write-a-quote/"
FORM_POST = "/2026/06/08/why-we-close-on-mondays/"
ARTICLE = f"/2026/07/02/{ARTICLE_SLUG}/"


@pytest.fixture(scope="module")
def thread_server_settings() -> Iterator[None]:
    """The environment `firsthand serve` starts with, for this module only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FIRSTHAND_RESPONSE_MAX_CHARS", str(MAX_CHARS))
        patch.setenv("FIRSTHAND_FLOOD_INTERVAL", "0")
        patch.setenv("FIRSTHAND_FLOOD_PER_HOUR", "0")
        yield


@pytest.fixture(scope="module")
def firsthand_server(thread_server_settings: None, firsthand_server: str) -> str:
    """conftest's server, started after the settings above are in the environment."""
    return firsthand_server


def comment_form(page: Page) -> Locator:
    return page.locator("form#respond")


def fill_commenter(form: Locator, name: str, email: str) -> None:
    form.locator("#id_author_name").fill(name)
    form.locator("#id_author_email").fill(email)


def send(page: Page, button: str) -> int:
    """Post the comment form after a person's pause; the status the reader ends on
    (200 after the redirect to the comment, 400 for a refused one)."""
    page.wait_for_timeout(HUMAN_PAUSE_MS)
    with page.expect_navigation() as navigation:
        comment_form(page).get_by_role("button", name=button).click()
    answer = navigation.value
    assert answer is not None
    return answer.status


def landed_on(page: Page) -> int:
    """The number of the comment the page was sent to after posting."""
    found = re.search(r"#comment-(\d+)$", page.url)
    assert found, f"not on a comment: {page.url}"
    return int(found.group(1))


def draft_key(page: Page) -> str:
    post = comment_form(page).get_attribute("data-post")
    assert post
    return f"firsthand:draft:{post}"


def stored(page: Page, key: str) -> dict[str, str] | None:
    raw = page.evaluate("key => window.localStorage.getItem(key)", key)
    if raw is None:
        return None
    value = json.loads(raw)
    assert isinstance(value, dict)
    return value


def has_horizontal_scroll(page: Page) -> bool:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return bool(widths[0] > widths[1])


def server_length(text: str) -> int:
    """How intake counts a comment (rules.normalized, then len)."""
    return len(clean_text(text).strip("\n"))


def as_blockquote(text: str) -> str:
    """The quote conversation.js writes: every line prefixed, blank lines as ">"."""
    lines = re.sub(r"\n{3,}", "\n\n", text.strip()).split("\n")
    return "\n".join(f"> {line.rstrip()}" if line.strip() else ">" for line in lines)


def test_replies_nest_under_their_parent_with_and_without_script(
    firsthand_server: str, page: Page, browser: Browser
) -> None:
    url = f"{firsthand_server}{THREAD_POST}"
    page.goto(url)
    expect(page.locator("ol.thread li.response")).to_have_count(0)
    form = comment_form(page)
    fill_commenter(form, "Ada Lovelace", "ada@example.org")
    form.locator("#id_body").fill("Offcuts for the school: how do you sort them?")
    assert send(page, "Post comment") == 200
    assert landed_on(page) == 1

    # With script: Reply moves the form under #1, and nothing navigates.
    first = page.locator("li#comment-1")
    form = comment_form(page)
    body = form.locator("#id_body")
    first.get_by_role("link", name="Reply to #1 Ada Lovelace").click()
    expect(first.locator(":scope > form#respond")).to_have_count(1)
    expect(first.locator(":scope > article + form#respond")).to_have_count(1)
    assert page.url == f"{url}#comment-1"
    expect(form.locator("input[name=in_reply_to]")).to_have_value("1")
    expect(form.locator("[data-replying]")).to_be_visible()
    expect(form.locator("[data-replying]")).to_contain_text(
        "Replying to #1 Ada Lovelace"
    )
    expect(form.locator("#respond-heading")).to_have_text("Reply to #1 Ada Lovelace")
    expect(form.get_by_role("button", name="Post reply")).to_be_visible()
    expect(body).to_be_focused()
    described = re.compile(r"\brespond-replying\b")  # "Comment", then to whom
    expect(body).to_have_attribute("aria-describedby", described)

    # "Write a new comment instead" puts it back, as a new comment.
    form.get_by_role("link", name="Write a new comment instead").click()
    expect(first.locator("form#respond")).to_have_count(0)
    expect(page.locator("section#responses > form#respond")).to_have_count(1)
    expect(form.locator("input[name=in_reply_to]")).to_have_value("")
    expect(form.locator("[data-replying]")).to_be_hidden()
    expect(form.locator("#respond-heading")).to_have_text("Join the conversation")
    expect(form.get_by_role("button", name="Post comment")).to_be_visible()
    expect(body).to_be_focused()
    expect(body).not_to_have_attribute("aria-describedby", described)
    assert page.url == f"{url}#comment-1"

    # The keyboard does the same as the mouse.
    first.get_by_role("link", name="Reply to #1 Ada Lovelace").focus()
    page.keyboard.press("Enter")
    expect(first.locator(":scope > form#respond")).to_have_count(1)
    expect(body).to_be_focused()
    fill_commenter(form, "Bob Reader", "bob@example.org")
    body.fill("By size, then by colour. The school takes the big ones.")
    assert send(page, "Post reply") == 200
    assert landed_on(page) == 2
    expect(page.locator("li#comment-1 > ol.replies > li#comment-2")).to_be_visible()

    # Without script: the Reply link opens the reply page, whose form answers #1.
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        plain = context.new_page()
        plain.goto(url)
        plain.locator("li#comment-1").get_by_role(
            "link", name="Reply to #1 Ada Lovelace"
        ).first.click()
        expect(plain).to_have_url(re.compile(r"/reply/1/#respond$"))
        plain_form = comment_form(plain)
        expect(plain_form.locator("input[name=in_reply_to]")).to_have_value("1")
        expect(plain_form.locator("#respond-heading")).to_have_text(
            "Reply to #1 Ada Lovelace"
        )
        fill_commenter(plain_form, "Cindy Chen", "cindy@example.net")
        plain_form.locator("#id_body").fill(
            "We keep a crate per school, and they come by on Fridays."
        )
        assert send(plain, "Post reply") == 200
        assert landed_on(plain) == 3
        expect(
            plain.locator("li#comment-1 > ol.replies > li#comment-3")
        ).to_be_visible()
    finally:
        context.close()

    # The thread, in order of arrival, #2 and #3 both one level under #1.
    page.reload()
    items = page.locator("ol.thread li.response")
    expect(items).to_have_count(3)
    assert [item.get_attribute("id") for item in items.all()] == [
        "comment-1",
        "comment-2",
        "comment-3",
    ]
    assert items.locator(":scope > article a.number").all_inner_texts() == [
        "#1",
        "#2",
        "#3",
    ]
    expect(page.locator("ol.thread > li.response")).to_have_count(1)
    replies = page.locator("ol.thread > li#comment-1 > ol.replies > li.response")
    expect(replies).to_have_count(2)
    for item, number in zip(items.all(), [1, 2, 3], strict=True):
        expect(item).to_have_attribute("data-number", str(number))
        depth = "depth-0" if number == 1 else "depth-1"
        expect(item).to_have_class(re.compile(rf"\b{depth}\b"))


def test_the_counter_counts_as_the_server_does(
    firsthand_server: str, page: Page
) -> None:
    page.goto(f"{firsthand_server}{FORM_POST}")
    form = comment_form(page)
    counter = form.locator("output[data-counter]")
    expect(counter).to_be_hidden()
    expect(counter).to_have_attribute("aria-live", "polite")

    # Emoji (one code point, a skin tone modifier, a ZWJ family), CRLF and a lone
    # CR, a vertical tab (XML forbids it: dropped) and newlines at both ends
    # (stripped): each counts differently in UTF-16, graphemes and code points.
    opening = (
        "\r\nCounting 😀 and 👍🏽 and 👩\u200d👩\u200d👧 — naïve\r\n"
        "second line\rthird\x0bline\r\n\r\n"
    )
    # (Counted with one filler character: the newlines ending the opening are
    # only stripped while nothing follows them.)
    text = opening + "x" * (MAX_CHARS - server_length(f"{opening}x") + 1)
    assert server_length(text) == MAX_CHARS
    fill_commenter(form, "Bob Reader", "bob@example.org")
    body = form.locator("#id_body")
    body.fill(text)
    expect(counter).to_have_text("0 characters left")
    expect(counter).not_to_have_class(re.compile(r"\bover\b"))

    body.press("Control+End")
    page.keyboard.type("!")
    expect(counter).to_have_text(
        "1 character over the limit — shorten it before posting"
    )
    expect(counter).to_have_class(re.compile(r"\bover\b"))

    # The server agrees: one over is refused, and says by how much.
    assert send(page, "Post comment") == 400
    form = comment_form(page)
    error = form.locator("p.field.invalid", has=page.locator("#id_body")).locator(
        ".error"
    )
    expect(error).to_contain_text(f"the limit is {MAX_CHARS:,}")
    expect(error).to_contain_text("shorten it by 1 characters")
    counter = form.locator("output[data-counter]")
    expect(counter).to_have_text(
        "1 character over the limit — shorten it before posting"
    )

    # One character less: the counter says 0 left, and the server takes it.
    body = form.locator("#id_body")
    body.press("Control+End")
    page.keyboard.press("Backspace")
    expect(counter).to_have_text("0 characters left")
    assert send(page, "Post comment") == 200
    number = landed_on(page)
    content = page.locator(f"li#comment-{number} .e-content")
    expect(content).to_contain_text(
        "Counting 😀 and 👍🏽 and 👩\u200d👩\u200d👧 — naïve"
    )

    # Its writer may edit it for a while: the edit page counts the same way.
    page.locator(f"li#comment-{number} a.own-edit").click()
    edit_counter = page.locator("form.own-form output[data-counter]")
    expect(edit_counter).to_have_text("0 characters left")
    page.locator("form.own-form #id_body").press("Control+End")
    page.keyboard.type("!")
    expect(edit_counter).to_have_text(
        "1 character over the limit — shorten it before posting"
    )


def test_a_draft_survives_a_reload_and_is_forgotten_once_posted(
    firsthand_server: str, page: Page
) -> None:
    page.goto(f"{firsthand_server}{ARTICLE}")
    key = draft_key(page)
    form = comment_form(page)
    second = page.locator("li#comment-2")
    second.locator("a.reply-link").first.click()
    body = form.locator("#id_body")
    expect(body).to_be_focused()
    words = "Rafael, the table was the problem, not the prices.\nA list says more."
    body.press_sequentially(words)
    page.wait_for_timeout(DRAFT_SAVED_MS)
    saved = stored(page, key)
    assert saved is not None
    assert saved["text"] == words
    assert saved["inReplyTo"] == "2"

    # A closed tab or a reload loses nothing: the text and whom it answers.
    page.reload()
    form = comment_form(page)
    body = form.locator("#id_body")
    expect(body).to_have_value(words)
    expect(form.locator(".restored")).to_contain_text("Your unsent text was restored")
    expect(second.locator(":scope > article + form#respond")).to_have_count(1)
    expect(form.locator("input[name=in_reply_to]")).to_have_value("2")
    expect(form.locator("[data-replying]")).to_contain_text("Replying to #2 Rafael")

    # Refused by the server (no email): the draft is kept.
    form.locator("#id_author_name").fill("Bob Reader")
    assert send(page, "Post reply") == 400
    form = comment_form(page)
    expect(form.locator(".errors")).to_be_visible()
    kept = stored(page, key)
    assert kept is not None
    assert kept["text"] == words

    # Posted: the server's cookie names this draft, and the page forgets it.
    form.locator("#id_author_email").fill("bob@example.org")
    assert send(page, "Post reply") == 200
    number = landed_on(page)
    expect(
        page.locator(f"li#comment-2 > ol.replies > li#comment-{number}")
    ).to_be_visible()
    expect(comment_form(page).locator("#id_body")).to_have_value("")
    assert stored(page, key) is None
    cookies = {c["name"] for c in page.context.cookies()}
    assert "firsthand_posted" not in cookies
    page.reload()
    expect(comment_form(page).locator("#id_body")).to_have_value("")
    expect(comment_form(page).locator(".restored")).to_have_count(0)


def test_remember_me_leaves_just_the_comment_to_write(
    firsthand_server: str, page: Page
) -> None:
    page.goto(f"{firsthand_server}{FORM_POST}")
    form = comment_form(page)
    remember = form.get_by_label("Remember me in this browser")
    expect(remember).to_be_visible()
    expect(remember).not_to_be_checked()
    fill_commenter(form, "Bob Reader", "bob@example.org")
    form.locator("#id_author_url").fill("https://bob.example.org/")
    form.locator("#id_author_title").fill("Reader, Leeds")
    form.locator("#id_body").fill("Closing on Mondays sounds wise to me.")
    remember.check()
    assert send(page, "Post comment") == 200
    first = landed_on(page)

    kept = stored(page, "firsthand:commenter")
    assert kept == {
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        "author_url": "https://bob.example.org/",
        "author_title": "Reader, Leeds",
    }
    form = comment_form(page)
    expect(form.locator("#id_author_name")).to_have_value("Bob Reader")
    expect(form.locator("#id_author_email")).to_have_value("bob@example.org")
    expect(form.locator("#id_author_url")).to_have_value("https://bob.example.org/")
    expect(form.locator("#id_author_title")).to_have_value("Reader, Leeds")
    expect(form.locator("#id_body")).to_have_value("")
    expect(form.get_by_label("Remember me in this browser")).to_be_checked()

    # Just the comment to write; unticked, the browser forgets him.
    form.locator("#id_body").fill("And the shop feels calmer on Tuesdays.")
    form.get_by_label("Remember me in this browser").uncheck()
    assert send(page, "Post comment") == 200
    assert landed_on(page) > first
    assert stored(page, "firsthand:commenter") is None
    form = comment_form(page)
    expect(form.locator("#id_author_name")).to_have_value("")
    expect(form.locator("#id_author_email")).to_have_value("")


def test_quote_inserts_the_words_and_a_link_to_their_source(
    firsthand_server: str, page: Page
) -> None:
    url = f"{firsthand_server}{ARTICLE}"
    page.goto(url)
    form = comment_form(page)
    body = form.locator("#id_body")

    # A selection inside #1's text: just those words.
    first = page.locator("li#comment-1")
    name = first.locator(":scope > article .p-name").inner_text()
    selected = first.locator(":scope > article .e-content").evaluate(
        """content => {
            const node = content.querySelector("p").firstChild;
            const range = document.createRange();
            range.setStart(node, 0);
            range.setEnd(node, 30);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return selection.toString();
        }"""
    )
    assert len(selected) == 30
    first.get_by_role("button", name=re.compile(r"^Quote #1 ")).click()
    quoted_first = f"> {selected.strip()}\n> — [#1 {name}]({url}#comment-1)\n\n"
    expect(body).to_have_value(quoted_first)
    expect(body).to_be_focused()
    # Quoting is not replying.
    expect(form.locator("input[name=in_reply_to]")).to_have_value("")
    expect(page.locator("section#responses > form#respond")).to_have_count(1)

    # No selection inside #3: the whole of it, after what is already written.
    body.press("Control+End")
    page.keyboard.type("Agreed.")
    third = page.locator("li#comment-3")
    third_name = third.locator(":scope > article .p-name").inner_text()
    third_text = third.locator(":scope > article .e-content").inner_text()
    third.get_by_role("button", name=re.compile(r"^Quote #3 ")).click()
    quoted_third = (
        f"{as_blockquote(third_text)}\n> — [#3 {third_name}]({url}#comment-3)\n\n"
    )
    expect(body).to_have_value(f"{quoted_first}Agreed.\n\n{quoted_third}")

    # A selection running from #5's header into its text keeps only the text.
    fifth = page.locator("li#comment-5")
    fifth_name = fifth.locator(":scope > article .p-name").inner_text()
    inside = fifth.locator(":scope > article").evaluate(
        """article => {
            const start = article.querySelector(".p-name").firstChild;
            const end = article.querySelector(".e-content p").firstChild;
            const range = document.createRange();
            range.setStart(start, 0);
            range.setEnd(end, 25);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return end.data.slice(0, 25);
        }"""
    )
    body.press("Control+End")
    fifth.get_by_role("button", name=re.compile(r"^Quote #5 ")).click()
    expect(body).to_have_value(
        f"{quoted_first}Agreed.\n\n{quoted_third}"
        f"> {inside.strip()}\n> — [#5 {fifth_name}]({url}#comment-5)\n\n"
    )


def test_the_form_suggests_whom_a_new_comment_answers(
    firsthand_server: str, page: Page
) -> None:
    page.goto(f"{firsthand_server}{ARTICLE}")
    mei = [
        item.get_attribute("data-number")
        for item in page.locator("ol.thread li.response").all()
        if item.locator(":scope > article .p-name").inner_text() == "Mei Tanaka"
    ]
    assert mei, "the demo thread has no comment by Mei Tanaka"
    latest = max(int(number or 0) for number in mei)
    form = comment_form(page)
    fill_commenter(form, "Bob Reader", "bob@example.org")
    suggestion = form.locator("[data-addressee]")
    body = form.locator("#id_body")

    with page.expect_request(re.compile(r"/addressee/\?")) as asked:
        body.press_sequentially("Mei, a list is a promise you")
    query = parse_qs(urlsplit(asked.value.url).query)
    assert query["text"] == ["Mei, a list is a promise you"]
    assert query["name"] == ["Bob Reader"]
    assert query["email"] == ["bob@example.org"]
    expect(suggestion).to_be_visible()
    expect(suggestion).to_contain_text(f"Are you answering Mei Tanaka (#{latest})?")
    expect(form.locator("input[name=in_reply_to]")).to_have_value("")  # not yet

    # Yes: exactly what #N's Reply link does.
    suggestion.get_by_role("button", name="Make it a reply").click()
    item = page.locator(f"li#comment-{latest}")
    expect(item.locator(":scope > article + form#respond")).to_have_count(1)
    expect(form.locator("input[name=in_reply_to]")).to_have_value(str(latest))
    expect(form.locator("[data-replying]")).to_contain_text(
        f"Replying to #{latest} Mei Tanaka"
    )
    expect(suggestion).to_be_hidden()

    # Back to a new comment, the form asks again; "No" stops it asking about Mei.
    form.get_by_role("link", name="Write a new comment instead").click()
    with page.expect_response(re.compile(r"/addressee/\?")):
        body.press("Control+End")
        page.keyboard.type(" can keep.")
    expect(suggestion).to_be_visible()
    suggestion.get_by_role("button", name="No").click()
    expect(suggestion).to_be_hidden()
    expect(body).to_be_focused()
    with page.expect_response(re.compile(r"/addressee/\?")) as answered:
        page.keyboard.type(" Thanks.")
    assert answered.value.json()["name"] == "Mei Tanaka"
    page.wait_for_timeout(200)
    expect(suggestion).to_be_hidden()
    expect(form.locator("input[name=in_reply_to]")).to_have_value("")


def _ticket_cookie(set_cookie: str) -> str:
    """The form ticket a page handed out, as a Cookie header for one POST."""
    found = re.search(r"(firsthand_ticket=[^;]+)", set_cookie)
    assert found, f"no ticket handed out: {set_cookie!r}"
    return found.group(1)


def test_a_six_deep_chain_fits_a_phone(
    firsthand_server: str, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(
        viewport={"width": PHONE["width"], "height": PHONE["height"]},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        url = f"{firsthand_server}{CHAIN_POST}"
        # #1 and six replies each answering the one before: depth 0 to 5, and #7
        # kept flat at depth 5. Posted through the browser's own request API, one
        # ticket per comment, so the chain costs one pause, not seven.
        pages = [page.request.get(url) for _ in range(7)]
        action = re.search(r'action="([^"#]+)#respond"', pages[0].text())
        assert action
        page.wait_for_timeout(HUMAN_PAUSE_MS)
        for number, got in enumerate(pages, start=1):
            answer = page.request.post(
                f"{firsthand_server}{action.group(1)}",
                form={
                    "in_reply_to": str(number - 1) if number > 1 else "",
                    "author_name": f"Reader Number{number}",
                    "author_email": f"reader{number}@example.org",
                    "body": CHAIN[number - 1],
                },
                headers={
                    "Referer": url,
                    "Origin": firsthand_server,
                    "Cookie": _ticket_cookie(got.headers.get("set-cookie", "")),
                },
                max_redirects=0,
            )
            assert answer.status == 302, (number, answer.status)

        page.goto(url)
        expect(page.locator("ol.thread li.response")).to_have_count(7)
        sixth = page.locator("li#comment-6")
        expect(sixth).to_have_class(re.compile(r"\bdepth-5\b"))
        assert (
            sixth.evaluate(
                "item => { let n = 0; for (let e = item; e; e = e.parentElement)"
                " { if (e.matches('ol.replies')) n++; } return n; }"
            )
            == 5
        )
        seventh = page.locator("li#comment-6 + li#comment-7")
        expect(seventh).to_have_class(re.compile(r"\bdepth-5\b"))
        expect(seventh.locator(".answers")).to_have_text(
            "↪ in reply to #6 Reader Number6"
        )
        page.screenshot(path=tmp_path / "chain-phone.png", full_page=True)
        assert not has_horizontal_scroll(page), "horizontal scroll at 360 px"

        # The form moved into the deepest reply still fits.
        seventh.get_by_role("link", name=re.compile(r"^Reply to #7 ")).click()
        expect(seventh.locator(":scope > article + form#respond")).to_have_count(1)
        page.screenshot(path=tmp_path / "chain-phone-replying.png", full_page=True)
        assert not has_horizontal_scroll(page), "horizontal scroll at 360 px"
    finally:
        context.close()
