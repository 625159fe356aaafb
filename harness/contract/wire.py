"""The wire codec: typed requests to query strings and form bodies, and back.

Encoding follows the official SDKs: lists are flattened to `blockStorageList.N.field`
with `N` counted from 1 in request order; parameters go in the SDK's field order; values
are percent-encoded as Go's `url.QueryEscape` and Python's `urlencode` do (unreserved
`A-Za-z0-9-_.~` kept, space as `+`, everything else as UTF-8 `%XX`). A query string and a
form body are the same bytes; the Go SDK's POST body puts `responseFormatType=json` first.

Raw `Params` (ordered pairs, duplicates allowed) express wire that no typed request
produces: duplicate keys, gaps and junk in `N`, unknown keys. `decode` never raises;
`decode_request` raises `WireError` naming the key when wire is not a typed request.
"""

from __future__ import annotations

import re
from urllib.parse import quote_plus, unquote_plus, unquote_to_bytes

from harness.contract.keys import entry_key, parse_entry_key
from harness.contract.model import ACTION, BlockStorage, CreateImageRequest, Params
from harness.contract.rules import ENTRY_FIELDS, LIST_PREFIX, TOP_LEVEL_KEYS
from harness.core.errors import WireError

__all__ = [
    "ACTION_PATH",
    "decode",
    "decode_request",
    "encode",
    "encode_params",
    "encoding_problem",
    "go_sdk_form_body",
    "small_int",
]

ACTION_PATH = f"/vserver/v2/{ACTION}"

_DIGITS = re.compile(r"-?[0-9]+", re.ASCII)
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*", re.ASCII)


def small_int(text: str) -> int | None:
    """ASCII digits, at most 9 of them, as an int, else None: never int() of any input."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def encode_params(request: CreateImageRequest) -> Params:
    """The request's parameters in the SDKs' order; `None` fields are left out."""
    pairs: list[tuple[str, str]] = []
    top = {
        "regionCode": request.region_code,
        "serverImageName": request.server_image_name,
        "serverImageDescription": request.description,
    }
    pairs.extend((key, value) for key, value in top.items() if value is not None)
    for index, storage in enumerate(request.block_storages, start=1):
        values = (storage.order, storage.snapshot_instance_no, storage.size_gb,
                  storage.volume_type, storage.empty)
        if all(value is None for value in values):
            raise WireError(f"{LIST_PREFIX}.{index} has no field set, so nothing of it can be"
                            " sent; give it at least an order, or leave the entry out")
        for field, value in zip(ENTRY_FIELDS, values, strict=True):
            if value is not None:
                pairs.append((entry_key(index, field), _text(value)))
    if request.response_format is not None:
        pairs.append(("responseFormatType", request.response_format))
    return tuple(pairs)


def encode(params: Params | CreateImageRequest) -> str:
    """Percent-encode parameters as a query string or form body, in the order given."""
    if isinstance(params, CreateImageRequest):
        params = encode_params(params)
    return "&".join(f"{_escape(k, k)}={_escape(v, k)}" for k, v in params)


def go_sdk_form_body(request: CreateImageRequest) -> str:
    """The POST body the official Go SDK sends: `responseFormatType=json` first."""
    rest = [p for p in encode_params(request) if p[0] != "responseFormatType"]
    return encode((("responseFormatType", "json"), *rest))


def decode(text: str | bytes) -> Params:
    """Split a query string or form body into decoded pairs; never raises.

    `+` and `%20` both decode to a space; invalid UTF-8 decodes to U+FFFD; a segment
    without `=` is a key with an empty value; empty segments are dropped.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    pairs = []
    for segment in text.split("&"):
        if not segment:
            continue
        key, _, value = segment.partition("=")
        pairs.append((_unescape(key), _unescape(value)))
    return tuple(pairs)


def decode_request(params: Params | str) -> CreateImageRequest:
    """The typed request these parameters spell; `WireError` names the first key that isn't."""
    if isinstance(params, str):
        params = decode(params)
    seen: set[str] = set()
    top: dict[str, str] = {}
    entries: dict[int, dict[str, str]] = {}
    for key, value in params:
        if key in seen:
            raise WireError(f"{key} is sent twice; a typed request sends each key once")
        seen.add(key)
        if key in TOP_LEVEL_KEYS:
            top[key] = value
            continue
        parsed = parse_entry_key(key)
        if parsed is None or parsed.field not in ENTRY_FIELDS:
            raise WireError(f"{key} is not a parameter of {ACTION}; expected one of"
                            f" {', '.join(TOP_LEVEL_KEYS)} or {entry_key('N', 'FIELD')}"
                            f" with FIELD in {', '.join(ENTRY_FIELDS)}")
        if parsed.index is None:
            raise WireError(f"{key}: the list index {parsed.label!r} is not 1, 2, 3, ...")
        entries.setdefault(parsed.index, {})[parsed.field] = value
    if sorted(entries) != list(range(1, len(entries) + 1)):
        raise WireError(f"{LIST_PREFIX} indexes {sorted(entries)} do not run 1, 2, 3, ...")
    return CreateImageRequest(
        server_image_name=top.get("serverImageName"),
        block_storages=tuple(_storage(i, entries[i]) for i in sorted(entries)),
        region_code=top.get("regionCode"),
        description=top.get("serverImageDescription"),
        response_format=top.get("responseFormatType"),
    )


def _storage(index: int, fields: dict[str, str]) -> BlockStorage:
    return BlockStorage(
        order=_int(index, "order", fields.get("order")),
        snapshot_instance_no=fields.get("snapshotInstanceNo"),
        size_gb=_int(index, "blockStorageSize", fields.get("blockStorageSize")),
        volume_type=fields.get("blockStorageVolumeTypeCode"),
        empty=_bool(index, fields.get("emptyBlockStorage")),
    )


def _int(index: int, field: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if _DIGITS.fullmatch(raw) and str(int(raw)) == raw:
        return int(raw)
    raise WireError(f"{entry_key(index, field)}={raw!r} is not an integer written as the"
                    " SDKs write one (digits, no '+' and no leading zero)")


def _bool(index: int, raw: str | None) -> bool | None:
    if raw is None:
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise WireError(f"{entry_key(index, 'emptyBlockStorage')}={raw!r} is not true or false")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _escape(value: str, key: str) -> str:
    if _UNRESERVED.fullmatch(value):
        return value  # most keys and values: nothing to escape
    try:
        return quote_plus(value, safe="")
    except UnicodeEncodeError as exc:
        raise WireError(f"{key}: {value!r} cannot be encoded as UTF-8 ({exc.reason})") from None


_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def encoding_problem(raw: str | bytes) -> str | None:
    """How raw wire's encoding is broken (a gateway may refuse it), or None when it is not.

    A `%` not followed by two hex digits, or escapes whose bytes are not UTF-8 (overlong
    forms, surrogates, lone continuation bytes): what NCP's gateway answers 400/100 "Bad
    Request Exception" for ("encoding (UTF-8)", harness.core.gateway).
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if isinstance(raw, bytes) and "\ufffd" in text and "\ufffd".encode() not in raw:
        return "the bytes sent are not UTF-8"
    bad = _ESCAPE.search(text)
    if bad is not None:
        return f"a '%' at {bad.start()} is not followed by two hex digits"
    for segment in text.replace("+", " ").split("&"):
        for part in segment.split("="):
            if "%" not in part:
                continue
            try:
                unquote_to_bytes(part).decode("utf-8")
            except UnicodeDecodeError:
                return f"the escapes of {part[:40]!r} do not spell UTF-8"
    return None


def _unescape(text: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    return unquote_plus(text, errors="replace")
