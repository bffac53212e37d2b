"""Load the demo site (``firsthand demo``): idempotent, through the real workflows."""

from __future__ import annotations

import dataclasses
import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from firsthand import demo_content
from firsthand.blog import publishing
from firsthand.blog.models import Author, Post
from firsthand.conversation import intake
from firsthand.conversation.models import Response
from firsthand.conversation.submission import Submission


@dataclasses.dataclass
class DemoReport:
    posts_created: int = 0
    responses_created: int = 0
    skipped_because_not_empty: bool = False


@transaction.atomic
def load_demo(*, only_if_empty: bool = False) -> DemoReport:
    """Create the demo author, posts and conversation; what exists stays as it is."""
    report = DemoReport()
    if only_if_empty and Post.objects.exists():
        report.skipped_because_not_empty = True
        return report
    author = _author()
    for item in demo_content.POSTS:
        post = Post.objects.filter(slug=item.slug).first()
        if post is None:
            post = _post(item, author)
            report.posts_created += 1
        if item.slug == demo_content.ARTICLE_SLUG and not post.responses.exists():
            report.responses_created += _responses(post)
    return report


def _author() -> Author:
    given = demo_content.AUTHOR
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=given.username)
    if created:
        user.set_unusable_password()  # the demo author cannot log in
        user.save()
    author = Author.objects.filter(user=user).first()
    if author is None:
        author = Author.objects.create(
            user=user,
            slug=publishing.author_slug(given.display_name),
            display_name=given.display_name,
            bio=given.bio,
            website=given.website,
        )
    return author


def _post(item: demo_content.DemoPost, author: Author) -> Post:
    post = Post(title=item.title, slug=item.slug, author=author, body=item.body)
    publishing.publish_post(post, at=datetime.datetime.fromisoformat(item.published_at))
    post.tags.set([publishing.tag_named(name) for name in item.tags])
    return post


def _responses(post: Post) -> int:
    assert post.published_at is not None
    by_number: dict[int, int] = {}
    for item in demo_content.ARTICLE_RESPONSES:
        response = intake.receive(
            Submission(
                post_id=post.pk,
                kind=item.kind,
                parent_id=by_number[item.in_reply_to] if item.in_reply_to else None,
                author_name=item.author_name,
                author_email=item.author_email,
                author_url=item.author_url,
                author_title=item.author_title,
                body=item.body,
                source_url=item.source_url,
                source_title=item.source_title,
                source="demo",
                created_at=post.published_at
                + datetime.timedelta(minutes=item.minutes_after),
            )
        )
        if response.number is not None:
            by_number[response.number] = response.pk
    return Response.objects.filter(post=post).count()
