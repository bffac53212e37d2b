"""The WebSub hub endpoint, ``/websub/`` (W3C WebSub section 5.1).

Thin: count the request, read it, store it, answer 202. Verification and pushes
happen later in ``firsthand worker``, through the one outbound door
(``crosstalk.fetch``), so nothing here ever waits on someone else's server.
"""

from __future__ import annotations

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.views.decorators.csrf import csrf_exempt

from firsthand.client import client_ip
from firsthand.syndication import websub

TEXT = "text/plain; charset=utf-8"

GET_EXPLANATION = """\
This is the WebSub hub for this site's feeds (https://www.w3.org/TR/websub/).
Subscribe by POSTing application/x-www-form-urlencoded fields:
  hub.mode=subscribe (or unsubscribe)
  hub.topic=<a feed's rel="self" URL>
  hub.callback=<your URL>
  hub.lease_seconds=<optional, 3600 to 2592000; 864000 by default>
  hub.secret=<optional, under 200 bytes: pushes are then signed with
             X-Hub-Signature: sha256=...; send it over HTTPS>
"""


# CSRF protection is for browsers carrying a visitor's cookies; this endpoint is for
# other servers and acts on no one's session. The worst a forged request can do is
# store a pending request, and nothing is pushed until the callback itself echoes a
# random challenge the hub sent it (section 5.3), so a third party cannot subscribe
# (or unsubscribe) a callback it does not control.
@csrf_exempt
def hub(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"], GET_EXPLANATION, content_type=TEXT)
    if not websub.within_limits(client_ip(request)):
        return _too_many()
    try:
        asked = websub.parse_request(request.POST)
    except websub.BadHubRequest as error:
        return HttpResponseBadRequest(error.reason + "\n", content_type=TEXT)
    if not websub.callback_within_limits(asked.callback):
        return _too_many()
    websub.request_subscription(
        asked.callback, asked.topic, asked.mode, asked.secret, asked.lease_seconds
    )
    return HttpResponse(
        f"Accepted: your callback will be asked to confirm this {asked.mode} "
        "request (hub.challenge).\n",
        status=202,
        content_type=TEXT,
    )


def _too_many() -> HttpResponse:
    response = HttpResponse(
        "Too many requests to this hub in the last minute; try again shortly.\n",
        status=429,
        content_type=TEXT,
    )
    response["Retry-After"] = "60"
    return response
