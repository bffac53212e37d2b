from __future__ import annotations

from django.apps import AppConfig


class ConversationConfig(AppConfig):
    name = "firsthand.conversation"
    label = "firsthand_conversation"
    verbose_name = "Conversation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, once the app registry is ready: the receivers' module
        # imports the tasks, which import the models.
        from firsthand.conversation import receivers, stamps
        from firsthand.conversation.signals import response_published, response_stored

        # Follow and author emails (docs/notifications.md).
        response_stored.connect(
            receivers.response_stored,
            dispatch_uid="firsthand.conversation.notify.stored",
        )
        response_published.connect(
            receivers.response_published,
            dispatch_uid="firsthand.conversation.notify.published",
        )
        # The page cache's stamps (firsthand/pagecache.py).
        stamps.connect()
