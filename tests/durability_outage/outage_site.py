"""A real ``firsthand serve`` for the outage and disk-full tests."""

from __future__ import annotations

import time
from pathlib import Path

from django.test import override_settings

from firsthand.conversation import tickets
from tests.sites import Site

SITE_KEY = "outage-test-key-" + "k" * 40


class OutageSite(Site):
    """A ``firsthand serve`` on a database URL of the test's (None: SQLite in its
    data folder), with a known secret key (the test issues form tickets itself)
    and flood control off."""

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        super().__init__(data_dir, worker=False)
        self.database_url = database_url

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(FIRSTHAND_SECRET_KEY=SITE_KEY, FIRSTHAND_FLOOD_PER_HOUR="0")
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def publish(self, title: str) -> tuple[int, str]:
        """A post by Ada; its id and path."""
        printed = self.python(
            "from django.contrib.auth.models import User\n"
            "from firsthand.blog import publishing\n"
            "from firsthand.blog.models import Author, Post\n"
            "user, _ = User.objects.get_or_create(username='ada')\n"
            "author, _ = Author.objects.get_or_create(user=user, defaults=dict(\n"
            "    slug='ada-quill', display_name='Ada Quill'))\n"
            f"post = publishing.publish_post(Post(title={title!r},\n"
            "    body='Prices, frames and phone calls.', author=author))\n"
            "print(post.pk, post.get_absolute_url())\n"
        )
        number, path = printed.split()
        return int(number), path


def issue_tickets(count: int) -> list[str]:
    """Form tickets as the site hands them out (its key), a minute old."""
    with override_settings(SECRET_KEY=SITE_KEY):
        return [tickets.issue(now=time.time() - 60) for _ in range(count)]
