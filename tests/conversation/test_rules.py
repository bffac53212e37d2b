"""The pure rules: no database needed."""

from __future__ import annotations

import pytest

from firsthand.conversation import rules
from firsthand.conversation.submission import Submission


def make(**fields: object) -> Submission:
    values: dict[str, object] = {
        "post_id": 1,
        "kind": "comment",
        "author_name": "Bob Reader",
        "author_email": "bob@example.org",
        "body": "Hello.",
    }
    values.update(fields)
    return rules.normalized(Submission(**values))  # type: ignore[arg-type]


def errors(**fields: object) -> rules.Errors:
    return rules.validation_errors(make(**fields), max_chars=100)


def test_a_complete_comment_has_no_errors() -> None:
    assert errors() == {}


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("author_name", "", "name"),
        ("author_name", "   ", "name"),
        ("author_name", "x" * 101, "100 characters"),
        ("author_email", "", "give your email address"),
        ("author_email", "not-an-address", "does not look like an email"),
        ("author_url", "javascript:alert(1)", "web address"),
        ("author_url", "ftp://example.org/", "web address"),
        ("author_url", "https://" + "a" * 600 + ".com", "web address"),
        ("author_title", "t" * 101, "100 characters"),
        ("body", "", "empty"),
        ("body", " \n\n ", "empty"),
    ],
)
def test_each_problem_is_named_on_its_field(field: str, value: str, words: str) -> None:
    found = errors(**{field: value})
    assert list(found) == [field]
    assert words in found[field][0]


def test_an_overlong_body_says_how_long_and_by_how_much() -> None:
    found = errors(body="x" * 123)
    (message,) = found["body"]
    assert "123" in message
    assert "100" in message
    assert "by 23" in message
    assert "still here" in message


def test_the_limit_counts_characters_not_bytes_nor_crlf() -> None:
    assert errors(body="é" * 100) == {}
    # Browsers send CRLF; a newline is one character for the person typing.
    assert errors(body="a\r\n" * 50) == {}


def test_normalized_cleans_every_text_field() -> None:
    sub = make(
        author_name="  Bob \x00 Reader\n ",
        author_title="Head\tof\x0b Support",
        author_url="bob.example.org",
        body="line\r\nnext\x1b[31m",
    )
    assert sub.author_name == "Bob Reader"
    assert sub.author_title == "Head of Support"
    assert sub.author_url == "https://bob.example.org"
    assert sub.body == "line\nnext[31m"


def test_link_kinds_need_a_source_url_but_no_email() -> None:
    found = errors(kind="pingback", author_email="", source_url="")
    assert list(found) == ["source_url"]
    assert (
        errors(kind="pingback", author_email="", source_url="https://x.example") == {}
    )


def test_unknown_kind_is_refused() -> None:
    assert "__all__" in errors(kind="carrier-pigeon")


@pytest.mark.parametrize(
    ("old", "new", "delta"),
    [
        (None, "visible", 1),
        (None, "pending", 0),
        ("pending", "visible", 1),
        ("visible", "spam", -1),
        ("visible", "removed", -1),
        ("spam", "removed", 0),
        ("removed", "visible", 1),
        ("visible", "visible", 0),
    ],
)
def test_only_visible_responses_count(old: str | None, new: str, delta: int) -> None:
    assert rules.count_delta(old, new) == delta


def test_a_number_is_given_once_on_first_visibility() -> None:
    assert rules.needs_number(None, "visible")
    assert not rules.needs_number(None, "pending")
    assert not rules.needs_number(7, "visible")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("\u202egnp.exe", "gnp.exe"),  # RIGHT-TO-LEFT OVERRIDE: would read "exe.png"
        ("Eve\u202a Admin\u202c", "Eve Admin"),  # an embedding, closed
        ("\u2067Mallory\u2069 (moderator)", "Mallory (moderator)"),  # an isolate
        ("Bob\u2028Bcc: x@example.org", "Bob Bcc: x@example.org"),  # line separator
        ("Ada\u0085Quill", "Ada Quill"),  # NEXT LINE
        (
            "\u05d3\u05e0\u05d4 \u200f\u05db\u05d4\u05df",
            "\u05d3\u05e0\u05d4 \u200f\u05db\u05d4\u05df",
        ),  # RLM stays
        ("👩\u200d💻 Ada", "👩\u200d💻 Ada"),  # a joiner inside an emoji stays
    ],
)
def test_a_name_is_one_line_without_bidirectional_controls(
    typed: str, kept: str
) -> None:
    assert rules.name_line(typed) == kept


def test_names_and_titles_lose_bidi_controls_and_bodies_keep_them() -> None:
    body = "\u05e9\u05dc\u05d5\u05dd \u202bquoted\u202c"
    cleaned = rules.normalized(
        Submission(
            post_id=1,
            kind="comment",
            author_name="\u202eevE",
            author_title="\u2066Editor\u2069",
            source_title="\u202dA page\u202c",
            body=body,
        )
    )
    assert (cleaned.author_name, cleaned.author_title, cleaned.source_title) == (
        "evE",
        "Editor",
        "A page",
    )
    assert cleaned.body == body  # right-to-left prose may need them
