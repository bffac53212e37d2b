"""XML-RPC for Pingback 1.0 (Ian Hickson, 2002): read a call, write an answer.

A pingback is the XML-RPC call ``pingback.ping(sourceURI, targetURI)``; the answer
is a string on success or an XML-RPC fault with one of the codes the
specification lists (section "Error codes"; the hex values are the spec's own).

Reading uses defusedxml with DTDs forbidden outright: an XML-RPC call never needs a
DOCTYPE, so a request with one (the "billion laughs" entity bomb, external
entities) is refused before anything is expanded or fetched. Answers are written
with the standard library's marshaller (``xmlrpc.client.dumps``), which only
writes and escapes.

``system.multicall`` is deliberately absent: it let one request to WordPress make
hundreds of pingback calls (and as many outbound fetches). See
docs/protocols/pingback.md.
"""

from __future__ import annotations

import dataclasses
import xmlrpc.client
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# Pingback 1.0, "Error codes".
GENERIC = 0
SOURCE_NOT_FOUND = 0x0010  # 16: the source URI does not exist
NO_LINK = 0x0011  # 17: the source does not contain a link to the target
TARGET_NOT_FOUND = 0x0020  # 32: the target URI does not exist
TARGET_INVALID = 0x0021  # 33: the target cannot be used as a target
ALREADY_REGISTERED = 0x0030  # 48: the pingback has already been registered
ACCESS_DENIED = 0x0031  # 49
UPSTREAM_ERROR = 0x0032  # 50: the server could not communicate with an upstream

# "Specification for Fault Code Interoperability" (xmlrpc-epi, 2001), which
# WordPress and most XML-RPC servers use for transport-level faults.
PARSE_ERROR = -32700
UNKNOWN_METHOD = -32601
INVALID_PARAMS = -32602

PING = "pingback.ping"
LIST_METHODS = "system.listMethods"
METHODS = (PING, LIST_METHODS)

SUCCESS = "Pingback received; it will appear after verification."


class Fault(Exception):
    """An XML-RPC fault to answer with: a code and a message for the sender."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclasses.dataclass(frozen=True)
class Call:
    method: str
    params: tuple[object, ...]


@dataclasses.dataclass(frozen=True)
class Ping:
    source: str
    target: str


def parse_call(body: bytes) -> Call:
    """The method name and parameters of an XML-RPC ``<methodCall>``.

    Raises ``Fault(PARSE_ERROR)`` for anything that is not a well-formed call
    without a DTD.
    """
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True)
    except DefusedXmlException as error:
        raise Fault(
            PARSE_ERROR, "Refused: XML-RPC calls may not contain a DOCTYPE or entities."
        ) from error
    except (ParseError, ValueError) as error:
        raise Fault(PARSE_ERROR, f"Not well-formed XML: {error}") from error
    if root.tag != "methodCall":
        raise Fault(PARSE_ERROR, "Not an XML-RPC call: expected <methodCall>.")
    name = root.find("methodName")
    method = (name.text or "").strip() if name is not None else ""
    if not method:
        raise Fault(PARSE_ERROR, "The call names no method (<methodName>).")
    params = tuple(_value(value) for value in root.findall("params/param/value"))
    return Call(method=method, params=params)


def ping_of(call: Call) -> Ping:
    """``pingback.ping``'s two string parameters, source first."""
    if len(call.params) != 2 or not all(isinstance(p, str) for p in call.params):
        raise Fault(
            INVALID_PARAMS,
            "pingback.ping takes two strings: the source URI and the target URI.",
        )
    source, target = call.params
    return Ping(source=str(source).strip(), target=str(target).strip())


def response(value: str | list[str]) -> bytes:
    """A ``<methodResponse>`` carrying one value."""
    return xmlrpc.client.dumps((value,), methodresponse=True, encoding="utf-8").encode(
        "utf-8"
    )


def fault(code: int, message: str) -> bytes:
    """A ``<methodResponse>`` carrying a ``<fault>`` (faultCode, faultString)."""
    return xmlrpc.client.dumps(
        xmlrpc.client.Fault(code, message), methodresponse=True, encoding="utf-8"
    ).encode("utf-8")


def _value(value: Element) -> object:
    """One ``<value>``: a string (typed or bare), an int, a boolean or a double.
    Arrays and structs are read as ``None``: pingback never sends them."""
    children = list(value)
    if not children:
        return value.text or ""  # a bare <value>text</value> is a string
    typed = children[0]
    text = (typed.text or "").strip()
    try:
        if typed.tag == "string":
            return typed.text or ""
        if typed.tag in {"int", "i4", "i8"}:
            return int(text)
        if typed.tag == "boolean":
            return text == "1"
        if typed.tag == "double":
            return float(text)
    except ValueError as error:
        raise Fault(PARSE_ERROR, f"A <{typed.tag}> that is not one.") from error
    return None
