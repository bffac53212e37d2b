from __future__ import annotations

from django.apps import AppConfig


class SyndicationConfig(AppConfig):
    name = "firsthand.syndication"
    # Not "syndication": that is django.contrib.syndication's label.
    label = "firsthand_syndication"
    verbose_name = "Syndication"
    default_auto_field = "django.db.models.BigAutoField"
