"""Read the requests a client sent from a HAR file, as browsers and proxies export it.

Any HAR 1.2 file will do (mitmproxy, Charles, a browser's network tab, the harness's own
cassettes). Only requests whose path ends in `/createServerImageFromSnapshot` are checked;
every other entry is counted and named as skipped. A form body is taken from
`postData.text`, or rebuilt from `postData.params` when an exporter left the text out.
A file that is not HAR raises `CassetteError` naming the file and the place
(`harness.har.read_har_document`, as for cassettes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote_plus, urlsplit

from jsonschema import Draft202012Validator

from harness.har import read_har_document
from harness.model import ACTION
from harness.requestcheck import ClientRequest

__all__ = ["requests_from_har"]

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
            }}}},
    }},
})


def requests_from_har(text: str, file: str) -> tuple[list[ClientRequest], list[str]]:
    """The requests to the action in a HAR document, and one line per entry skipped."""
    document = read_har_document(text, file, _VALIDATOR, kind="HAR file", expected="HAR 1.2")
    found: list[ClientRequest] = []
    skipped: list[str] = []
    for index, entry in enumerate(document["log"]["entries"]):
        request = entry["request"]
        where = f"entry {index}"
        path = urlsplit(request["url"]).path
        if not path.rstrip("/").endswith(f"/{ACTION}"):
            skipped.append(f"{where}: {request['method'][:10]} {path[:120]} is another URL")
            continue
        found.append(ClientRequest(
            method=request["method"], url=request["url"],
            headers=tuple((h["name"], h["value"]) for h in request["headers"]),
            body=_body(request.get("postData")), sent_ms=_millis(entry.get("startedDateTime")),
            label=f"{file} {where}"))
    return found, skipped


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
