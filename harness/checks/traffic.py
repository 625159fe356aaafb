"""Read the exchanges a client had from a HAR file, as browsers and proxies export it.

Any HAR 1.2 file will do (mitmproxy, Charles, a browser's network tab, the harness's own
cassettes). Entries to `/createServerImageFromSnapshot` and to the neighbour actions
(`NEIGHBOUR_ACTIONS`) are kept with their answers, when the file holds one; every other
entry is counted and named as skipped. A form body is taken from
`postData.text`, or rebuilt from `postData.params` when an exporter left the text out. An
answer whose `content.text` is left out (HAR 1.2: "if the information is not available")
is kept as not captured: its status is judged, its body is not.
A file that is not HAR raises `CassetteError` naming the file and the place
(`harness.recording.har.read_har_document`, as for cassettes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus, urlsplit

from jsonschema import Draft202012Validator

from harness.checks.request import ClientRequest
from harness.contract.model import ACTION, NEIGHBOUR_ACTIONS
from harness.core.answer import Answer
from harness.recording.har import read_har_document, text_bytes

__all__ = ["Captured", "requests_from_har", "traffic_from_har"]

_NAME_VALUE = {"type": "object", "required": ["name", "value"],
               "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}
_VALIDATOR = Draft202012Validator({
    "type": "object", "required": ["log"],
    "properties": {"log": {
        "type": "object", "required": ["entries"],
        "properties": {"entries": {"type": "array", "items": {
            "type": "object", "required": ["request"],
            "properties": {
                "startedDateTime": {"type": "string"},
                "request": {
                    "type": "object", "required": ["method", "url", "headers"],
                    "properties": {
                        "method": {"type": "string"},
                        "url": {"type": "string"},
                        "headers": {"type": "array", "items": _NAME_VALUE},
                        "postData": {"type": "object", "properties": {
                            "text": {"type": "string"},
                            "params": {"type": "array", "items": _NAME_VALUE}}},
                    }},
                "response": {
                    "type": "object", "required": ["status"],
                    "properties": {
                        "status": {"type": "integer"},
                        "headers": {"type": "array", "items": _NAME_VALUE},
                        "content": {"type": "object", "properties": {
                            "text": {"type": "string"}, "encoding": {"type": "string"}}}}},
            }}}},
    }},
})


@dataclass(frozen=True)
class Captured:
    """One kept entry of a HAR file: which action, the request, and the answer if any."""

    action: str
    request: ClientRequest
    answer: Answer | None
    """None when the file holds no answer (status 0: the client got none)."""
    body_captured: bool = True
    """False when the answer's `content.text` is left out, as HAR 1.2 allows when the body
    is "not available" (many capture tools): its status is known, its body is not."""


def traffic_from_har(text: str, file: str) -> tuple[list[Captured], list[str]]:
    """The entries to the action and its neighbours, and one line per entry skipped."""
    document = read_har_document(text, file, _VALIDATOR, kind="HAR file", expected="HAR 1.2")
    found: list[Captured] = []
    skipped: list[str] = []
    for index, entry in enumerate(document["log"]["entries"]):
        request = entry["request"]
        where = f"entry {index}"
        path = urlsplit(request["url"]).path
        action = path.rstrip("/").rpartition("/")[2]
        if action not in (ACTION, *NEIGHBOUR_ACTIONS):
            skipped.append(f"{where}: {request['method'][:10]} {path[:120]} is another URL")
            continue
        sent = ClientRequest(
            method=request["method"], url=request["url"],
            headers=tuple((h["name"], h["value"]) for h in request["headers"]),
            body=_body(request.get("postData")), sent_ms=_millis(entry.get("startedDateTime")),
            label=f"{file} {where}")
        response = entry.get("response")
        content = (response or {}).get("content") or {}
        found.append(Captured(action, sent, _answer(response, where, file),
                              body_captured="text" in content))
    return found, skipped


def requests_from_har(text: str, file: str) -> tuple[list[ClientRequest], list[str]]:
    """The requests to the action in a HAR document, and one line per other entry."""
    found, skipped = traffic_from_har(text, file)
    others = [f"{c.request.label}: {c.request.method[:10]} {c.request.path[:120]} is a"
              " neighbour action" for c in found if c.action != ACTION]
    return [c.request for c in found if c.action == ACTION], skipped + others


def _answer(response: dict[str, Any] | None, where: str, file: str) -> Answer | None:
    if not response or int(response["status"]) == 0:
        return None
    headers = {h["name"]: h["value"] for h in response.get("headers") or ()}
    body = text_bytes(response.get("content") or {}, f"{where}.response.content", file)
    return Answer(int(response["status"]), headers, body)


def _body(post: dict[str, Any] | None) -> bytes:
    if not post:
        return b""
    if "text" in post:
        return str(post["text"]).encode("utf-8", "surrogateescape")
    pairs = post.get("params") or []
    return "&".join(f"{quote_plus(p['name'])}={quote_plus(p['value'])}"
                    for p in pairs).encode("ascii")


def _millis(started: str | None) -> int | None:
    """Epoch milliseconds of an ISO 8601 startedDateTime; None when absent or unreadable."""
    if not started:
        return None
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None  # a local time of an unknown zone says nothing about the clock skew
    return int(moment.timestamp() * 1000)
