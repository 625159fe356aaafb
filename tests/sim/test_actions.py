"""The simulator's behaviour: every action, both methods, both formats, errors and state."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from harness.contract.account import GIB
from harness.contract.model import ACTION, BlockStorage, CreateImageRequest, Params
from harness.contract.wire import encode_params
from harness.core.signing import ACCESS_KEY_HEADER, TIMESTAMP_HEADER, Credentials, sign
from harness.sim import SimResponse, Simulator
from harness.sim.scenario import default_scenario, parse_scenario
from harness.spec.body import parse_body
from tests.helpers import signed_call

METHODS = ["GET", "POST"]
FORMATS = ["xml", "json"]
BASE = BlockStorage(0, "1000001")
VALID = CreateImageRequest("img-1", (BASE, BlockStorage(1, None, 100, "FB2", empty=True),
                                     BlockStorage(2, "1000002", 60, None, empty=False)))


def params(request: CreateImageRequest, fmt: str | None = None) -> Params:
    return encode_params(replace(request, response_format=fmt))


def parsed(response: SimResponse, action: str = ACTION) -> Any:
    body = parse_body(response.body, action=action)
    assert body.problems == (), body.problems
    return body


def create(sim: Simulator, request: CreateImageRequest = VALID, method: str = "GET",
           fmt: str = "json") -> SimResponse:
    return signed_call(sim, method, ACTION, params(request, fmt))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [*FORMATS, None])
def test_create_answers_in_the_asked_format(method: str, fmt: str | None) -> None:
    sim = Simulator()
    response = signed_call(sim, method, ACTION, params(VALID, fmt))
    assert response.status == 200
    expected = "json" if fmt == "json" else "xml"  # SEED-S6: XML by default
    assert response.headers["Content-Type"].startswith(f"application/{expected}")
    body = parsed(response)
    assert (body.kind, body.format) == ("success", expected)
    assert body.inner["totalRows"] == 1


def test_the_image_reflects_the_request() -> None:
    image = parsed(create(Simulator())).inner["serverImageList"][0]
    assert image["serverImageName"] == "img-1"
    assert image["serverImageStatus"]["code"] == "INIT"
    mappings = {m["order"]: m for m in image["blockStorageMappingList"]}
    assert set(mappings) == {0, 1, 2}
    assert mappings[0]["blockStorageSnapshotInstanceNo"] == 1000001
    assert mappings[0]["blockStorageSize"] == 10 * GIB  # the snapshot's own size
    assert mappings[0]["blockStorageVolumeType"]["code"] == "CB1"
    assert mappings[1]["blockStorageSnapshotInstanceNo"] == ""  # a new, empty storage: "" as NCP
    assert (mappings[1]["blockStorageSize"], mappings[1]["blockStorageVolumeType"]["code"]) == (
        100 * GIB, "FB2")
    assert mappings[2]["blockStorageSnapshotInstanceNo"] == 1000002
    assert (mappings[2]["blockStorageSize"], mappings[2]["blockStorageVolumeType"]["code"]) == (
        60 * GIB, "FB1")


def test_the_description_is_echoed() -> None:
    request = replace(VALID, description="説明 with spaces")
    image = parsed(create(Simulator(), request)).inner["serverImageList"][0]
    assert image["serverImageDescription"] == "説明 with spaces"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("request_value", "code", "rule"), [
    (replace(VALID, server_image_name="1img"), "24002", "SEED-R2"),
    (CreateImageRequest("img-1", (BlockStorage(0, "1000004"),)), "24011", "SEED-R11"),
    (CreateImageRequest("img-1", (BASE, BlockStorage(1, None, 15, "CB1", True))), "24007",
     "SEED-R7"),
])
def test_invalid_requests_get_400_response_error(request_value: CreateImageRequest, code: str,
                                                 rule: str, fmt: str) -> None:
    response = create(Simulator(), request_value, fmt=fmt)
    assert response.status == 400
    body = parsed(response)
    assert (body.kind, body.format) == ("error", fmt)
    assert body.inner["returnCode"] == code
    assert body.inner["returnMessage"].startswith(f"[{rule}]")


UNSPECIFIED = CreateImageRequest("img-1", (BASE, BlockStorage(1, "1000003", None, None, False)))


@pytest.mark.parametrize(("choice", "status"), [("accept", 200), ("reject", 400)])
def test_open_cases_follow_the_scenario_policy(choice: str, status: int) -> None:
    scenario = default_scenario()
    sim = Simulator(replace(scenario, policy={**scenario.policy, "U3": choice}))
    response = create(sim, UNSPECIFIED)
    assert response.status == status
    if status == 400:
        assert parsed(response).inner["returnMessage"].startswith("[U3]")


def test_an_image_name_in_use_is_u10_and_follows_policy() -> None:
    scenario = default_scenario()
    sim = Simulator(replace(scenario, policy={**scenario.policy, "U10": "reject"}))
    assert create(sim).status == 200
    again = create(sim)
    assert again.status == 400
    assert parsed(again).inner["returnMessage"].startswith("[U10]")


def _list(sim: Simulator, method: str = "GET", **extra: str) -> list[dict[str, Any]]:
    response = signed_call(sim, method, "getServerImageList",
                           (("responseFormatType", "json"), *extra.items()))
    rows: list[dict[str, Any]] = parsed(response, "getServerImageList").inner["serverImageList"]
    return [r for r in rows if r["serverImageName"] not in default_scenario().account.image_names
            and r["serverImageType"]["code"] == "SELF"]  # the images the test made


@pytest.mark.parametrize("looks", [0, 1, 3])
def test_status_moves_from_init_to_creat(looks: int) -> None:
    sim = Simulator(replace(default_scenario(), image_ready_after_looks=looks))
    create(sim)
    seen = [_list(sim)[0]["serverImageStatus"]["code"] for _ in range(looks + 2)]
    assert seen == ["INIT"] * looks + ["CREAT", "CREAT"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("method", METHODS)
def test_list_detail_and_delete(method: str, fmt: str) -> None:
    sim = Simulator()
    first = parsed(create(sim)).inner["serverImageList"][0]["serverImageNo"]
    second = parsed(create(sim, replace(VALID, server_image_name="img-2"))).inner[
        "serverImageList"][0]["serverImageNo"]
    assert [r["serverImageNo"] for r in _list(sim, method)] == [first, second]
    assert [r["serverImageNo"] for r in _list(sim, method, **{"serverImageNoList.1": second})] \
        == [second]
    assert [r["serverImageName"] for r in _list(sim, method, serverImageName="img-1")] == ["img-1"]
    detail = signed_call(sim, method, "getServerImageDetail",
                         (("serverImageNo", first), ("responseFormatType", fmt)))
    assert parsed(detail, "getServerImageDetail").format == fmt
    assert parsed(detail, "getServerImageDetail").inner["serverImageList"][0][
        "serverImageNo"] == first
    deleted = signed_call(sim, method, "deleteServerImage",
                          (("serverImageNoList.1", first), ("responseFormatType", fmt)))
    assert parsed(deleted, "deleteServerImage").format == fmt
    assert [r["serverImageNo"] for r in parsed(deleted, "deleteServerImage").inner[
        "serverImageList"]] == [first]
    listed = {r["serverImageNo"]: r for r in _list(sim, method)}
    assert listed[first]["serverImageOperation"]["code"] == "TERMT"  # terminating a while
    assert listed[second]["serverImageOperation"]["code"] == "NULL"
    for _ in range(2):  # image_gone_after_looks: 2 more answers, then it is gone
        _list(sim, method)
    assert [r["serverImageNo"] for r in _list(sim, method)] == [second]
    gone = signed_call(sim, method, "getServerImageDetail", (("serverImageNo", first),))
    assert gone.status == 400
    assert "does not exist" in parsed(gone, "getServerImageDetail").inner["returnMessage"]


def test_an_image_still_init_cannot_be_deleted() -> None:
    sim = Simulator(replace(default_scenario(), image_ready_after_looks=1))
    number = parsed(create(sim)).inner["serverImageList"][0]["serverImageNo"]
    refused = signed_call(sim, "GET", "deleteServerImage", (("serverImageNoList.1", number),))
    assert refused.status == 400
    assert "still being created" in parsed(refused, "deleteServerImage").inner["returnMessage"]
    _list(sim)  # the one look that shows INIT
    done = signed_call(sim, "GET", "deleteServerImage", (("serverImageNoList.1", number),))
    assert done.status == 200
    assert sim.images.created_count == 0


@pytest.mark.parametrize(("action", "sent", "message"), [
    ("deleteServerImage", (), "serverImageNoList.1 is required"),
    ("deleteServerImage", (("serverImageNoList.1", "42"),), "'42' does not exist"),
    ("getServerImageDetail", (), "serverImageNo is required"),
    ("getBlockStorageSnapshotInstanceList", (("isBootable", "yes"),), "isBootable='yes'"),
    ("getServerImageList", (("pageSize", "0"),), "pageSize='0'"),
    ("getRegionList", (("regionCode", "XX"),), None),
    ("getServerImageList", (("regionCode", "XX"),), "regionCode='XX'"),
])
def test_neighbour_errors_are_400_response_error(action: str, sent: Params,
                                                 message: str | None) -> None:
    response = signed_call(Simulator(), "GET", action, sent)
    if message is None:  # getRegionList takes no regionCode and ignores it
        assert response.status == 200
        return
    assert response.status == 400
    assert message in parsed(response, action).inner["returnMessage"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("action", "list_name"), [
    ("getRegionList", "regionList"),
    ("getBlockStorageSnapshotInstanceList", "blockStorageSnapshotInstanceList"),
    ("getBlockStorageVolumeTypeList", "blockStorageVolumeTypeList"),
    ("getServerImageList", "serverImageList"),
])
def test_every_list_action_in_both_methods_and_formats(method: str, fmt: str, action: str,
                                                       list_name: str) -> None:
    response = signed_call(Simulator(), method, action, (("responseFormatType", fmt),))
    assert response.status == 200
    body = parsed(response, action)
    assert (body.kind, body.format) == ("success", fmt)
    assert body.inner["totalRows"] == len(body.inner[list_name])


def test_regions_come_from_the_scenario() -> None:
    sim = Simulator(replace(default_scenario(), account=replace(
        default_scenario().account, regions=("JPN", "KR"))))
    body = parsed(signed_call(sim, "GET", "getRegionList", ()), "getRegionList")
    assert [r["regionCode"] for r in body.inner["regionList"]] == ["JPN", "KR"]
    assert create(sim, replace(VALID, region_code="SGN")).status == 400


@pytest.mark.parametrize(("filters", "numbers"), [
    ((), ["1000001", "1000002", "1000003", "1000004", "1000005", "1000006"]),
    ((("isBootable", "false"),), ["1000003"]),
    ((("hypervisorTypeCodeList.1", "XEN"),), ["1000004"]),
    ((("blockStorageSnapshotInstanceStatusCode", "INIT"),), ["1000005"]),
    ((("blockStorageSnapshotInstanceNoList.1", "1000006"),
      ("blockStorageSnapshotInstanceNoList.2", "1000002")), ["1000002", "1000006"]),
    ((("pageNo", "2"), ("pageSize", "4")), ["1000005", "1000006"]),
])
def test_snapshot_list_filters(filters: Params, numbers: list[str]) -> None:
    response = signed_call(Simulator(), "POST", "getBlockStorageSnapshotInstanceList",
                           (*filters, ("responseFormatType", "json")))
    inner = parsed(response, "getBlockStorageSnapshotInstanceList").inner
    rows = inner["blockStorageSnapshotInstanceList"]
    assert [r["blockStorageSnapshotInstanceNo"] for r in rows] == numbers
    assert inner["totalRows"] == (6 if ("pageNo", "2") in filters else len(numbers))
    odd = [r for r in rows if r["blockStorageSnapshotInstanceNo"] == "1000006"]
    if odd:
        assert odd[0]["blockStorageSnapshotVolumeSize"] == 15 * GIB + 1


@pytest.mark.parametrize(("unit", "factor"), [("bytes", GIB), ("GB", 1)])
def test_volume_types_reflect_the_limits_profile(unit: str, factor: int) -> None:
    simulator = Simulator(replace(default_scenario(), volume_size_unit=unit))
    for fmt in ("json", "xml"):
        body = parsed(signed_call(simulator, "GET", "getBlockStorageVolumeTypeList",
                                  (("responseFormatType", fmt),)), "getBlockStorageVolumeTypeList")
        assert body.problems == ()
        rows = body.inner["blockStorageVolumeTypeList"]
        assert {r["blockStorageVolumeType"]["code"] for r in rows} == {"CB1", "CB2", "FB1", "FB2"}
        assert {(r["minVolumeSize"], r["maxVolumeSize"]) for r in rows} == {
            (10 * factor, 16380 * factor)}  # bytes, as the reference's example gives them
        assert all(isinstance(r["isBaseStorageAvailable"], bool) for r in rows)
        assert all(len(r["zoneCodeList"]) == 2 for r in rows)


# --- the gateway ------------------------------------------------------------------------

def gateway(response: SimResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status == status
    assert response.headers["Content-Type"].startswith("application/json")
    body = parse_body(response.body)
    assert (body.kind, body.problems) == ("gateway_error", ())
    assert body.inner["errorCode"] == code
    error: dict[str, Any] = body.inner
    return error


def test_unsigned_request_is_401() -> None:
    target = f"/vserver/v2/{ACTION}?serverImageName=img-1"
    gateway(Simulator().handle("GET", target, {}), 401, "200")


@pytest.mark.parametrize("damage", ["signature", "timestamp", "key", "query"])
def test_wrong_signature_is_401(damage: str) -> None:
    sim = Simulator()
    assert sim.credentials is not None
    target = f"/vserver/v2/{ACTION}?serverImageName=img-1"
    headers = sign("GET", target, sim.credentials)
    if damage == "signature":
        headers["x-ncp-apigw-signature-v2"] = "AAAA" + headers["x-ncp-apigw-signature-v2"][4:]
    elif damage == "timestamp":
        headers = sign("GET", target, sim.credentials,
                       timestamp_ms=int(headers[TIMESTAMP_HEADER]) - 301_000)
    elif damage == "key":
        headers[ACCESS_KEY_HEADER] = "someone-else"
    else:
        target += "&extra=1"
    error = gateway(sim.handle("GET", target, headers), 401, "200")
    assert sim.credentials.secret_key not in json.dumps(error)


def test_v1_header_name_and_post_body_unsigned() -> None:
    sim = Simulator()
    response = signed_call(sim, "POST", ACTION, params(VALID, "json"),
                           header="x-ncp-apigw-signature-v1")
    assert response.status == 200


def test_keys_from_the_environment_are_accepted_too() -> None:
    env = {"NCLOUD_ACCESS_KEY": "live-style-key", "NCLOUD_SECRET_KEY": "live-style-secret"}
    sim = Simulator(environ=env)
    target = "/vserver/v2/getRegionList"
    headers = sign("GET", target, Credentials("live-style-key", "live-style-secret"))
    assert sim.handle("GET", target, headers).status == 200
    assert signed_call(sim, "GET", "getRegionList").status == 200  # the scenario's pair too


def test_signature_checks_can_be_switched_off() -> None:
    sim = Simulator(replace(default_scenario(), verify_signatures=False))
    assert sim.handle("GET", "/vserver/v2/getRegionList", {}).status == 200


def test_the_clock_decides_the_skew() -> None:
    creds = default_scenario().credentials
    assert creds is not None
    headers = sign("GET", "/vserver/v2/getRegionList", creds, timestamp_ms=1_000_000)
    late = Simulator(clock=lambda: 1_000 + 301)
    on_time = Simulator(clock=lambda: 1_000 + 299)
    assert late.handle("GET", "/vserver/v2/getRegionList", headers).status == 401
    assert on_time.handle("GET", "/vserver/v2/getRegionList", headers).status == 200


@pytest.mark.parametrize("path", ["/vserver/v2/noSuchAction", "/", "/vserver/v1/getRegionList",
                                  "/vserver/v2/"])
def test_unknown_action_is_404(path: str) -> None:
    gateway(Simulator().handle("GET", path, {}), 404, "300")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
                                    "QUERY"])
def test_other_methods_are_405_with_allow(method: str) -> None:
    response = Simulator().handle(method, f"/vserver/v2/{ACTION}", {})
    assert response.status == 405
    assert response.headers["Allow"] == "GET, POST"


def test_oversized_body_is_413() -> None:
    sim = Simulator(replace(default_scenario(), max_body_bytes=100))
    gateway(signed_call(sim, "POST", ACTION, body=b"x" * 101), 413, "430")
    assert signed_call(sim, "POST", ACTION, body=b"x" * 100).status == 400


def test_limits_come_from_the_scenario() -> None:
    scenario = parse_scenario({
        "snapshots": [{"instance_no": "1000001", "size_gb": 10, "bootable": True}],
        "limits": {"volume_types": {"FB2": {"min_gb": 20, "max_gb": 50, "step_gb": 5}}}})
    sim = Simulator(replace(scenario, credentials=default_scenario().credentials))
    assert create(sim, replace(VALID, block_storages=VALID.block_storages[:2])).status == 400
    small = CreateImageRequest("img-1", (BASE, BlockStorage(1, None, 45, "FB2", True)))
    assert create(sim, small).status == 200
    rows = parsed(signed_call(sim, "GET", "getBlockStorageVolumeTypeList",
                              (("responseFormatType", "json"),)),
                  "getBlockStorageVolumeTypeList").inner["blockStorageVolumeTypeList"]
    fb2 = next(r for r in rows if r["blockStorageVolumeType"]["code"] == "FB2")
    assert (fb2["minVolumeSize"], fb2["maxVolumeSize"]) == (20 * GIB, 50 * GIB)


def test_snapshots_and_existing_names_come_from_the_scenario() -> None:
    scenario = parse_scenario({
        "snapshots": [{"instance_no": "77", "size_gb": 30, "bootable": True}],
        "existing_image_names": ["taken"], "policy": {"U10": "reject"}})
    sim = Simulator(replace(scenario, credentials=default_scenario().credentials))
    assert create(sim, VALID).status == 400  # 1000001 is not in this account
    mine = CreateImageRequest("img-1", (BlockStorage(0, "77"),))
    assert create(sim, mine).status == 200
    taken = create(sim, replace(mine, server_image_name="taken"))
    assert parsed(taken).inner["returnMessage"].startswith("[U10]")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_existing_and_public_images_are_listed_from_the_start(fmt: str) -> None:
    simulator = Simulator()
    response = signed_call(simulator, "GET", "getServerImageList",
                           (("responseFormatType", fmt),))
    body = parsed(response, "getServerImageList")
    assert body.problems == ()  # an older public image holds what every page requires
    rows = body.inner["serverImageList"]
    assert sorted((r["serverImageName"], r["serverImageType"]["code"],
                   r["hypervisorType"]["code"]) for r in rows) == [
        ("centos-7.8-64", "NCP", "XEN"), ("existing-image", "SELF", "KVM"),
        ("rocky-8.10-base", "NCP", "KVM"), ("ubuntu-22.04-base", "NCP", "KVM")]
    old = next(r for r in rows if r["serverImageName"] == "centos-7.8-64")
    assert "blockStorageMappingList" not in old
    ncp = old["serverImageNo"]
    refused = signed_call(simulator, "GET", "deleteServerImage",
                          (("serverImageNoList.1", ncp), ("responseFormatType", "json")))
    assert refused.status == 400  # NCP's own image is not the account's to delete
    quiet = Simulator(replace(default_scenario(), public_images=False))
    rows = parsed(signed_call(quiet, "GET", "getServerImageList",
                              (("responseFormatType", "json"),)),
                  "getServerImageList").inner["serverImageList"]
    assert [r["serverImageName"] for r in rows] == ["existing-image"]


def test_first_image_number_comes_from_the_scenario() -> None:
    sim = Simulator(replace(default_scenario(), first_image_no=7))
    assert parsed(create(sim)).inner["serverImageList"][0]["serverImageNo"] == "7"
