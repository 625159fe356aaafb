"""A response parser written the way generated SDKs read createServerImageFromSnapshot bodies.

It is the example for `ncp-harness fuzz-parser examples.sdk_parser:parse` (README, "For SDK
maintainers"). Like the generated clients it copies, it types the snapshot number as the
Go SDK does (`int32`, a number only), indexes fields it expects to be there, and reads XML
text with the host language's own conversions. Each habit is a bug the fuzzer finds with a
body the contract allows; nothing here is fixed on purpose.
"""

from __future__ import annotations

import json
from typing import Any

import defusedxml.ElementTree as SafeET

__all__ = ["parse"]

INT32_MAX = 2**31 - 1


def parse(body: bytes, response_format: str) -> dict[str, Any]:
    """Read a success body into the contract's field names, as an SDK model would hold it."""
    if response_format == "json":
        data = json.loads(body)["createServerImageFromSnapshotResponse"]
        return _from_json(data)
    return _from_xml(body)


def _int32(value: object) -> int:
    """What Go's json.Unmarshal does with a number into an int32 field."""
    if not isinstance(value, int):
        message = f"cannot unmarshal {type(value).__name__} into Go value of type int32"
        raise TypeError(message)
    if value > INT32_MAX:
        message = f"cannot unmarshal number {value} into Go value of type int32"
        raise OverflowError(message)
    return value


def _from_json(data: dict[str, Any]) -> dict[str, Any]:
    images = [{
        "serverImageNo": image["serverImageNo"],
        "serverImageName": image["serverImageName"],
        "serverImageDescription": image["serverImageDescription"],
        "serverImageStatus": image["serverImageStatus"]["code"],
        "blockStorageMappingList": [{
            "order": m["order"],
            "blockStorageSnapshotInstanceNo": (
                _int32(m["blockStorageSnapshotInstanceNo"])
                if "blockStorageSnapshotInstanceNo" in m else None),
            "blockStorageSize": m["blockStorageSize"],
            "isEncryptedVolume": m["isEncryptedVolume"],
        } for m in image["blockStorageMappingList"]],
    } for image in data["serverImageList"]]
    return {"requestId": data["requestId"], "totalRows": data["totalRows"],
            "serverImageList": images}


def _from_xml(body: bytes) -> dict[str, Any]:
    root = SafeET.fromstring(body)
    images = []
    for image in root.iterfind("serverImageList/serverImage"):
        mappings = []
        for m in image.iterfind("blockStorageMappingList/blockStorageMapping"):
            number = m.findtext("blockStorageSnapshotInstanceNo")
            mappings.append({
                "order": int(m.findtext("order") or 0),
                "blockStorageSnapshotInstanceNo": _int32(int(number)) if number else None,
                "blockStorageSize": int(m.findtext("blockStorageSize") or 0),
                "isEncryptedVolume": bool(m.findtext("isEncryptedVolume")),
            })
        images.append({
            "serverImageNo": image.findtext("serverImageNo"),
            "serverImageName": image.findtext("serverImageName"),
            # mypy says what the fuzzer shows: find() may return None, and so may .text.
            "serverImageDescription":
                image.find("serverImageDescription").text.strip(),  # type: ignore[union-attr]
            "serverImageStatus": image.findtext("serverImageStatus/code"),
            "blockStorageMappingList": mappings,
        })
    return {"requestId": root.findtext("requestId"),
            "totalRows": int(root.findtext("totalRows") or 0),
            "serverImageList": images}
