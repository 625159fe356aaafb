"""Cassettes as HAR 1.2: one recorded exchange to an `entries[]` item and back, checked.

HAR (HTTP Archive) is JSON that browsers' developer tools, Charles, Fiddler, Insomnia and
schemathesis (`--report har`) read and write, so a cassette opens in tools people already
have. The harness keeps what HAR has no field for under `_ncpHarness` (HAR's rule for
custom fields: a leading underscore): the sequence number, the test, the probe's label and
rules, how the request was signed, and a request that got no answer.

Files are written one entry per line, so a diff shows which exchange changed. Reading
checks the structure against a schema of the fields the harness needs and reports the
file and the place (line and column for JSON syntax, a path such as
`log.entries[3].response.status` for structure).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from harness._version import __version__
from harness.core.depth import TooDeep, json_document
from harness.core.errors import CassetteError
from harness.core.signing import SIGNINGS

__all__ = [
    "FORMAT_VERSION",
    "Exchange",
    "dump_entry",
    "dump_har",
    "load_har",
    "read_har_document",
    "text_bytes",
]

FORMAT_VERSION = 1
"""The version of the `_ncpHarness` fields; bumped when their meaning changes."""

_NAME_VALUE = {"type": "object", "required": ["name", "value"],
               "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}
_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["log"],
    "properties": {"log": {
        "type": "object", "required": ["version", "creator", "entries"],
        "properties": {
            "version": {"type": "string"},
            "creator": {"type": "object", "required": ["name"]},
            "entries": {"type": "array", "items": {
                "type": "object", "required": ["request", "response"],
                "properties": {
                    "startedDateTime": {"type": "string"},
                    "time": {"type": "number"},
                    "request": {
                        "type": "object", "required": ["method", "url", "headers"],
                        "properties": {
                            "method": {"type": "string", "pattern": "^[A-Z]+$"},
                            "url": {"type": "string", "pattern": "^https?://[^/]+/"},
                            "headers": {"type": "array", "items": _NAME_VALUE},
                            "postData": {"type": "object", "required": ["text"],
                                         "properties": {"text": {"type": "string"}}},
                        }},
                    "response": {
                        "type": "object", "required": ["status", "headers", "content"],
                        "properties": {
                            "status": {"type": "integer", "minimum": 0, "maximum": 599},
                            "statusText": {"type": "string"},
                            "headers": {"type": "array", "items": _NAME_VALUE},
                            "content": {"type": "object", "properties": {
                                "text": {"type": "string"},
                                "encoding": {"enum": ["base64"]}}},
                        }},
                    "_ncpHarness": {"type": "object", "properties": {
                        "seq": {"type": "integer", "minimum": 0},
                        "test": {"type": "string"},
                        "label": {"type": "string"},
                        "rules": {"type": "array", "items": {"type": "string"}},
                        "signing": {"enum": list(SIGNINGS)},
                        "error": {"enum": ["timeout", "dropped"]},
                    }},
                }}},
        }}},
}
_VALIDATOR = Draft202012Validator(_SCHEMA)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as sent and received (or how it got no answer)."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    started: str = ""
    elapsed_ms: float = 0.0
    label: str = ""
    rules: tuple[str, ...] = ()
    signing: str = "valid"
    error: str | None = None
    """"timeout" or "dropped" when no answer came (status 0), else None."""
    test: str = ""
    seq: int = 0
    where: str = field(default="", compare=False)
    """The file and entry an exchange was read from, for messages."""

    @property
    def target(self) -> str:
        """The request target as sent: path and query, exactly."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def action(self) -> str:
        """The last path segment: the action called."""
        return urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def wire(self) -> str:
        """The request's parameters as sent: the query of a GET, the form body of a POST."""
        if self.method == "GET":
            return urlsplit(self.url).query
        return self.request_body.decode("utf-8", "replace")


def _pairs(items: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in items]


def _content(body: bytes, mime: str) -> dict[str, Any]:
    try:
        return {"size": len(body), "mimeType": mime, "text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"size": len(body), "mimeType": mime,
                "text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def _header(items: tuple[tuple[str, str], ...], name: str) -> str:
    return next((v for k, v in items if k.lower() == name.lower()), "")


def _entry(ex: Exchange) -> dict[str, Any]:
    query = urlsplit(ex.url).query
    request: dict[str, Any] = {
        "method": ex.method, "url": ex.url, "httpVersion": "HTTP/1.1", "cookies": [],
        "headers": _pairs(ex.request_headers),
        "queryString": _pairs(tuple(parse_qsl(query, keep_blank_values=True))),
        "headersSize": -1, "bodySize": len(ex.request_body)}
    if ex.request_body:
        text = ex.request_body.decode("utf-8", "replace")
        request["postData"] = {
            "mimeType": _header(ex.request_headers, "Content-Type")
            or "application/x-www-form-urlencoded", "text": text,
            "params": _pairs(tuple(parse_qsl(text, keep_blank_values=True)))}
    meta: dict[str, Any] = {"seq": ex.seq, "test": ex.test, "label": ex.label,
                            "rules": list(ex.rules), "signing": ex.signing}
    if ex.error:
        meta["error"] = ex.error
    return {
        "startedDateTime": ex.started, "time": round(ex.elapsed_ms, 3),
        "request": request,
        "response": {
            "status": ex.status, "statusText": ex.reason, "httpVersion": "HTTP/1.1",
            "cookies": [], "headers": _pairs(ex.response_headers),
            "content": _content(ex.response_body, _header(ex.response_headers, "Content-Type")),
            "redirectURL": "", "headersSize": -1, "bodySize": len(ex.response_body)},
        "cache": {},
        "timings": {"send": 0, "wait": round(ex.elapsed_ms, 3), "receive": 0},
        "_ncpHarness": meta,
    }


def dump_entry(exchange: Exchange) -> str:
    """One exchange as a HAR entry on one line of JSON."""
    return json.dumps(_entry(exchange), ensure_ascii=False)


def dump_har(entries: list[str], meta: dict[str, Any], comment: str) -> str:
    """A HAR document of entries (from `dump_entry`), one per line; `meta` is `_ncpHarness`."""
    head = json.dumps({"version": "1.2",
                       "creator": {"name": "ncp-harness", "version": __version__},
                       "comment": comment,
                       "_ncpHarness": {"format": FORMAT_VERSION, **meta}}, ensure_ascii=False)
    return '{"log": ' + head[:-1] + ', "entries": [\n' + ",\n".join(entries) + "\n]}}\n"


def read_har_document(text: str, file: str, validator: Draft202012Validator, *,
                      kind: str, expected: str, hint: str = "") -> dict[str, Any]:
    """A HAR document checked by `validator`; CassetteError names the file and the place.

    The place is line and column for broken JSON, the path of the first fault otherwise.
    """
    if not text.strip():
        raise CassetteError(file, "", "the file is empty", kind=kind)
    try:
        document = json_document(text)
    except TooDeep as exc:
        raise CassetteError(file, "", str(exc), kind=kind) from None
    except json.JSONDecodeError as exc:
        raise CassetteError(file, f"line {exc.lineno} column {exc.colno}",
                            f"not JSON ({exc.msg}){hint}", kind=kind) from None
    error = best_match(validator.iter_errors(document))
    if error is not None:
        raise CassetteError(file, _place(error), f"{error.message} (not {expected})", kind=kind)
    return dict(document)


def _place(error: ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return path.lstrip(".") or "the top level"


def text_bytes(content: dict[str, Any], where: str, file: str) -> bytes:
    """The body a HAR `content` object holds, base64 decoded when it says so."""
    text = str(content.get("text", ""))
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise CassetteError(file, f"{where}.text", "not valid base64") from None
    return text.encode("utf-8", "surrogateescape")


def _exchange(raw: dict[str, Any], index: int, file: str) -> Exchange:
    where = f"log.entries[{index}]"
    request, response = raw["request"], raw["response"]
    meta = raw.get("_ncpHarness") or {}
    headers = tuple((h["name"], h["value"]) for h in request["headers"])
    body = str((request.get("postData") or {}).get("text", "")).encode("utf-8", "surrogateescape")
    status = int(response["status"])
    if status == 0 and not meta.get("error"):
        raise CassetteError(file, f"{where}.response.status",
                            "0 (no answer) without _ncpHarness.error saying why")
    signing = meta.get("signing") or (
        "valid" if any(k.lower().startswith("x-ncp-apigw-signature") for k, _ in headers)
        else "none")
    return Exchange(
        method=request["method"], url=request["url"], request_headers=headers,
        request_body=body, status=status, reason=str(response.get("statusText", "")),
        response_headers=tuple((h["name"], h["value"]) for h in response["headers"]),
        response_body=text_bytes(response["content"], f"{where}.response.content", file),
        started=str(raw.get("startedDateTime", "")), elapsed_ms=float(raw.get("time", 0.0)),
        label=str(meta.get("label") or "recorded"), rules=tuple(meta.get("rules") or ()),
        signing=signing, error=meta.get("error"), test=str(meta.get("test") or ""),
        seq=int(meta.get("seq", index)), where=f"{file} {where}")


def load_har(text: str, file: str) -> tuple[dict[str, Any], list[Exchange]]:
    """The `_ncpHarness` metadata and the exchanges of one HAR document.

    Raises CassetteError naming `file` and the place: line and column for broken JSON, the
    path of the first structural fault otherwise.
    """
    document = read_har_document(text, file, _VALIDATOR, kind="cassette",
                                 expected="a HAR 1.2 cassette",
                                 hint="; truncated or edited by hand?")
    log = document["log"]
    meta = log.get("_ncpHarness") or {}
    if not isinstance(meta, dict):
        raise CassetteError(file, "log._ncpHarness", "not an object")
    return meta, [_exchange(raw, i, file) for i, raw in enumerate(log["entries"])]
