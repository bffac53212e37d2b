from __future__ import annotations

from django.apps import AppConfig


class CrosstalkConfig(AppConfig):
    name = "firsthand.crosstalk"
    label = "firsthand_crosstalk"
    verbose_name = "Crosstalk (between sites)"
    default_auto_field = "django.db.models.BigAutoField"
