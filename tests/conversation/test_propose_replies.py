"""``firsthand propose-replies``: reply links proposed for a flat thread, reviewed,
then applied (or not), through ``call_command``."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from firsthand.blog.models import Post
from firsthand.conversation.models import Response

pytestmark = pytest.mark.django_db

Comment = Callable[..., Response]
HEADER = "post_id\tnumber\tproposed_parent_number\tauthor\tparent_author\twhy\topening"


def person(name: str) -> dict[str, str]:
    first = name.split()[0].lower()
    return {"author_name": name, "author_email": f"{first}@example.org"}


@pytest.fixture
def flat(post: Post, comment_on: Comment) -> dict[int, Response]:
    """The seed thread's shapes, flat as an import leaves them (Ada wrote the post)."""
    texts = [
        ("Mina Okafor", "A ghost poster should research the company first."),
        ("Cindy Vale", "I totally agree with you, Ada. I was hired to ghost tweet."),
        ("Theo Brandt", "Cindy while I agree with you, Ada and the others, meet."),
        ("Ravi Lund", "Social media is very time consuming for a small shop."),
        ("Cindy Vale", "Blogs and Twitter are two different forms, I think."),
        ("Ines Moreau", "I agree with Theo Brandt and he makes a great point."),
        ("Paul Ek", "There is no wrong or right about any of this, Mina."),
    ]
    rows = [comment_on(post, body=body, **person(name)) for name, body in texts]
    return {row.number or 0: row for row in rows}


def propose(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("propose_replies", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def apply(path: Path) -> str:
    out = io.StringIO()
    call_command("propose_replies", "--apply", str(path), stdout=out)
    return out.getvalue()


def proposal_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines[0] == HEADER
    return [line.split("\t") for line in lines[1:]]


def places(post: Post) -> dict[int, tuple[int | None, str]]:
    """number -> (number of the parent, path)."""
    rows = list(Response.objects.filter(post=post).select_related("parent"))
    return {
        row.number or 0: (row.parent.number if row.parent else None, row.path)
        for row in rows
    }


def test_proposals_follow_the_seed_thread_shapes(
    post: Post, flat: dict[int, Response]
) -> None:
    out, err = propose("--post", str(post.pk))
    rows = proposal_rows(out)
    assert [row[:5] for row in rows] == [
        [str(post.pk), "3", "2", "Theo Brandt", "Cindy Vale"],
        [str(post.pk), "6", "3", "Ines Moreau", "Theo Brandt"],
    ]
    assert rows[0][5] == (
        "Word 1 of the opening is Cindy, and Cindy Vale is the only earlier "
        "commenter called Cindy; their latest response is #2."
    )
    assert rows[1][6] == "I agree with Theo Brandt and he makes a great point."
    assert all(len(row) == 7 for row in rows)
    assert err.strip() == "Proposed 2 reply link(s)."
    # Nothing changes until a moderator applies the file.
    assert all(parent is None for parent, _ in places(post).values())


def test_the_latest_response_of_the_named_person_is_proposed(
    post: Post, flat: dict[int, Response], comment_on: Comment
) -> None:
    comment_on(post, body="Cindy, which of your two points?", **person("Ravi Lund"))
    rows = proposal_rows(propose("--slug", post.slug)[0])
    assert [row[1:3] for row in rows][-1] == ["8", "5"]  # Cindy's #5, not #2


def test_replies_stay_and_are_not_proposed(
    post: Post, flat: dict[int, Response], comment_on: Comment
) -> None:
    answer = comment_on(
        post, body="Theo, you said it.", parent_id=flat[1].pk, **person("Uma Roy")
    )
    numbers = [row[1] for row in proposal_rows(propose()[0])]
    assert str(answer.number) not in numbers
    assert numbers == ["3", "6"]


def test_apply_makes_the_replies_with_their_places(
    post: Post, flat: dict[int, Response], tmp_path: Path
) -> None:
    review = tmp_path / "replies.tsv"
    out, _ = propose("--post", str(post.pk), "-o", str(review))
    assert out.strip() == (
        f"Proposed 2 reply link(s); review {review}, then --apply it."
    )
    assert apply(review).strip() == (
        "Applied 2 reply link(s); 0 already in place, 0 left alone."
    )
    found = places(post)
    assert found[3] == (2, "0000002.0000003")
    assert found[6] == (3, "0000002.0000003.0000006")
    assert found[1] == (None, "0000001")
    assert found[7] == (None, "0000007")
    # A second run changes nothing more, and proposes nothing new.
    assert apply(review).strip() == (
        "Applied 0 reply link(s); 2 already in place, 0 left alone."
    )
    assert places(post) == found
    assert proposal_rows(propose()[0]) == []


def test_a_deleted_line_is_skipped(
    post: Post, flat: dict[int, Response], tmp_path: Path
) -> None:
    review = tmp_path / "replies.tsv"
    propose("-o", str(review))
    lines = review.read_text().splitlines()
    review.write_text("\n".join(line for line in lines if "\t6\t" not in line) + "\n")
    assert apply(review).startswith("Applied 1 reply link(s)")
    found = places(post)
    assert found[3] == (2, "0000002.0000003")
    assert found[6] == (None, "0000006")


def test_an_edited_parent_is_applied_as_written(
    post: Post, flat: dict[int, Response], tmp_path: Path
) -> None:
    review = tmp_path / "replies.tsv"
    review.write_text(f"{HEADER}\n{post.pk}\t7\t1\n")
    apply(review)
    assert places(post)[7] == (1, "0000001.0000007")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{post}\t6", "line 3: expected post_id, number and proposed_parent_number"),
        ("{post}\tsix\t3", "line 3: number is 'six', not a whole number"),
        ("{post}\t6\t99", "line 3: post {post} has no visible comment #99"),
        ("{post}\t2\t2", "line 3: A comment cannot answer itself"),
        ("{post}\t3\t4", "line 3: #3 of post {post} is already on line 2"),
    ],
)
def test_a_malformed_file_applies_nothing_and_names_the_line(
    post: Post, flat: dict[int, Response], tmp_path: Path, line: str, reason: str
) -> None:
    review = tmp_path / "replies.tsv"
    good = f"{post.pk}\t3\t2\tTheo Brandt\tCindy Vale\twhy\tCindy while"
    review.write_text(f"{HEADER}\n{good}\n{line.format(post=post.pk)}\n")
    before = places(post)
    with pytest.raises(CommandError) as raised:
        apply(review)
    message = str(raised.value)
    assert f"replies.tsv {reason.format(post=post.pk)}" in message
    assert "Nothing was applied" in message or "nothing was applied" in message
    assert places(post) == before


def test_a_comment_made_a_reply_meanwhile_is_left_alone(
    post: Post, flat: dict[int, Response], tmp_path: Path
) -> None:
    review = tmp_path / "replies.tsv"
    propose("-o", str(review))
    review_lines = review.read_text()
    (tmp_path / "other.tsv").write_text(f"{HEADER}\n{post.pk}\t3\t1\n")
    apply(tmp_path / "other.tsv")
    out = apply(review)
    assert "replies.tsv line 6: #3 already answers another response" in out
    assert out.strip().endswith(
        "Applied 1 reply link(s); 0 already in place, 1 left alone."
    )
    assert places(post)[3] == (1, "0000001.0000003")
    assert review_lines.count("\n") == 7


def test_unknown_posts_and_files_are_refused(tmp_path: Path, post: Post) -> None:
    with pytest.raises(CommandError, match="There is no post with id 999"):
        propose("--post", "999")
    with pytest.raises(CommandError, match="There is no post with slug 'nope'"):
        propose("--slug", "nope")
    with pytest.raises(CommandError, match="Cannot read"):
        apply(tmp_path / "missing.tsv")


def test_help_explains_the_review_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        call_command("propose_replies", "--help")
    text = capsys.readouterr().out
    assert "--apply FILE" in text
    assert "post_id, number, proposed_parent_number" in text
    assert "firsthand propose-replies --apply replies.tsv" in text
