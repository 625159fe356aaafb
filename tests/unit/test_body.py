"""Response parsing: the seed's example in JSON and XML, errors, hostile and broken bodies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from harness.core.errors import ContractViolation, UnreadableBody
from harness.core.xmlcodec import to_xml
from harness.spec.body import parse_body

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED_JSON = (FIXTURES / "seed_example_response.json").read_bytes()
ROOT = "createServerImageFromSnapshotResponse"


def seed_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEED_JSON)
    return data


def test_seed_example_json_is_a_valid_success() -> None:
    parsed = parse_body(SEED_JSON)
    assert (parsed.format, parsed.kind, parsed.root) == ("json", "success", ROOT)
    assert parsed.problems == ()
    image = parsed.inner["serverImageList"][0]
    assert image["blockStorageMappingList"][0]["blockStorageSize"] == 10737418240


def test_seed_example_xml_rendering_parses_to_the_same_shape() -> None:
    xml = to_xml(seed_data())
    assert xml.startswith(b"<?xml")
    assert b"<serverImageList><serverImage>" in xml
    assert b"<blockStorageMappingList><blockStorageMapping>" in xml
    assert b"<sharedLoginIdList />" in xml
    parsed = parse_body(xml)
    assert (parsed.format, parsed.kind) == ("xml", "success")
    assert parsed.problems == ()
    assert parsed.data == parse_body(SEED_JSON).data


def test_xml_text_is_coerced_to_schema_types() -> None:
    xml = (f"<{ROOT}><requestId>a4981568-2d6a-4446-8519-940cc764729f</requestId>"
           "<returnCode>0</returnCode><returnMessage>success</returnMessage>"
           "<totalRows>1</totalRows><serverImageList><serverImage>"
           "<serverImageNo>7</serverImageNo>"
           "<blockStorageMappingList><blockStorageMapping><order>0</order>"
           "<blockStorageSize>10737418240</blockStorageSize><iops>100</iops>"
           "<isEncryptedVolume>false</isEncryptedVolume>"
           f"</blockStorageMapping></blockStorageMappingList></serverImage></serverImageList></{ROOT}>")
    inner = parse_body(xml).inner
    assert inner["returnCode"] == "0"  # a string in the schema, so it stays one
    assert inner["totalRows"] == 1
    image = inner["serverImageList"][0]
    assert image["serverImageNo"] == "7"
    mapping = image["blockStorageMappingList"][0]
    assert mapping == {"order": 0, "blockStorageSize": 10737418240, "iops": 100,
                       "isEncryptedVolume": False}


@pytest.mark.parametrize(("mutate", "path", "rule"), [
    (lambda d: d[ROOT].pop("requestId"), ROOT, "SEED-S2"),
    (lambda d: d[ROOT].update(returnCode=0), f"{ROOT}.returnCode", "SEED-S2"),
    (lambda d: d[ROOT].update(requestId="not-a-uuid"), f"{ROOT}.requestId", "SEED-S2"),
    (lambda d: d[ROOT]["serverImageList"][0].pop("createDate"),
     f"{ROOT}.serverImageList[0]", "SEED-S3"),
    (lambda d: d[ROOT]["serverImageList"][0].update(createDate="2025-06-26T10:33:37+09:00"),
     f"{ROOT}.serverImageList[0].createDate", "SEED-S3"),
    (lambda d: d[ROOT]["serverImageList"][0]["blockStorageMappingList"][0].update(
        blockStorageSize="10 GB"),
     f"{ROOT}.serverImageList[0].blockStorageMappingList[0].blockStorageSize", "SEED-S4"),
    (lambda d: d[ROOT]["serverImageList"][0]["blockStorageMappingList"][0].pop(
        "isEncryptedVolume"), f"{ROOT}.serverImageList[0].blockStorageMappingList[0]", "SEED-S4"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_schema_faults_cite_the_seed_rule(mutate: Any, path: str, rule: str, fmt: str) -> None:
    data = copy.deepcopy(seed_data())
    mutate(data)
    body = json.dumps(data).encode() if fmt == "json" else to_xml(data)
    problems = parse_body(body).problems
    if fmt == "xml" and path.endswith("returnCode"):
        assert problems == ()  # XML cannot tell 0 from "0": every value is text
        return
    assert {(p.path, p.rule) for p in problems} == {(path, rule)}


def test_instance_number_may_be_a_number_or_a_digit_string() -> None:
    data = seed_data()
    mapping = data[ROOT]["serverImageList"][0]["blockStorageMappingList"][0]
    mapping["blockStorageSnapshotInstanceNo"] = "111114697"
    assert parse_body(json.dumps(data)).problems == ()
    mapping["blockStorageSnapshotInstanceNo"] = "snap-1"
    assert parse_body(json.dumps(data)).problems[0].rule == "SEED-S4"


def test_the_table_wrapper_name_is_not_the_contract() -> None:
    # ncp-api.md section 8: the example's createServerImageFromSnapshotResponse wins.
    data = {"getServerImageListResponse": seed_data()[ROOT]}
    parsed = parse_body(json.dumps(data))
    assert parsed.kind == "unknown"
    assert [p.rule for p in parsed.problems] == ["SEED-S1"]


@pytest.mark.parametrize("body", [
    b'{"responseError": {"returnCode": "24001", "returnMessage": "Invalid parameter."}}',
    b"<responseError><returnCode>24001</returnCode>"
    b"<returnMessage>Invalid parameter.</returnMessage></responseError>",
])
def test_server_api_error_in_both_formats(body: bytes) -> None:
    parsed = parse_body(body)
    assert parsed.kind == "error"
    assert parsed.problems == ()
    assert parsed.data == {"responseError": {"returnCode": "24001",
                                             "returnMessage": "Invalid parameter."}}


def test_gateway_error_and_its_integer_code() -> None:
    body: dict[str, dict[str, object]] = {
        "error": {"errorCode": "200", "message": "Authentication Failed",
                  "details": "Invalid authentication information."}}
    assert parse_body(json.dumps(body)).kind == "gateway_error"
    assert parse_body(json.dumps(body)).problems == ()
    body["error"]["errorCode"] = 200
    assert parse_body(json.dumps(body)).problems == ()
    del body["error"]["message"]
    assert [p.rule for p in parse_body(json.dumps(body)).problems] == ["SEED-S5"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<responseError><returnMessage>&lol2;</returnMessage></responseError>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<responseError><returnMessage>&xxe;</returnMessage></responseError>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL])
def test_hostile_xml_is_refused_not_expanded(body: bytes) -> None:
    with pytest.raises(UnreadableBody, match="XML body refused") as caught:
        parse_body(body)
    assert "root:" not in str(caught.value)
    assert isinstance(caught.value, ContractViolation)


@pytest.mark.parametrize(("body", "quoted"), [
    (b"Service Unavailable", "b'Service Unavailable'"),
    (b"", "empty"),
    (b"{not json", "JSON body does not parse"),
    (b"[1, 2]", "not an object"),
    (b"<a><b></a>", "not well formed"),
    (b"\x00\x01binary" + b"x" * 200, r"b'\x00\x01binary"),
])
def test_unreadable_bodies_quote_their_first_bytes(body: bytes, quoted: str) -> None:
    with pytest.raises(UnreadableBody) as caught:
        parse_body(body)
    assert quoted in str(caught.value)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("mutate", [
    lambda m: (m.pop("iops"), m.pop("throughput")),  # Optional on the BlockStorageMapping page
    lambda m: m.update(blockStorageSnapshotInstanceNo="", blockStorageSnapshotName=""),
    lambda m: m.update(blockStorageSnapshotInstanceName="snap", blockStorageName="disk"),
    lambda m: m.update(blockStorageSnapshotInstanceNo=111114697),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_mappings_as_the_reference_allows_them_keep_the_contract(mutate: Any, fmt: str) -> None:
    data = seed_data()
    mutate(data[ROOT]["serverImageList"][0]["blockStorageMappingList"][0])
    body = json.dumps(data) if fmt == "json" else to_xml(data)
    assert parse_body(body).problems == ()


def _image(data: dict[str, Any]) -> dict[str, Any]:
    image: dict[str, Any] = data[ROOT]["serverImageList"][0]
    return image


def _drop_iops(data: dict[str, Any]) -> None:
    mapping = _image(data)["blockStorageMappingList"][0]
    del mapping["iops"], mapping["throughput"]


def _set_order(data: dict[str, Any]) -> None:
    _image(data)["blockStorageMappingList"][0]["order"] = 25


def _empty_request_id(data: dict[str, Any]) -> None:
    data[ROOT]["requestId"] = ""


def _drop_lifecycle(data: dict[str, Any]) -> None:
    del _image(data)["serverImageLifeCyclePhase"], _image(data)["platformCategoryCode"]


def _ja_snapshot_name(data: dict[str, Any]) -> None:
    mapping = _image(data)["blockStorageMappingList"][0]
    mapping["blockStorageSnapshotInstanceName"] = mapping.pop("blockStorageSnapshotName")


def _no_snapshot_name(data: dict[str, Any]) -> None:
    del _image(data)["blockStorageMappingList"][0]["blockStorageSnapshotName"]


@pytest.mark.parametrize(("mutate", "notes"), [
    (_drop_iops, {"REF-mapping-iops"}),
    (_set_order, {"REF-mapping-order-max"}),
    (_empty_request_id, {"REF-requestId-empty"}),
    (_drop_lifecycle, {"REF-lifecycle-phase", "REF-platform-category"}),
    (_no_snapshot_name, {"REF-mapping-snapshot-name"}),
    (_ja_snapshot_name, set()),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_assumed_or_optional_shape_is_a_difference_not_a_violation(
        mutate: Any, notes: set[str], fmt: str) -> None:
    data = copy.deepcopy(seed_data())
    mutate(data)
    body = json.dumps(data).encode() if fmt == "json" else to_xml(data)
    parsed = parse_body(body)
    assert parsed.problems == ()
    assert {d.note.id for d in parsed.differences} == notes
    assert all(d.note.source and d.path in d.message for d in parsed.differences)


@pytest.mark.parametrize(("mutate", "rule"), [
    (lambda d: d[ROOT].__setitem__("requestId", "not-a-uuid"), "SEED-S2"),
    (lambda d: _image(d).pop("serverImageNo"), "SEED-S3"),
    (lambda d: _image(d)["blockStorageMappingList"][0].pop("isEncryptedVolume"), "SEED-S4"),
    (lambda d: _image(d)["blockStorageMappingList"][0].__setitem__("iops", "fast"), "SEED-S4"),
])
def test_a_seed_or_required_constraint_stays_a_violation(mutate: Any, rule: str) -> None:
    data = copy.deepcopy(seed_data())
    mutate(data)
    parsed = parse_body(json.dumps(data))
    assert [p.rule for p in parsed.problems] == [rule]
    assert parsed.differences == ()


def test_a_return_code_that_is_not_digits_is_a_difference() -> None:
    body = b'{"responseError": {"returnCode": "E-24", "returnMessage": "Invalid parameter."}}'
    parsed = parse_body(body)
    assert parsed.problems == ()
    assert [d.note.id for d in parsed.differences] == ["REF-return-code-digits"]


@pytest.mark.parametrize(("field", "expected"), [
    ("iops", ("REF-mapping-iops", None)),  # Optional: absent is a finding
    ("blockStorageSize", (None, "SEED-S4")),  # Required: absent is a violation
    ("isEncryptedVolume", (None, "SEED-S4")),
])
def test_an_empty_xml_element_of_a_number_or_boolean_is_an_absent_value(
        field: str, expected: tuple[str | None, str | None]) -> None:
    data = copy.deepcopy(seed_data())
    _image(data)["blockStorageMappingList"][0][field] = ""
    parsed = parse_body(to_xml(data))
    note, rule = expected
    assert [d.note.id for d in parsed.differences] == ([note] if note else [])
    assert [p.rule for p in parsed.problems] == ([rule] if rule else [])
    assert field not in parsed.inner["serverImageList"][0]["blockStorageMappingList"][0]
