"""``firsthand purge-spam``: delete spam kept past its review period."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from firsthand.conversation import moderation


class Command(BaseCommand):
    help = (
        "Delete responses marked as spam more than FIRSTHAND_SPAM_KEEP_DAYS days ago "
        f"(now {settings.FIRSTHAND_SPAM_KEEP_DAYS}). Run it daily, e.g. from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = moderation.purge_spam()
        self.stdout.write(f"Purged {count} spam response(s).")
