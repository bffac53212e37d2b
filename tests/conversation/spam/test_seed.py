"""Reading labelled CSV files and building the shipped seed model."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from firsthand.conversation.spam import learner, seed
from firsthand.conversation.spam.learner import FEATURE_TOTAL
from tests.testdata import shared_file

HEADER = "COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\n"


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "labelled.csv"
    path.write_text(header + "".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("wierd but funny\ufeff", "wierd but funny"),
        (
            "Hey guys, I&#39;m a human.<br /><br />Really &lt;3",
            "Hey guys, I'm a human.\n\nReally <3",
        ),
        (
            '<a href="http://www.youtube.com/watch?v=x&amp;t=2m19s">2:19</a> best part',
            "[2:19](http://www.youtube.com/watch?v=x&t=2m19s) best part",
        ),
        (
            '<a href="https://m.example.com/share">https://m.example.com/share</a>',
            "<https://m.example.com/share>",
        ),
        (
            'Cheers! <a rel="nofollow" class="ot-hashtag" '
            'href="https://plus.google.com/s/%23Vaping">#Vaping</a>',
            "Cheers! #Vaping",
        ),
        (
            'subscribe to <span class="proflinkWrapper"><span class="proflinkPrefix">+'
            '</span><a class="proflink" href="https://plus.google.com/1" oid="1">'
            "Mario</a></span> now",
            "subscribe to +Mario now",
        ),
        ("<i>so</i> good", "so good"),
    ],
)
def test_youtube_html_becomes_what_a_reader_would_type(
    html: str, markdown: str
) -> None:
    assert seed.html_to_markdown(html) == markdown


def test_rows_become_author_text_and_label(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'z1,Corey Wilson,2015-05-28T21:39:52,"Nice, really<br />nice\ufeff",0\n',
        "z2,Mallory,2015-05-28T21:40:00,check out my channel,1\n",
    )
    assert seed.read_labelled_csv(path) == [
        ("Corey Wilson", "Nice, really\nnice", False),
        ("Mallory", "check out my channel", True),
    ]


def test_a_malformed_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "z1,Bob,2015-05-28T21:39:52,fine,0\n",
        "z2,Mallory,2015-05-28T21:40:00,oops\n",
    )
    with pytest.raises(ValueError, match=r"labelled\.csv, line 3: expected 5 fields"):
        seed.read_labelled_csv(path)


def test_a_class_other_than_0_or_1_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "z1,Bob,2015-05-28T21:39:52,fine,spam\n")
    with pytest.raises(ValueError, match="line 2"):
        seed.read_labelled_csv(path)


def test_a_multi_line_comment_is_one_row_and_errors_count_physical_lines(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        'z1,Bob,2015-05-28T21:39:52,"two\nlines",0\n',
        "z2,Mallory,broken\n",
    )
    with pytest.raises(ValueError, match="line 4"):
        seed.read_labelled_csv(path)


def test_a_wrong_header_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "z1,Bob,2015,fine,0\n", header="\nCOMMENT_ID,AUTHOR\n")
    with pytest.raises(ValueError, match="line 1: the header should be"):
        seed.read_labelled_csv(path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, header="")
    with pytest.raises(ValueError, match="empty"):
        seed.read_labelled_csv(path)


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "z1,Bob,2015,caf\xe9,0\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.csv, line 2"):
        seed.read_labelled_csv(path)


def test_training_counts_each_distinct_text_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "z1,A,2015,Check out this video on YouTube:,1\n",
        "z2,B,2015,check out  this video on youtube:,1\n",
        "z3,C,2015,love this song so much,0\n",
    )
    counts = seed.train([path])
    assert counts.totals() == (1, 1)


def test_the_seed_file_is_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "z1,A,2015,Check out my channel please,1\n",
        "z2,B,2015,Check out my channel now,1\n",
        "z3,C,2015,love this song so much,0\n",
    )
    first, second = tmp_path / "one.json.gz", tmp_path / "two.json.gz"
    counts = seed.write_seed([path], first)
    seed.write_seed([path], second)
    assert first.read_bytes() == second.read_bytes()
    loaded = seed.load_seed(first)
    assert loaded.tokens == counts.tokens
    assert "check out" in loaded.tokens  # seen twice
    assert "channel now" not in loaded.tokens  # seen once: pruned


def test_a_file_that_is_not_a_seed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "seed.json.gz"
    path.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="not a gzipped seed model"):
        seed.load_seed(path)


def test_the_shipped_seed_is_small_current_and_holds_no_texts() -> None:
    assert seed.SEED_PATH.stat().st_size < 50_000
    with gzip.open(seed.SEED_PATH, "rt", encoding="utf-8") as file:
        data = json.load(file)
    assert data["features_version"] == learner.FEATURES_VERSION
    counts = seed.load_seed()
    assert counts.totals() == (483, 537)
    assert FEATURE_TOTAL in counts.tokens
    # Features are concepts, sites and two-word phrases: no sentence is stored.
    assert max(len(token.split()) for token in counts.tokens) <= 2


def test_the_shipped_seed_matches_the_shared_data(tmp_path: Path) -> None:
    paths = [shared_file(name.removeprefix("testdata/")) for name in seed.SHARED_FILES]
    rebuilt = seed.write_seed(paths, tmp_path / "seed.json.gz")
    shipped = seed.load_seed()
    # The counts, not the gzip bytes: another zlib may compress differently.
    assert (rebuilt.tokens, rebuilt.totals()) == (shipped.tokens, shipped.totals()), (
        "the shipped seed is stale: rebuild it with "
        "seed.write_seed(seed.shared_paths()) (docs/spam.md)"
    )
