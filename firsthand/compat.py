"""Names whose home moves between the Django versions Firsthand runs on.

Background tasks: Django 6.0 ships ``django.tasks``; on Django 5.2 the same API is
the ``django-tasks`` package. Import from here and the move to Django 6 needs no
code change (django-tasks-db makes the same choice in its own compat module).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Type-check against the package the stubs know (Django 5.2 has no django.tasks).
    from django_tasks import task, task_backends
else:
    _home = importlib.import_module(
        "django.tasks" if importlib.util.find_spec("django.tasks") else "django_tasks"
    )
    task = _home.task
    task_backends = _home.task_backends

__all__ = ["task", "task_backends"]
