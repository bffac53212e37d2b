"""The receiving endpoints: Webmention, Pingback (XML-RPC) and TrackBack.

Thin: read the request, call one ``receive.accept_*``, answer in the protocol's own
form. Nothing here fetches anything; the worker verifies (``verify``).

CSRF: these endpoints are for other servers, which have no CSRF token and carry
no one's cookies; they act on no session and change nothing a visitor owns. A
forged request can only store a ping, and a ping shows nothing until the worker
has fetched its source and found the link there (and intake's spam layers and
moderators have had their say). So they are ``csrf_exempt``, like every
Webmention, Pingback and TrackBack endpoint must be to work at all.
"""

from __future__ import annotations

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from firsthand.client import client_ip
from firsthand.conversation.models import Response
from firsthand.crosstalk import receive
from firsthand.crosstalk.models import Inbound
from firsthand.crosstalk.protocols import pingback, trackback as trackback_protocol
from firsthand.site import absolute, site_url

TEXT = "text/plain; charset=utf-8"
XML = "text/xml; charset=utf-8"
# An XML-RPC pingback call is a few hundred bytes; nothing larger is read.
XMLRPC_MAX_BYTES = 64 * 1024

WEBMENTION_GET = """\
This is the Webmention endpoint of this site (https://www.w3.org/TR/webmention/).
Tell it that your page links to one of its posts by POSTing
application/x-www-form-urlencoded fields:
  source=<your page's URL>
  target=<the post's URL on this site>
The answer is 201 Created with a Location: header, the URL of a status page.
"""


@csrf_exempt  # a machine endpoint: see the module's docstring
def webmention(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"], WEBMENTION_GET, content_type=TEXT)
    try:
        inbound = receive.accept_webmention(
            request.POST.get("source", ""),
            request.POST.get("target", ""),
            client_ip(request),
            site=site_url(request),
        )
    except receive.TooMany as refusal:
        return _too_many(
            HttpResponse(refusal.reason + "\n", content_type=TEXT), refusal
        )
    except receive.Refused as refusal:
        return HttpResponseBadRequest(refusal.reason + "\n", content_type=TEXT)
    status_url = absolute(
        reverse("crosstalk:webmention-status", args=[inbound.token]), request
    )
    # Section 3.2.1: a receiver that offers a status page answers 201 Created
    # with a Location header pointing to it (202 is for "no status page").
    answer = HttpResponse(
        "Accepted: the source will be fetched and checked for a link to the "
        f"target. Status: {status_url}\n",
        status=201,
        content_type=TEXT,
    )
    answer["Location"] = status_url
    return answer


@require_GET
def webmention_status(request: HttpRequest, token: str) -> HttpResponse:
    """What became of one received Webmention, in words (the URL is the secret)."""
    inbound = get_object_or_404(
        Inbound.objects.select_related("post", "response"), token=token
    )
    shown = inbound.response
    if shown is not None and shown.status != Response.Status.VISIBLE:
        shown = None  # held, spam or removed: not for the sender to see
    context = {"inbound": inbound, "shown": shown}
    return render(request, "crosstalk/webmention_status.html", context)


@csrf_exempt  # a machine endpoint: see the module's docstring
def xmlrpc(request: HttpRequest) -> HttpResponse:
    """XML-RPC: ``pingback.ping`` (and ``system.listMethods``), nothing else."""
    if request.method != "POST":
        return HttpResponseNotAllowed(
            ["POST"], "XML-RPC server accepts POST requests only.\n", content_type=TEXT
        )
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > XMLRPC_MAX_BYTES:
        return _too_large()
    body = request.read(XMLRPC_MAX_BYTES + 1)
    if len(body) > XMLRPC_MAX_BYTES:
        return _too_large()
    try:
        call = pingback.parse_call(body)
        if call.method == pingback.LIST_METHODS:
            return _xml(pingback.response(list(pingback.METHODS)))
        if call.method != pingback.PING:
            # system.multicall included: one request must not become many pings.
            raise pingback.Fault(
                pingback.UNKNOWN_METHOD,
                f"Unknown method {call.method[:100]!r}: this server answers "
                f"{' and '.join(pingback.METHODS)}.",
            )
        ping = pingback.ping_of(call)
        receive.accept_pingback(
            ping.source, ping.target, client_ip(request), site=site_url(request)
        )
    except pingback.Fault as fault:
        return _xml(pingback.fault(fault.code, fault.message))
    except receive.TooMany as refusal:
        answer = _xml(pingback.fault(refusal.fault, refusal.reason), status=429)
        return _too_many(answer, refusal)
    except receive.Refused as refusal:
        return _xml(pingback.fault(refusal.fault, refusal.reason))
    return _xml(pingback.response(pingback.SUCCESS))


@csrf_exempt  # a machine endpoint: see the module's docstring
def trackback(request: HttpRequest, post_id: int) -> HttpResponse:
    """A post's TrackBack Ping URL."""
    if request.method != "POST":
        message = "TrackBack pings are POSTed here (url, title, excerpt, blog_name)."
        return _xml(trackback_protocol.error(message), status=405)
    try:
        ping = trackback_protocol.parse_ping(request.POST)
        receive.accept_trackback(
            post_id,
            ping.url,
            client_ip(request),
            site=site_url(request),
            title=ping.title,
            excerpt=ping.excerpt,
            blog_name=ping.blog_name,
        )
    except trackback_protocol.BadPing as problem:
        return _xml(trackback_protocol.error(str(problem)))
    except receive.TooMany as refusal:
        answer = _xml(trackback_protocol.error(refusal.reason), status=429)
        return _too_many(answer, refusal)
    except receive.Refused as refusal:
        return _xml(trackback_protocol.error(refusal.reason))
    return _xml(trackback_protocol.success())


def _xml(content: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(content, status=status, content_type=XML)


def _too_many(answer: HttpResponse, refusal: receive.TooMany) -> HttpResponse:
    answer.status_code = 429
    answer["Retry-After"] = str(refusal.retry_after)
    return answer


def _too_large() -> HttpResponse:
    return HttpResponse(
        f"An XML-RPC call here is at most {XMLRPC_MAX_BYTES} bytes.\n",
        status=413,
        content_type=TEXT,
    )
