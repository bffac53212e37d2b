"""The answer to a request too big to read (issue #9, plan §3.1 test 10).

Django refuses a form body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (512 KiB here) or
with more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields before reading it, and
answers with its generic "bad request". This handler says what happened instead:
413 for a body too large, 400 for too many fields, each naming the limit; and
since the body was never read, the page tells the person that their text is still
in the browser (Back), which is where it is.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """Django's ``handler400``: too large, too many fields, or plainly malformed."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        context = {
            "heading": "Too much to receive",
            "reason": (
                f"The form sent more than {limit // 1024} KiB, the most this site "
                "reads from one request, so none of it was read or stored."
            ),
            "max_chars": settings.FIRSTHAND_RESPONSE_MAX_CHARS,
        }
        return render(request, "too_large.html", context, status=413)
    if isinstance(exception, TooManyFieldsSent):
        fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        context = {
            "heading": "Too many fields",
            "reason": (
                f"The form sent more than {fields} fields, the most this site "
                "reads from one request, so none of it was read or stored."
            ),
            "max_chars": settings.FIRSTHAND_RESPONSE_MAX_CHARS,
        }
        return render(request, "too_large.html", context, status=400)
    return render(request, "400.html", status=400)
