"""bob reads the demo article and comments on it in a real Chromium.

Everything goes through ``firsthand serve`` (see conftest.py): the real
middleware, CSRF cookie, redirects and static files, as a reader meets them.
The tests run in file order on one server: only the posting test adds a
comment, and each test counts what it needs before it acts.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Request, expect

from firsthand.demo_content import ARTICLE_SLUG

# Without Chromium the `browser` fixture skips these, and fails them in CI.
pytestmark = [pytest.mark.slow]

DEMO_RESPONSES = 18  # 17 comments and 1 pingback, numbered #1..#18

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

HUMAN_PAUSE_MS = 3_500


def article_url(base_url: str) -> str:
    return f"{base_url}/2026/07/02/{ARTICLE_SLUG}/"


def responses(page: Page) -> Locator:
    """Every numbered response, comments first, then the links."""
    return page.locator("ol.thread li[id^='comment-']")


def test_article_shows_the_numbered_dated_thread_from_its_own_origin(
    firsthand_server: str, page: Page
) -> None:
    requested: list[str] = []

    def record(request: Request) -> None:
        requested.append(request.url)

    page.on("request", record)
    page.goto(article_url(firsthand_server))
    page.wait_for_load_state("networkidle")

    expect(page.locator("#responses-heading")).to_have_text(
        f"{DEMO_RESPONSES} comments"
    )
    comments = page.locator("ol.thread:not(.links) li[id^='comment-']")
    links = page.locator("h3#links + ol.thread.links > li[id^='comment-']")
    expect(comments).to_have_count(17)
    expect(links).to_have_count(1)
    expect(page.locator("h3#links")).to_have_text("Linked from elsewhere")
    expect(links.locator(".kind")).to_have_text("Pingback from")

    everything = responses(page)
    expect(everything).to_have_count(DEMO_RESPONSES)
    numbers = range(1, DEMO_RESPONSES + 1)
    # Depth first: each reply follows what it answers, so sort to compare.
    shown = everything.locator("header > a.number").all_inner_texts()
    assert sorted(shown, key=lambda text: int(text[1:])) == [f"#{n}" for n in numbers]
    ids = [str(item.get_attribute("id")) for item in everything.all()]
    assert sorted(ids, key=lambda i: int(i.split("-")[1])) == [
        f"comment-{n}" for n in numbers
    ]
    for parent, reply in ((2, 4), (3, 10), (6, 13)):
        nested = page.locator(f"#comment-{parent} > ol.replies > #comment-{reply}")
        expect(nested).to_have_count(1)
    times = everything.locator("header > time[datetime]")
    expect(times).to_have_count(DEMO_RESPONSES)
    for time in times.all():
        stamp = time.get_attribute("datetime") or ""
        assert datetime.datetime.fromisoformat(stamp).tzinfo is not None, stamp
        assert time.inner_text().strip(), f"<time datetime={stamp}> shows no date"

    assert requested, "the page made no request at all"
    elsewhere = [url for url in requested if not url.startswith(f"{firsthand_server}/")]
    assert elsewhere == [], "the article page asked another origin"


def test_bob_posts_a_markdown_comment_and_lands_on_it(
    firsthand_server: str, page: Page
) -> None:
    url = article_url(firsthand_server)
    page.goto(url)
    expect(responses(page)).to_have_count(DEMO_RESPONSES)

    form = page.locator("form#respond")
    form.get_by_role("textbox", name="Name").fill("Bob Reader")
    form.get_by_role("textbox", name="Email").fill("bob@example.org")
    form.get_by_label("Website").fill("https://bob.example.org/")
    form.get_by_label("Title or affiliation").fill("Reader, Leeds")
    form.get_by_role("textbox", name="Comment").fill(
        "Publish the worked examples, **with the totals**.\n\n"
        "I would have come in years ago."
    )
    # A person takes a few seconds to write; a form sent within the spam layers'
    # minimum (3 s) looks like a bot's.
    page.wait_for_timeout(HUMAN_PAUSE_MS)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.get_by_role("button", name="Post comment").click()
    assert posted.value.status in {302, 303}
    expect(page).to_have_url(f"{url}#comment-19")

    new = page.locator("li#comment-19")
    expect(new).to_be_visible()
    expect(new.locator("a.number")).to_have_text("#19")
    expect(new.locator(".e-content strong")).to_have_text("with the totals")
    expect(new.locator(".affiliation")).to_have_text(", Reader, Leeds")
    author = new.locator("a.p-name")
    expect(author).to_have_text("Bob Reader")
    expect(author).to_have_attribute("href", "https://bob.example.org/")
    rel = (author.get_attribute("rel") or "").split()
    assert {"nofollow", "ugc"} <= set(rel), rel
    assert "bob@example.org" not in page.content()
    expect(page.locator("#responses-heading")).to_have_text("19 comments")

    # Post/Redirect/Get: reloading the landing page reads, it does not post again.
    page.reload()
    expect(page.locator("#responses-heading")).to_have_text("19 comments")
    expect(responses(page)).to_have_count(19)
    expect(page.locator("#comment-20")).to_have_count(0)


def test_a_comment_without_email_comes_back_with_every_word_intact(
    firsthand_server: str, page: Page
) -> None:
    url = article_url(firsthand_server)
    page.goto(url)
    heading = page.locator("#responses-heading").inner_text()
    before = responses(page).count()

    name = "Bob Reader — naïve ✓"
    body = "\n".join(
        [
            "I wrote this on my phone at two in the morning, so bear with me.",
            "",
            "A *naïve* question first — do the examples include glass? ✓ or ✗?",
            "",
            "    indented like code, with  two spaces inside",
            "",
            "> quoting the post: “publish the reasoning”",
            "",
            "Thanks for asking us all 😀",
            "Second line of the same paragraph, then a blank line at the end.",
            "",
        ]
    )
    form = page.locator("form#respond")
    form.get_by_role("textbox", name="Name").fill(name)
    form.get_by_role("textbox", name="Comment").fill(body)
    page.wait_for_timeout(HUMAN_PAUSE_MS)
    with page.expect_navigation() as navigation:
        form.get_by_role("button", name="Post comment").click()
    answer = navigation.value
    assert answer is not None
    assert answer.status == 400

    form = page.locator("form#respond")
    expect(form.locator("[role=alert]")).to_be_visible()
    # The alert box says "fix what is marked below"; the email field says what.
    email_field = form.locator("p.field.invalid", has=page.locator("#id_author_email"))
    expect(email_field.locator(".error")).to_contain_text("email")
    expect(form.get_by_role("textbox", name="Email")).to_have_value("")
    assert form.get_by_role("textbox", name="Name").input_value() == name
    assert form.get_by_role("textbox", name="Comment").input_value() == body

    expect(responses(page)).to_have_count(before)
    page.goto(url)
    expect(page.locator("#responses-heading")).to_have_text(heading)
    expect(responses(page)).to_have_count(before)


def test_article_fits_a_phone_and_a_desktop(
    firsthand_server: str, browser: Browser, tmp_path: Path
) -> None:
    for label, viewport, mobile in [
        ("phone", PHONE, True),
        ("desktop", DESKTOP, False),
    ]:
        context = browser.new_context(
            viewport={"width": viewport["width"], "height": viewport["height"]},
            is_mobile=mobile,
            has_touch=mobile,
        )
        try:
            page = context.new_page()
            page.goto(article_url(firsthand_server))
            shot = tmp_path / f"article-{label}.png"
            page.screenshot(path=shot, full_page=True)
            assert shot.stat().st_size > 0
            if mobile:
                overflow = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]"
                )
                scroll_width, inner_width = overflow
                assert scroll_width <= inner_width, (
                    f"horizontal scroll at {label} width: {overflow}"
                )
        finally:
            context.close()
