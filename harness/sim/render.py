"""Bodies and status codes the simulator answers with, as ncp-api.md sections 3 and 4 say.

Success and Server API errors come in the requested format (XML unless
responseFormatType=json, SEED-S6); gateway errors are always JSON.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.core.gateway import CODES
from harness.core.xmlcodec import to_xml
from harness.sim.state import Image, StoredMapping

__all__ = [
    "GATEWAY_CODES",
    "Format", "SimResponse", "gateway_error", "image_body", "server_error", "success"]

Format = Literal["xml", "json"]

CONTENT_TYPES = {"json": "application/json;charset=UTF-8", "xml": "application/xml;charset=UTF-8"}

_GATEWAY = {
    **{row.status: (row.code, row.message) for row in reversed(CODES)},  # a status's first row
    405: ("100", "Method Not Allowed"),
    414: ("430", "Request-URI Too Long"),
    431: ("430", "Request Header Fields Too Large"),
    429: ("410", "Throttle Limited"),
}
_MESSAGES = {row.code: row.message for row in CODES}
GATEWAY_CODES = frozenset(_GATEWAY)
"""Statuses the simulated gateway answers with its own JSON error."""

_VOLUME_NAMES = {"CB1": "Common BlockStorage 1", "CB2": "Common BlockStorage 2",
                 "FB1": "Flexible BlockStorage 1", "FB2": "Flexible BlockStorage 2"}
_STATUS_NAMES = {"INIT": ("NSI INIT state", "creating"), "CREAT": ("NSI CREATED state", "created")}
_OPERATION_NAMES = {"NULL": "NSI NULL OP", "TERMT": "NSI TERMINATE OP"}


@dataclass(frozen=True)
class SimResponse:
    """What the simulator answers: status, headers, body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _encode(data: dict[str, Any], fmt: Format) -> bytes:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    return to_xml(data)


def success(action: str, list_name: str, rows: list[dict[str, Any]], fmt: Format,
            *, total: int | None = None) -> SimResponse:
    """200 with `<action>Response` around a list (SEED-S1, SEED-S2); total for a page."""
    inner = {"requestId": str(uuid.uuid4()), "returnCode": "0", "returnMessage": "success",
             "totalRows": len(rows) if total is None else total, list_name: rows}
    return SimResponse(200, {"Content-Type": CONTENT_TYPES[fmt]},
                       _encode({f"{action}Response": inner}, fmt))


def server_error(code: str, message: str, fmt: Format, status: int = 400) -> SimResponse:
    """The Server API's own error: `responseError` in the requested format."""
    data = {"responseError": {"returnCode": code, "returnMessage": message}}
    return SimResponse(status, {"Content-Type": CONTENT_TYPES[fmt]}, _encode(data, fmt))


def gateway_error(status: int, details: str, headers: dict[str, str] | None = None, *,
                  code: str | None = None) -> SimResponse:
    """The API Gateway's error: always JSON, `{"error": {errorCode, message, details}}`.

    The errorCode is the status's usual one (harness.core.gateway.CODES), or `code`.
    """
    code, message = (code, _MESSAGES[code]) if code is not None else _GATEWAY[status]
    data = {"error": {"errorCode": code, "message": message, "details": details}}
    return SimResponse(status, {"Content-Type": CONTENT_TYPES["json"], **(headers or {})},
                       json.dumps(data).encode("utf-8"))


def _code(code: str, name: str) -> dict[str, str]:
    return {"code": code, "codeName": name}


def _mapping(mapping: StoredMapping) -> dict[str, Any]:
    row: dict[str, Any] = {"order": mapping.order}
    if mapping.snapshot_no is not None:
        # The seed's example prints this number bare (ncp-api.md section 8); so do we.
        no = mapping.snapshot_no
        row["blockStorageSnapshotInstanceNo"] = int(no) if no.isdigit() else no
        row["blockStorageSnapshotName"] = mapping.snapshot_name or ""
    else:  # a new empty storage: NCP writes an absent string as "" (ncp-api.md section 9)
        row["blockStorageSnapshotInstanceNo"] = ""
        row["blockStorageSnapshotName"] = ""
    row.update({
        "blockStorageSize": mapping.size_bytes,
        "blockStorageVolumeType": _code(
            mapping.volume_type, _VOLUME_NAMES.get(mapping.volume_type, mapping.volume_type)),
        "iops": 100,
        "throughput": 104857600,
        "isEncryptedVolume": False,
    })
    return row


def image_body(image: Image, *, older: bool = False) -> dict[str, Any]:
    """One server image as SEED-S3 lists its fields, mappings sorted by order.

    One of NCP's older public images comes as the reference's older page shows it: no
    lifecycle phase, platform category or mapping list.
    """
    status_name, status_word = _STATUS_NAMES.get(image.status, (image.status, image.status))
    body: dict[str, Any] = {
        "serverImageNo": image.number,
        "serverImageName": image.name,
    }
    if image.description is not None:
        body["serverImageDescription"] = image.description
    body.update({
        "serverImageType": _code(image.image_type, f"{image.image_type} server image"),
        "serverImageLifeCyclePhase": _code("IN_SERVICE", "In Service"),
        "hypervisorType": _code(image.hypervisor, image.hypervisor),
        "cpuArchitectureType": _code("X86_64", "x86 64bit"),
        "osCategoryType": _code("LINUX", "LINUX"),
        "osType": _code("UBUNTU", "UBUNTU"),
        "serverImageStatus": _code(image.status, status_name),
        "serverImageOperation": _code(image.operation, _OPERATION_NAMES.get(
            image.operation, image.operation)),
        "serverImageStatusName": status_word,
        "shareStatus": _code("NULL", "NSI Share NULL State"),
        "blockStorageMappingList": [_mapping(m) for m in
                                    sorted(image.mappings, key=lambda m: m.order)],
        "sharedLoginIdList": [],
        "serverImageProductCode": "SW.VSVR.OS.LNX64.UBNTU.SVR24.G003",
        "createDate": image.created.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "platformCategoryCode": "OS",
    })
    if image.old_shape:
        for key in ("serverImageLifeCyclePhase", "blockStorageMappingList",
                    "platformCategoryCode"):
            del body[key]
    elif older:  # the older ServerImage page (the government site's): no lifecycle, category
        del body["serverImageLifeCyclePhase"], body["platformCategoryCode"]
    return body
