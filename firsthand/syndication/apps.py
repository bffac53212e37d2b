from __future__ import annotations

from django.apps import AppConfig


class SyndicationConfig(AppConfig):
    name = "firsthand.syndication"
    # Not "syndication": that is django.contrib.syndication's label.
    label = "firsthand_syndication"
    verbose_name = "Syndication"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, once the app registry is ready: the receivers' module
        # imports the tasks, which import the models.
        from firsthand.blog.signals import post_published, post_scheduled
        from firsthand.conversation.signals import response_appeared
        from firsthand.syndication import receivers

        post_published.connect(
            receivers.post_published, dispatch_uid="firsthand.websub.post"
        )
        response_appeared.connect(
            receivers.response_appeared, dispatch_uid="firsthand.websub.response"
        )
        post_scheduled.connect(
            receivers.post_scheduled, dispatch_uid="firsthand.websub.scheduled"
        )
