"""WSGI entry point for ``firsthand serve`` (and any WSGI server)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firsthand.settings")
django_application = get_wsgi_application()

from firsthand import pagecache  # noqa: E402 (needs the settings loaded above)

# Anonymous readers' pages are answered from memory before Django runs.
application = pagecache.wrap(django_application)
