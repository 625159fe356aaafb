"""The other shapes NCP's reference allows, for a scenario with `reference_variants = true`.

The simulator's own answers follow one reading of the reference. A real account may answer
in any of the others the pages allow (docs/reference.md), and the harness must stay green
on every one: this rewrites a success body into them.

- XML answers print `<requestId></requestId>` empty, as the reference's XML examples do;
- a new empty storage's mapping leaves out `iops` and `throughput` (Optional);
- every mapping names its snapshot `blockStorageSnapshotInstanceName` (the ja and ko spelling);
- the volume-type list uses the ja syntax block's `isBasicStorageAvailable` and
  `min/maxBasicVolumeSize`, and lists an older account's XEN `SSD` and `HDD` types too.

Each is a finding or nothing, never a violation (tests/contract/test_reference_corpus.py
holds the same shapes as transcribed bodies).
"""

from __future__ import annotations

import json
from typing import Any

from harness.contract.account import GIB
from harness.core.xmlcodec import from_xml, to_xml
from harness.sim.render import SimResponse

__all__ = ["reference_variant"]

_RENAMES = {"isBaseStorageAvailable": "isBasicStorageAvailable",
            "minBaseVolumeSize": "minBasicVolumeSize", "maxBaseVolumeSize": "maxBasicVolumeSize",
            "blockStorageSnapshotName": "blockStorageSnapshotInstanceName"}


def _old_type(code: str) -> dict[str, Any]:
    return {"blockStorageVolumeType": {"code": code, "codeName": code},
            "hypervisorType": {"code": "XEN", "codeName": "XEN"},
            "minVolumeSize": 10 * GIB, "maxVolumeSize": 2000 * GIB, "minIops": 0,
            "maxIops": 0, "minThroughput": 0, "maxThroughput": 0, "zoneCodeList": ["KR-1"],
            "isBasicStorageAvailable": code == "SSD"}


def _rewrite(value: Any) -> Any:
    if isinstance(value, list):
        return [_rewrite(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {_RENAMES.get(k, k): _rewrite(v) for k, v in value.items()}
    if "blockStorageSnapshotInstanceNo" in out and out["blockStorageSnapshotInstanceNo"] == "":
        out.pop("iops", None)
        out.pop("throughput", None)
    return out


def reference_variant(response: SimResponse) -> SimResponse:
    """The same success answer in the reference's other shapes; anything else unchanged."""
    xml = response.body.lstrip()[:1] == b"<"
    if response.status != 200:
        return response
    data = from_xml(response.body) if xml else json.loads(response.body)
    if not isinstance(data, dict) or len(data) != 1:
        return response
    (root, inner), = data.items()
    if not isinstance(inner, dict):
        return response
    inner = _rewrite(inner)
    if xml:
        inner["requestId"] = ""
    types = inner.get("blockStorageVolumeTypeList")
    if isinstance(types, list) and root == "getBlockStorageVolumeTypeListResponse":
        types.extend(_old_type(code) for code in ("SSD", "HDD"))
        inner["totalRows"] = len(types)
    body = to_xml({root: inner}) if xml else json.dumps(
        {root: inner}, ensure_ascii=False).encode("utf-8")
    return SimResponse(response.status, response.headers, body)
