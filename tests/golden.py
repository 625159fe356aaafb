"""Build the golden Go SDK HAR: `python -m tests.golden --write` (only if its shape changes).

`tests/fixtures/go-sdk.har` reproduces what the official Go SDK (ncloud-sdk-go-v2,
services/vserver) sends, as ncp-api.md sections 1 and 2 document it and its api_client
shows: every call a POST with an `application/x-www-form-urlencoded` body that begins
`responseFormatType=json`, fields in the request struct's order, booleans as `true`, no
query string, and the signature over the path alone under `x-ncp-apigw-signature-v1`. The
file holds a neighbour call (skipped by `check-traffic`) and two image creations: the
seed's example shape, and one with an empty additional storage and a UTF-8 description.

It is signed with the default scenario's key pair, the simulator's published test keys, at
a fixed time, so `ncp-harness check-traffic tests/fixtures/go-sdk.har --scenario
harness/scenarios/default.toml` can verify each signature. Each answer is what the service
would send, in the reference's shapes: the seed page's example body with the request's name,
description and storages (sizes in bytes, `""` for a new storage's snapshot), and a
snapshot list of the scenario's snapshots; check-traffic judges both.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.contract.account import GIB
from harness.contract.model import ACTION, BlockStorage, CreateImageRequest
from harness.contract.wire import ACTION_PATH, go_sdk_form_body
from harness.core.signing import SIGNATURE_V1, sign
from harness.sim.scenario import default_scenario

GOLDEN = Path(__file__).parent / "fixtures" / "go-sdk.har"
HOST = "ncloud.apigw.ntruss.com"
STARTED = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)
REQUESTS = (
    CreateImageRequest("go-sdk-image", (BlockStorage(0, "1000001"),)),
    CreateImageRequest(
        "go-sdk-image-2",
        (BlockStorage(0, "1000002", 50),
         BlockStorage(1, None, 100, "CB2", empty=True)),
        description="Go SDK \u304b\u3089 & co.",
    ),
)


SEED_EXAMPLE = Path(__file__).parent / "fixtures" / "seed_example_response.json"


def _mapping(storage: BlockStorage) -> dict[str, Any]:
    snapshots = {s.instance_no: s for s in default_scenario().account.snapshots}
    snap = snapshots.get(storage.snapshot_instance_no or "")
    size = storage.size_gb * GIB if storage.size_gb else (snap.size_bytes if snap else 0)
    vtype = storage.volume_type or (snap.volume_type if snap else "CB1")
    return {"order": storage.order, "blockStorageSnapshotInstanceNo": snap.instance_no
            if snap else "", "blockStorageSnapshotName": snap.name if snap else "",
            "blockStorageSize": size, "blockStorageVolumeType": {"code": vtype,
                                                                 "codeName": vtype},
            "iops": 100, "throughput": 104857600, "isEncryptedVolume": False}


def _create_answer(request: CreateImageRequest, index: int) -> str:
    data: dict[str, Any] = json.loads(SEED_EXAMPLE.read_text(encoding="utf-8"))
    inner = data[f"{ACTION}Response"]
    inner["requestId"] = f"00000000-0000-4000-8000-{index:012d}"
    image = inner["serverImageList"][0]
    image["serverImageNo"] = str(2000001 + index)
    image["serverImageName"] = request.server_image_name
    if request.description:
        image["serverImageDescription"] = request.description
    image["blockStorageMappingList"] = [_mapping(s) for s in request.block_storages]
    return json.dumps(data, ensure_ascii=False)


def _snapshot_answer() -> str:
    rows = [{"blockStorageSnapshotInstanceNo": s.instance_no,
             "blockStorageSnapshotName": s.name, "blockStorageSnapshotVolumeSize": s.size_bytes,
             "blockStorageSnapshotInstanceStatus": {"code": s.status, "codeName": s.status},
             "hypervisorType": {"code": s.hypervisor, "codeName": s.hypervisor},
             "isBootable": s.bootable,
             "blockStorageVolumeType": {"code": s.volume_type, "codeName": s.volume_type}}
            for s in default_scenario().account.snapshots if s.bootable]
    return json.dumps({"getBlockStorageSnapshotInstanceListResponse": {
        "requestId": "00000000-0000-4000-8000-000000000000", "returnCode": "0",
        "returnMessage": "success", "totalRows": len(rows),
        "blockStorageSnapshotInstanceList": rows}})


def _entry(path: str, body: str, offset_s: int, answer: str) -> dict[str, Any]:
    started = STARTED.timestamp() + offset_s
    url = f"https://{HOST}{path}"
    creds = default_scenario().credentials
    assert creds is not None
    signing = sign("POST", url, creds, timestamp_ms=int(started * 1000), header=SIGNATURE_V1)
    headers = {"Host": HOST, "User-Agent": "ncloud-sdk-go-v2 (as reproduced by tests/golden.py)",
               "Content-Length": str(len(body.encode())),
               "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
               **signing, "Accept-Encoding": "gzip"}
    return {
        "startedDateTime": datetime.fromtimestamp(started, UTC).isoformat(
            timespec="milliseconds").replace("+00:00", "Z"),
        "time": 120,
        "request": {"method": "POST", "url": url, "httpVersion": "HTTP/1.1",
                    "headers": [{"name": k, "value": v} for k, v in headers.items()],
                    "queryString": [], "cookies": [], "headersSize": -1,
                    "bodySize": len(body.encode()),
                    "postData": {"mimeType": "application/x-www-form-urlencoded",
                                 "text": body}},
        "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                     "headers": [{"name": "Content-Type",
                                  "value": "application/json;charset=UTF-8"}],
                     "cookies": [], "content": {"size": len(answer.encode()),
                                                "mimeType": "application/json",
                                                "text": answer},
                     "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": 120, "receive": 0},
    }


def build() -> str:
    """The golden HAR's text."""
    entries = [_entry("/vserver/v2/getBlockStorageSnapshotInstanceList",
                      "responseFormatType=json&isBootable=true", 0, _snapshot_answer())]
    entries += [_entry(ACTION_PATH, go_sdk_form_body(r), 1 + i, _create_answer(r, i))
                for i, r in enumerate(REQUESTS)]
    return json.dumps({"log": {"version": "1.2",
                               "creator": {"name": "tests/golden.py", "version": "1"},
                               "entries": entries}}, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    """Write the golden file, or say whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    if parser.parse_args().write:
        GOLDEN.write_text(build(), encoding="utf-8")
        return 0
    same = GOLDEN.exists() and GOLDEN.read_text(encoding="utf-8") == build()
    sys.stdout.write("up to date\n" if same else
                     f"{GOLDEN} differs; run python -m tests.golden --write\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
