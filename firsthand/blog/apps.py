from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

from firsthand.checks import (
    fetch_allow_is_set,
    postgresql_durability,
    sqlite_durability,
)


class BlogConfig(AppConfig):
    name = "firsthand.blog"
    label = "firsthand_blog"
    verbose_name = "Blog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(sqlite_durability)
        checks.register(fetch_allow_is_set)
        checks.register(postgresql_durability, checks.Tags.database)
