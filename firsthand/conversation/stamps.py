"""Telling the page cache what changed: every write to a post, a response, a tag
or an author bumps the stamps of the pages that show it, once it is committed
(``firsthand.pagecache``).

Model signals catch every ``save()`` and ``delete()``; the few bulk writes that
bypass them (imports) bump by hand.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from firsthand import pagecache
from firsthand.blog.models import Author, Page, Post, Tag
from firsthand.conversation.models import Response


def response_changed(sender: Any, instance: Response, **kwargs: Any) -> None:
    pagecache.bump_on_commit(f"post:{instance.post_id}", "responses")


def post_changed(sender: Any, instance: Post, **kwargs: Any) -> None:
    pagecache.bump_on_commit("site", f"post:{instance.pk}")


def site_changed(sender: Any, **kwargs: Any) -> None:
    pagecache.bump_on_commit("site")


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(
            response_changed, sender=Response, dispatch_uid=f"stamp-r-{signal}"
        )
        for kind in (Post, Page):
            signal.connect(
                post_changed, sender=kind, dispatch_uid=f"stamp-{kind}-{signal}"
            )
        for model in (Tag, Author):
            signal.connect(
                site_changed, sender=model, dispatch_uid=f"stamp-{model}-{signal}"
            )
    m2m_changed.connect(
        site_changed, sender=Post.tags.through, dispatch_uid="stamp-post-tags"
    )
