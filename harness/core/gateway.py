"""The API Gateway's own answers: what each of its error codes tells a conformance run.

One home for NCP's table of the gateway's errors and for the rule that tells a transient
answer (a throttle, an outage, a backend hiccup) from a verdict on the contract. The table
is the one of "API call error handling" (api-gov.ncloud-docs.com, api-call-lgc-errorhandling,
ko, updated 2026-10-22) and ncp-api.md section 4: the body is JSON, `{"error": {"errorCode":
"210", "message": "Permission Denied", "details": ""}}`, whatever format was asked (assumed
for XML requests; an XML `<error><errorCode>` is read too). The table types errorCode as an
integer; real bodies carry a string: both are read. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from harness.core.answer import Answer
from harness.core.depth import json_document

__all__ = ["CODES", "TOO_LARGE", "TRANSIENT", "GatewayCode", "gateway_code", "hiccup_name",
           "is_hiccup", "is_transient", "permission_denied", "refused_by_gateway"]

Kind = Literal["refused", "auth", "permission", "not_found", "throttle", "outage", "unexpected"]

SOURCE = ("API call error handling (api-gov.ncloud-docs.com, api-call-lgc-errorhandling, ko,"
          " updated 2026-10-22); ncp-api.md section 4")


@dataclass(frozen=True)
class GatewayCode:
    """One row of the gateway's table: status, errorCode, message, and what it means here."""

    status: int
    code: str
    message: str
    kind: Kind
    """refused: the gateway would not pass the request on (encoding, protocol, size), a valid
    refusal of what it cannot take; auth: the signature was not accepted; permission: the key
    may not call the action (a configuration error); not_found: no such API; throttle and
    outage: transient; unexpected: the gateway's own hiccup, transient."""


CODES: tuple[GatewayCode, ...] = (
    GatewayCode(400, "100", "Bad Request Exception", "refused"),
    GatewayCode(401, "200", "Authentication Failed", "auth"),
    GatewayCode(401, "210", "Permission Denied", "permission"),
    GatewayCode(403, "230", "Forbidden", "permission"),
    GatewayCode(404, "300", "Not Found Exception", "not_found"),
    GatewayCode(429, "400", "Quota Exceeded", "throttle"),
    GatewayCode(429, "410", "Throttle Limited", "throttle"),
    GatewayCode(429, "420", "Rate Limited", "throttle"),
    GatewayCode(413, "430", "Request Entity Too Large", "refused"),
    GatewayCode(503, "500", "Endpoint Error", "outage"),
    GatewayCode(504, "510", "Endpoint Timeout", "outage"),
    GatewayCode(500, "900", "Unexpected Error", "unexpected"),
)
_BY_CODE = {(row.status, row.code): row for row in CODES}

TOO_LARGE = frozenset({413, 414, 431})
"""A gateway's answers to a request too large to read; any body shape will do."""

TRANSIENT = frozenset({429, 503, 504})
"""The gateway's throttling and outage statuses (a 500 is transient only as a hiccup)."""

_XML_CODE = re.compile(rb"<errorCode>\s*([0-9]+)\s*</errorCode>")
_HEAD = 4096


def _json_head(body: bytes) -> Any:
    """The JSON value of a short body (an error), or None; pretty-printed bodies too."""
    if len(body) > _HEAD:
        return None
    try:
        return json_document(body)
    except ValueError:  # not JSON, or nested too deep (TooDeep is a ValueError)
        return None


def _error_code(body: bytes) -> str | None:
    """The gateway errorCode a body carries (JSON `error`, or XML `<error>`), as a string."""
    data = _json_head(body)
    if isinstance(data, dict):
        error = data.get("error") if list(data) == ["error"] else None
        code = error.get("errorCode") if isinstance(error, dict) else None
        if isinstance(code, bool) or not isinstance(code, str | int):
            return None
        return str(code).strip()
    head = body[:_HEAD].lstrip()
    if head.startswith(b"<") and b"<error>" in head and b"<responseError>" not in head:
        found = _XML_CODE.search(head)
        return found.group(1).decode() if found else None
    return None


def gateway_code(answer: Answer) -> GatewayCode | None:
    """The row of the gateway's table this answer is (status and errorCode both match)."""
    if answer.status < 400:
        return None
    code = _error_code(answer.body)
    return _BY_CODE.get((answer.status, code)) if code is not None else None


def is_hiccup(answer: Answer) -> bool:
    """A 500 that says "try again": the Server API's returnCode 1000, the gateway's 900.

    NCP's "Please try your call again later" (terraform-provider-ncloud issue 298;
    docs/reference.md) and the gateway's "Unexpected Error": retried for reads, looked for
    in a listing for a create, counted, and a violation only when it persists.
    """
    if answer.status != 500:
        return False
    row = gateway_code(answer)
    if row is not None:
        return row.kind == "unexpected"
    data = _json_head(answer.body)
    error = data.get("responseError") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("returnCode")) == "1000"
    text = answer.body[:512]
    return b"<returnCode>1000</returnCode>" in text.replace(b" ", b"").replace(b"\n", b"")


def hiccup_name(answer: Answer) -> str:
    """How a hiccup's answer calls itself, for a message."""
    row = gateway_code(answer)
    return (f"\"{row.message}\" (the gateway's {row.code})" if row is not None
            else "\"try your call again later\"")


def is_transient(answer: Answer) -> bool:
    """A throttle (429), an outage (503, 504) or a hiccup (500/1000, 500/900): no verdict.

    Gateway bodies may be pretty-printed; a 429 in any shape but the Server API's error is
    a throttle.
    """
    if is_hiccup(answer):
        return True
    row = gateway_code(answer)
    if row is not None:
        return row.kind in ("throttle", "outage")
    if answer.status not in TRANSIENT:
        return False
    data = _json_head(answer.body)
    if isinstance(data, dict):
        return "error" in data or (answer.status == 429 and "responseError" not in data)
    return answer.status == 429


def refused_by_gateway(answer: Answer) -> GatewayCode | None:
    """The gateway's own refusal (400/100 encoding or protocol, 413/430 size), if it is one."""
    row = gateway_code(answer)
    return row if row is not None and row.kind == "refused" else None


def permission_denied(answer: Answer, action: str) -> str | None:
    """What to tell the user when the key may not call `action` (401/210, 403/230), or None.

    Only meaningful for a correctly signed request: the signature was accepted and the
    account's policy refused the call. A run cannot judge anything the key may not do.
    """
    row = gateway_code(answer)
    if row is None or row.kind != "permission":
        return None
    what = "create images" if action == "createServerImageFromSnapshot" else f"call {action}"
    return (f"this key may not {what} here ({row.message}, {row.code}): the API Gateway"
            f" answered {answer.status} to a correctly signed {action}; give the key's"
            " sub account a policy that allows it (or use another key), and run again")
