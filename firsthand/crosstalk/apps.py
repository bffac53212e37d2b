from __future__ import annotations

from django.apps import AppConfig


class CrosstalkConfig(AppConfig):
    name = "firsthand.crosstalk"
    label = "firsthand_crosstalk"
    verbose_name = "Crosstalk (between sites)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, once the app registry is ready: the receivers' module
        # imports the tasks, which import the models.
        from firsthand.blog.signals import post_edited, post_published, post_scheduled
        from firsthand.crosstalk import receivers

        # Sending Webmentions and pingbacks (docs/protocols/sending.md).
        post_published.connect(
            receivers.post_published, dispatch_uid="firsthand.crosstalk.send.published"
        )
        post_edited.connect(
            receivers.post_edited, dispatch_uid="firsthand.crosstalk.send.edited"
        )
        post_scheduled.connect(
            receivers.post_scheduled, dispatch_uid="firsthand.crosstalk.send.scheduled"
        )
