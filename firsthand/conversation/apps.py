from __future__ import annotations

from django.apps import AppConfig


class ConversationConfig(AppConfig):
    name = "firsthand.conversation"
    label = "firsthand_conversation"
    verbose_name = "Conversation"
    default_auto_field = "django.db.models.BigAutoField"
