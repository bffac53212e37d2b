"""Who a new comment addresses: the pure rule, on the seed thread's shapes."""

from __future__ import annotations

import re

import pytest

from firsthand.conversation.addressing import (
    OPENING_WORDS,
    Addressee,
    Commenter,
    Entry,
    addressee,
    proposals,
)
from tests.testdata import shared_file

MINA = Commenter("Mina Okafor", "mina@example.org", 3)
THEO = Commenter("Theo Brandt", "theo@example.net", 5)
CINDY = Commenter("Cindy Vale", "cindy@example.com", 4)
EVERYONE = (MINA, THEO, CINDY)


def named(text: str, *commenters: Commenter, **writer: str) -> str | None:
    found = addressee(text, commenters or EVERYONE, **writer)
    return found.name if found is not None else None


# --- The seed's shapes (comments 4, 5 and 10), with fictional names ---------------


def test_a_first_name_at_the_start_addresses_that_commenter() -> None:
    found = addressee("Cindy while I agree with you, Kyle and the others…", EVERYONE)
    assert found == Addressee(
        number=4,
        name="Cindy Vale",
        why=(
            "Word 1 of the opening is Cindy, and Cindy Vale is the only earlier "
            "commenter called Cindy; their latest response is #4."
        ),
    )


def test_the_earliest_name_wins_when_two_commenters_are_named() -> None:
    kyle = Commenter("Kyle Ames", "kyle@example.com", 6)
    text = "Cindy while I agree with you, Kyle and the others…"
    assert named(text, *EVERYONE, kyle) == "Cindy Vale"
    assert named("Kyle, and Cindy too: thanks.", *EVERYONE, kyle) == "Kyle Ames"


def test_a_full_name_addresses_that_commenter() -> None:
    found = addressee("I agree with Theo Brandt and he makes a great point", EVERYONE)
    assert found is not None
    assert (found.number, found.name) == (5, "Theo Brandt")
    assert found.why == (
        "Word 4 of the opening names Theo Brandt, an earlier commenter; "
        "their latest response is #5."
    )


def test_naming_someone_who_never_commented_addresses_nobody() -> None:
    # Kyle wrote the post; he is not among the commenters.
    assert named("I totally agree with you, Kyle.") is None


def test_only_the_first_eight_words_are_read() -> None:
    assert OPENING_WORDS == 8
    assert named("One two three four five six seven Mina, yes.") == "Mina Okafor"
    assert named("One two three four five six seven eight Mina, yes.") is None
    # A full name cut by the edge still counts by its first name, when unique.
    assert named("One two three four five six seven Theo Brandt.") == "Theo Brandt"


def test_a_shared_first_name_needs_the_full_name() -> None:
    other_mina = Commenter("Mina Lund", "lund@example.org", 7)
    assert named("Mina, that is the point.", *EVERYONE, other_mina) is None
    assert named("Mina Lund, that is it.", *EVERYONE, other_mina) == "Mina Lund"
    assert named("Well, Mina Okafor said it", *EVERYONE, other_mina) == "Mina Okafor"


def test_the_writer_is_never_addressed() -> None:
    text = "Mina here again: prices belong online."
    assert named(text, writer_name="Mina Okafor") is None
    assert named(text, writer_name="mina  okafor") is None  # same name, any case
    assert named(text, writer_name="Bob", writer_email="MINA@example.org") is None
    assert named(text, writer_name="Bob", writer_email="bob@example.org") == (
        "Mina Okafor"
    )


def test_an_empty_email_address_is_nobody_s() -> None:
    imported = Commenter("Mina Okafor", "", 2)
    assert named("Mina is right.", imported, writer_name="Bob") == "Mina Okafor"


def test_the_writer_s_own_first_name_does_not_hide_another_commenter() -> None:
    other_mina = Commenter("Mina Lund", "lund@example.org", 7)
    text = "Mina, I think you are right."
    writer = {"writer_name": "Mina Okafor", "writer_email": "mina@example.org"}
    assert named(text, MINA, other_mina, **writer) == "Mina Lund"


def test_names_match_with_their_case_as_whole_words() -> None:
    will = Commenter("Will Hart", "will@example.org", 2)
    assert named("I will say prices help.", will) is None
    assert named("Will, prices help.", will) == "Will Hart"
    assert named("Minas Tirith is a city.") is None
    assert named("@Mina: yes.") == "Mina Okafor"
    assert named("I agree with Cindy's point.") == "Cindy Vale"


def test_greetings_do_not_use_up_the_eight_words() -> None:
    late = "one two three four five six seven Mina"  # Mina is word 8
    assert named(late) == "Mina Okafor"
    assert named(f"So, {late}") is None
    assert named(f"Hi, {late}") == "Mina Okafor"
    assert named(f"Hi, Hello @ Dear Thank you, {late}") == "Mina Okafor"
    assert named(f"Thanks! {late}") == "Mina Okafor"
    assert named(f"Thank goodness, {late}") is None  # "Thank" alone is no greeting
    found = addressee(f"Hello {late}", EVERYONE)
    assert found is not None
    assert found.why.startswith("Word 9 of the opening is Mina,")


def test_a_full_name_beats_a_first_name_at_the_same_place() -> None:
    solo = Commenter("Theo", "t@example.org", 9)  # a one-word name is a full name
    assert named("Theo Brandt is right.", THEO, solo) == "Theo Brandt"
    assert named("Theo is right.", THEO, solo) == "Theo"


def test_names_shorter_than_two_letters_never_match() -> None:
    initial = Commenter("J. Smith", "j@example.org", 2)
    assert named("J. Smith is right.", initial) == "J. Smith"
    assert named("J. is right, as is J and Q.", initial) is None
    assert named("Q said it.", Commenter("Q", "q@example.org", 3)) is None


def test_the_latest_response_of_a_name_is_the_target() -> None:
    earlier = Commenter("Mina Okafor", "old@example.org", 1)
    found = addressee("Mina, quite.", (earlier, MINA))
    assert found is not None
    assert found.number == 3


def test_only_the_first_300_characters_are_read() -> None:
    assert named(" " * 296 + "Mina") == "Mina Okafor"
    assert named(" " * 297 + "Mina") is None


def test_a_flat_thread_walk_proposes_replies_to_the_latest_before() -> None:
    thread = [
        Entry(1, "Mina Okafor", "mina@example.org", "Prices help.", True),
        Entry(2, "Cindy Vale", "cindy@example.com", "I agree, Kyle.", True),
        Entry(3, "Theo Brandt", "theo@example.net", "Cindy, not quite.", True),
        Entry(4, "Cindy Vale", "cindy@example.com", "Theo, yes quite.", False),
        Entry(5, "Ravi Lund", "ravi@example.org", "Cindy and Theo both.", True),
        Entry(6, "Mina Okafor", "mina@example.org", "Mina again: no.", True),
    ]
    found = {entry.number: answer.number for entry, answer in proposals(thread)}
    # 4 is a reply already; 5 gets Cindy's latest (#4), not her first (#2).
    assert found == {3: 2, 5: 4}


# --- The seed page itself ------------------------------------------------------------

SEED = "000_38402b07a72d3b1f.txt"
# The seed page gives no commenter names; these fictional ones are the test's own,
# except Cindy (comment 4) and Chris Theisen (comment 5, the "ambassador" point),
# whom later comments name in their text.
SEED_WRITERS = {
    1: "Mina Okafor",
    2: "Theo Brandt",
    3: "Ravi Lund",
    4: "Cindy",
    5: "Chris Theisen",
    6: "Ines Moreau",
    7: "Paul Achterberg",
    8: "Tove Berg",
    9: "Tove Berg",
    10: "Lars Ek",
}


def seed_comments() -> dict[int, str]:
    """The numbered comments of the seed page: number -> text after its date."""
    page = shared_file(SEED, folder="seed").read_text(encoding="utf-8")
    comments = page.split("USER COMMENTS", 1)[1]
    parts = re.split(r"^\s+(\d+)\.\s", comments, flags=re.MULTILINE)
    texts: dict[int, str] = {}
    for number, section in zip(parts[1::2], parts[2::2], strict=True):
        after_date = re.split(r"\d{2}/\d{2} \d{4}\s*\n", section, maxsplit=1)[1]
        texts[int(number)] = " ".join(after_date.split())
    return texts


def test_the_seed_thread_s_own_openings() -> None:
    texts = seed_comments()
    assert len(texts) == 18
    assert texts[4].startswith("I totally agree with you, Kyle.")

    def answer(number: int) -> str | None:
        before = [
            Commenter(name, "", n) for n, name in SEED_WRITERS.items() if n < number
        ]
        found = addressee(texts[number], before, writer_name=SEED_WRITERS[number])
        return found.name if found is not None else None

    assert answer(4) is None  # "Kyle" wrote the post
    assert answer(5) == "Cindy"
    assert answer(10) == "Chris Theisen"
    # And no other comment of the first ten opens by naming a commenter.
    assert [n for n in range(2, 10) if answer(n)] == [5]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "@", "Hi", "Thank you", "— … —"],
)
def test_an_opening_without_words_addresses_nobody(text: str) -> None:
    assert named(text) is None
