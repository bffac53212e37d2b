from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "firsthand.jobs"
    label = "firsthand_jobs"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"
