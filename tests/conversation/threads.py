"""Grow large threads quickly for tests: rows as intake would have left them."""

from __future__ import annotations

from collections.abc import Sequence

from firsthand.blog.models import Post
from firsthand.conversation import rules
from firsthand.conversation.models import Response


def grow(post: Post, answers: Sequence[int | None]) -> list[Response]:
    """Visible comments numbered 1..n; ``answers[i]`` is the number that comment
    i+1 replies to (None: top level). Paths, ordinals and the post's counters are
    set exactly as ``threadstate.set_status`` sets them, in two bulk queries."""
    rows: list[Response] = []
    by_number: dict[int, Response] = {}
    ordinal = post.last_root_ordinal
    start = post.last_response_number
    for offset, answered in enumerate(answers, start=1):
        number = start + offset
        parent = by_number.get(answered) if answered else None
        above = (parent.path, parent.root_ordinal) if parent is not None else None
        (path, root), ordinal = rules.place(number, above, ordinal)
        row = Response(
            post=post,
            number=number,
            path=path,
            root_ordinal=root,
            status=Response.Status.VISIBLE,
            author_name=f"Reader {number}",
            author_email=f"r{number}@example.org",
            body=f"Comment {number}",
            body_html=f"<p>Comment {number}</p>",
        )
        rows.append(row)
        by_number[number] = row
    Response.objects.bulk_create(rows)
    stored = {r.number: r for r in Response.objects.filter(post=post)}
    children = []
    for offset, answered in enumerate(answers, start=1):
        if answered:
            child = stored[start + offset]
            child.parent_id = stored[answered].pk
            children.append(child)
    Response.objects.bulk_update(children, ["parent"])
    total = start + len(answers)
    Post.objects.filter(pk=post.pk).update(
        response_count=Response.objects.visible().filter(post=post).count(),
        last_response_number=total,
        last_root_ordinal=ordinal,
    )
    post.refresh_from_db()
    return [stored[n] for n in range(start + 1, total + 1)]
