"""Builds `openapi/ncp-vserver-v2.yaml` from the rule tables, so the two cannot drift.

OpenAPI 3.2 because it lets a GET describe its whole query as one
`application/x-www-form-urlencoded` object (`in: querystring`), the same object a POST
sends as its form body. `blockStorageList.N.*` is modelled as literal keys N = 1..21
(schemathesis sends an array of objects as `blockStorageList=order`, never `a.N.b`), so
per-entry rules become `dependentRequired` and `if/then/else` over those keys. Rules that
span entries or need the account's state stay in the oracle. Every constraint carries
`x-seed-rule`. Run `python -m harness.spec.build --write` after changing a rule table.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from harness._version import __version__
from harness.contract.account import GIB
from harness.contract.keys import entry_key
from harness.contract.limits import DEFAULT_LIMITS, VOLUME_TYPES
from harness.contract.model import ACTION
from harness.contract.rules import (
    DESCRIPTION_MAX_BYTES,
    NAME_MAX,
    NAME_MIN,
    RESPONSE_FORMATS,
)
from harness.contract.schemas import components_schemas, list_result, wrapper
from harness.spec.openapi import SPEC_FILENAME

__all__ = ["build", "main", "render"]

FORM = "application/x-www-form-urlencoded"
REF = "#/components/schemas/"

NAME_PATTERN = rf"^[a-z][a-z0-9-]{{{NAME_MIN - 2},{NAME_MAX - 2}}}[a-z0-9]$"
"""SEED-R2 for generation: the definitely valid names (upper case inside is U4, left out)."""


def _ref(name: str, **extra: Any) -> dict[str, Any]:
    return {"$ref": REF + name, **extra}


def _entry_properties(n: int) -> dict[str, Any]:
    limits = DEFAULT_LIMITS.for_type(None)
    return {
        entry_key(n, "order"): {
            "type": "integer", "minimum": 0, "maximum": DEFAULT_LIMITS.max_order,
            "description": "0 for the base storage, 1 to 20 for additional storages.",
            "x-seed-rule": "SEED-R4"},
        entry_key(n, "snapshotInstanceNo"): {
            "type": "string", "pattern": "^[0-9]+$",
            "description": "A snapshot of getBlockStorageSnapshotInstanceList (isBootable=true).",
            "x-seed-rule": "SEED-R5"},
        entry_key(n, "blockStorageSize"): {
            "type": "integer", "minimum": limits.min_gb, "maximum": limits.max_gb,
            "multipleOf": limits.step_gb,
            "description": "GB; at least the snapshot's size; limits of the default profile.",
            "x-seed-rule": "SEED-R7", "x-limits-profile": "ncp-api.md section 6"},
        entry_key(n, "blockStorageVolumeTypeCode"): {
            "type": "string", "enum": list(VOLUME_TYPES),
            "description": "Not on the base storage; required for a new storage.",
            "x-seed-rule": "SEED-R8"},
        entry_key(n, "emptyBlockStorage"): {
            "type": "boolean",
            "description": "true: a new empty storage; false: attach the snapshot."
            " Not on the base storage.",
            "x-seed-rule": "SEED-R9"},
    }


def _entry_rules(n: int) -> list[dict[str, Any]]:
    order, snap, size, vtype, empty = (
        entry_key(n, f) for f in ("order", "snapshotInstanceNo", "blockStorageSize",
                                  "blockStorageVolumeTypeCode", "emptyBlockStorage"))
    present = {"required": [order]}
    return [
        {"x-seed-rule": "SEED-R6", "if": present,
         "then": {"anyOf": [{"required": [snap]}, {"required": [vtype]}]}},
        {"x-seed-rule": "SEED-R4 SEED-R5 SEED-R8 SEED-R9",
         "if": {"required": [order], "properties": {order: {"const": 0}}},
         "then": {"required": [snap],
                  "not": {"anyOf": [{"required": [vtype]}, {"required": [empty]}]}},
         "else": {
             "if": present,
             "then": {
                 "x-unspecified": "U1 (emptyBlockStorage absent) and U2 (true with a snapshot)"
                 " are left out of this valid space",
                 "required": [empty],
                 "if": {"properties": {empty: {"const": True}}},
                 "then": {"x-seed-rule": "SEED-R7 SEED-R8", "required": [size, vtype],
                          "not": {"required": [snap]}},
                 "else": {"x-seed-rule": "SEED-R5 SEED-R9", "required": [snap]}}}},
    ]


def request_params_schema() -> dict[str, Any]:
    """The whole query (GET) or form body (POST) of createServerImageFromSnapshot."""
    entries = range(1, DEFAULT_LIMITS.max_entries + 1)
    properties: dict[str, Any] = {
        "regionCode": {"type": "string", "minLength": 1,
                       "description": "A regionCode of getRegionList; default: its first.",
                       "x-seed-rule": "SEED-R1"},
        "serverImageName": {"type": "string", "minLength": NAME_MIN, "maxLength": NAME_MAX,
                            "pattern": NAME_PATTERN,
                            "description": "Letters, digits and '-'; a-z first; a-z or 0-9 last.",
                            "x-seed-rule": "SEED-R2",
                            "x-unspecified": "U4 (upper case inside), U10 (name in use)"},
        "serverImageDescription": {"type": "string", "maxLength": DESCRIPTION_MAX_BYTES,
                                   "x-max-bytes": DESCRIPTION_MAX_BYTES,
                                   "description": "At most 1000 bytes of UTF-8, not characters.",
                                   "x-seed-rule": "SEED-R3"},
        "responseFormatType": {"type": "string", "enum": list(RESPONSE_FORMATS),
                               "default": "xml", "x-seed-rule": "SEED-R10 SEED-S6",
                               "x-unspecified": "U9 (any other value)"},
    }
    dependent: dict[str, list[str]] = {}
    rules: list[dict[str, Any]] = []
    for n in entries:
        props = _entry_properties(n)
        properties.update(props)
        order = entry_key(n, "order")
        for key in props:
            if key != order:
                dependent[key] = [order]
        if n > 1:
            dependent[order] = [entry_key(n - 1, "order")]
        rules.extend(_entry_rules(n))
    return {
        "type": "object",
        "description": "N runs 1, 2, 3, ... in request order (gaps and junk in N are U7)."
        " Rules across entries (unique orders, U5, U6) and rules that need the account"
        " (snapshot exists, is bootable and KVM, size at least the snapshot's: SEED-R5,"
        " SEED-R7, SEED-R11) are the oracle's: harness.contract.oracle.judge.",
        "required": ["serverImageName", entry_key(1, "order")],
        "properties": properties,
        "additionalProperties": False,
        "x-unspecified": "U8 (parameters the seed does not list)",
        "dependentRequired": dependent,
        "oneOf": [
            {"x-seed-rule": "SEED-R4", "required": [entry_key(n, "order")],
             "properties": {entry_key(n, "order"): {"const": 0}}}
            for n in entries
        ],
        "allOf": rules,
    }


def _error_responses(*, xml_errors: bool) -> dict[str, Any]:
    server_error: dict[str, Any] = {"application/json": {"schema": _ref("ResponseErrorBody")}}
    if xml_errors:
        server_error["application/xml"] = {
            "schema": _ref("ResponseError", xml={"name": "responseError"})}
    gateway = {"application/json": {"schema": _ref("GatewayErrorBody")}}
    either = {"application/json": {"schema": {"anyOf": [_ref("ResponseErrorBody"),
                                                         _ref("GatewayErrorBody")]}}}
    if xml_errors:
        either["application/xml"] = server_error["application/xml"]
    out: dict[str, Any] = {
        "400": {"description": "Validation error of the Server API (responseError), or the"
                " gateway's 100 Bad Request.", "content": either,
                "x-seed-rule": "SEED-S5"},
        "401": {"description": "Gateway 200 Authentication Failed / 210 Permission Denied.",
                "content": gateway},
        "403": {"description": "Gateway 230 Forbidden.", "content": gateway},
        "404": {"description": "Gateway 300 Not Found.", "content": gateway},
        "413": {"description": "Gateway 430 Request Entity Too Large.", "content": gateway},
        "429": {"description": "Gateway 400 Quota Exceeded / 410 Throttle Limited /"
                " 420 Rate Limited.", "content": gateway,
                "headers": {"Retry-After": {"description": "Not documented; honoured if sent.",
                                            "schema": {"type": "integer", "minimum": 0}}}},
        "500": {"description": "Internal error of the Server API, or gateway 900.",
                "content": either},
        "503": {"description": "Gateway 500 Endpoint Error.", "content": gateway},
        "504": {"description": "Gateway 510 Endpoint Timeout.", "content": gateway},
    }
    return out


def _operation(action: str, params_schema: str, result_schema: str, summary: str,
               method: str) -> dict[str, Any]:
    content = {FORM: {"schema": _ref(params_schema)}}
    success = {
        "description": f"{action}Response, XML unless responseFormatType=json (SEED-S6).",
        "content": {
            "application/xml": {"schema": _ref(result_schema, xml={"name": f"{action}Response"})},
            "application/json": {"schema": _ref(wrapper(action))},
        },
    }
    op: dict[str, Any] = {
        "operationId": f"{action}{method.capitalize()}",
        "summary": summary,
        "responses": {"200": success, **_error_responses(xml_errors=True)},
    }
    if method == "get":
        op["parameters"] = [{"name": "query", "in": "querystring", "required": True,
                             "content": content}]
    else:
        op["requestBody"] = {"required": True, "content": content}
    return op


NEIGHBOURS: tuple[tuple[str, str, str, str], ...] = (
    ("getBlockStorageSnapshotInstanceList", "GetBlockStorageSnapshotInstanceListParams",
     "BlockStorageSnapshotInstanceListResult", "Discover usable snapshots."),
    ("getBlockStorageVolumeTypeList", "GetBlockStorageVolumeTypeListParams",
     "BlockStorageVolumeTypeListResult", "Per-type size limits."),
    ("getServerImageList", "GetServerImageListParams", "ListedServerImageListResult",
     "Watch created images."),
    ("getServerImageDetail", "GetServerImageDetailParams", "ListedServerImageListResult",
     "One image in detail."),
    ("deleteServerImage", "DeleteServerImageParams", "ListedServerImageListResult",
     "Clean up created images."),
    ("getRegionList", "GetRegionListParams", "RegionListResult", "Valid regionCodes."),
)


def build() -> dict[str, Any]:
    """The OpenAPI description as a plain dict."""
    paths: dict[str, Any] = {}
    operations = (
        (ACTION, "CreateServerImageFromSnapshotParams", "ServerImageListResult",
         "Create a server image from KVM block storage snapshots."),
        *NEIGHBOURS,
    )
    for action, params, result, summary in operations:
        paths[f"/vserver/v2/{action}"] = {
            method: _operation(action, params, result, summary, method)
            for method in ("get", "post")
        }
    schemas = components_schemas()
    schemas["CreateServerImageFromSnapshotParams"] = request_params_schema()
    for action, _, result, _ in operations:
        schemas[wrapper(action)] = list_result(action, result)
    return {
        "openapi": "3.2.0",
        "info": {
            "title": "NAVER Cloud Platform VPC Server API v2: createServerImageFromSnapshot",
            "version": __version__,
            "description": "Generated by `python -m harness.spec.build --write` from the rule"
            " tables of harness.contract.rules and harness.contract.limits; do not edit by"
            " hand. The contract is NAVER Cloud Platform's reference page"
            " https://api.ncloud-docs.com/docs/ja/"
            "compute-vserver-serverimage-createserverimagefromsnapshot (updated 2026-09-17);"
            " rule ids (SEED-R4) and open cases (U1) are"
            " those of the project's README ('The rules')."
            f" Sizes: request GB, response bytes (GB = {GIB}).",
        },
        "servers": [
            {"url": "https://ncloud.apigw.ntruss.com", "description": "public site"},
            {"url": "https://ncloud.apigw.gov-ntruss.com", "description": "gov site"},
            {"url": "https://fin-ncloud.apigw.fin-ntruss.com", "description": "financial site"},
        ],
        "security": [
            {"timestamp": [], "accessKey": [], "signatureV2": []},
            {"timestamp": [], "accessKey": [], "signatureV1": []},
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "timestamp": {"type": "apiKey", "in": "header", "name": "x-ncp-apigw-timestamp",
                              "description": "Unix epoch milliseconds; within 5 minutes."},
                "accessKey": {"type": "apiKey", "in": "header", "name": "x-ncp-iam-access-key"},
                "signatureV2": {"type": "apiKey", "in": "header",
                                "name": "x-ncp-apigw-signature-v2",
                                "description": "Base64 HMAC-SHA256 of 'METHOD URI\\ntimestamp"
                                "\\naccessKey', URI with the query as sent."},
                "signatureV1": {"type": "apiKey", "in": "header",
                                "name": "x-ncp-apigw-signature-v1",
                                "description": "The same value under the Go SDK's name."},
            },
            "schemas": schemas,
        },
    }


def render() -> str:
    """The OpenAPI description as the YAML text that is committed."""
    header = "# Generated by `python -m harness.spec.build --write`; do not edit by hand.\n"
    return header + yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=100)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the description, or write it to openapi/ with --write."""
    parser = argparse.ArgumentParser(prog="python -m harness.spec.build", description=__doc__)
    parser.add_argument("--write", type=Path, nargs="?", const=Path("openapi") / SPEC_FILENAME,
                        help="write to this file (default: openapi/%(const)s)")
    args = parser.parse_args(argv)
    text = render()
    if args.write is None:
        sys.stdout.write(text)
    else:
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
