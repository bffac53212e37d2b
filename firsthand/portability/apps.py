from django.apps import AppConfig


class PortabilityConfig(AppConfig):
    """Moving a blog in (WordPress WXR import) and out again (WXR export)."""

    name = "firsthand.portability"
    label = "firsthand_portability"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Import and export"
