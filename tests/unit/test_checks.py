"""Checks: clean answers pass, and each check fails on a deliberately wrong answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.checks.response import (
    CHECKS,
    Answer,
    check_answer,
    check_auth_failure,
    check_neighbour,
    is_hiccup,
    is_transient,
    reference_findings,
)
from harness.contract.model import ACTION, BlockStorage, CreateImageRequest
from harness.contract.oracle import judge
from harness.contract.probe import Probe
from harness.core.xmlcodec import to_xml
from harness.sim import Simulator
from harness.sim.scenario import sample_account
from harness.spec.body import parse_body
from tests.helpers import signed_call

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

ACCOUNT = sample_account()
ROOT = f"{ACTION}Response"
VALID = CreateImageRequest(
    "img-1", (BlockStorage(0, "1000001"), BlockStorage(1, None, 100, "FB2", empty=True),
              BlockStorage(2, "1000002", 60, "CB2", empty=False)),
    description="説明", response_format="json")
INVALID = CreateImageRequest("1img", (BlockStorage(0, "1000001"),), response_format="json")
OPEN = CreateImageRequest("img-1", (BlockStorage(0, "1000001"),
                                    BlockStorage(1, "1000002", None, None, None)))


def probe(request: CreateImageRequest, rules: tuple[str, ...] = ("SEED-R4",)) -> Probe:
    return Probe.of(request, "GET", "test", rules)


def answer(request: CreateImageRequest) -> Answer:
    got = signed_call(Simulator(), "GET", ACTION, probe(request).params)
    return Answer(got.status, got.headers, got.body)


def checked(request: CreateImageRequest, given: Answer) -> list[tuple[str | None, str]]:
    result = check_answer(probe(request), judge(probe(request).params, ACCOUNT), given, ACCOUNT)
    return [(v.rule, v.check) for v in result.violations]


def edited(request: CreateImageRequest, edit: Callable[[dict[str, Any]], None],
           status: int | None = None) -> Answer:
    clean = answer(request)
    data = json.loads(clean.body)
    edit(data)
    return Answer(status or clean.status, clean.headers, json.dumps(data).encode())


@pytest.mark.parametrize("request_value", [VALID, INVALID, OPEN],
                         ids=["valid", "invalid", "open"])
def test_the_simulators_answers_pass(request_value: CreateImageRequest) -> None:
    assert checked(request_value, answer(request_value)) == []


def test_unspecified_is_a_finding_whatever_the_answer() -> None:
    for given in (answer(OPEN), Answer(400, {}, b'{"responseError": {}}')):
        result = check_answer(probe(OPEN), judge(probe(OPEN).params, ACCOUNT), given, ACCOUNT)
        assert result.ok
        assert [f.cases for f in result.findings] == [("U1",)]


def image(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = data[ROOT]["serverImageList"][0]
    return found


def mapping(data: dict[str, Any], order: int) -> dict[str, Any]:
    return next(m for m in image(data)["blockStorageMappingList"] if m["order"] == order)


WRONG: list[tuple[str, CreateImageRequest, Callable[[], Answer], set[tuple[str | None, str]]]] = [
    ("5xx", VALID, lambda: Answer(503, {}, b"busy"),
     {("SEED-S5", "not_a_server_error")}),
    ("5xx even when unspecified", OPEN, lambda: Answer(500, {}, b""),
     {("SEED-S5", "not_a_server_error")}),
    ("valid refused", VALID, lambda: answer(INVALID),
     {("SEED-R4", "status_agrees_with_oracle")}),
    ("invalid accepted", INVALID, lambda: answer(VALID),
     {("SEED-R2", "status_agrees_with_oracle")}),
    ("reject with a success body", INVALID,
     lambda: Answer(400, answer(VALID).headers, answer(VALID).body),
     {("SEED-S5", "error_body_shape")}),
    ("reject with a gateway body not in the gateway's table", INVALID,
     lambda: Answer(400, {"Content-Type": "application/json"},
                    b'{"error": {"errorCode": "300", "message": "Not Found Exception"}}'),
     {("SEED-S5", "error_body_shape")}),
    ("missing requestId", VALID, lambda: edited(VALID, lambda d: d[ROOT].pop("requestId")),
     {("SEED-S2", "response_schema")}),
    ("not JSON or XML", VALID, lambda: Answer(200, {"Content-Type": "application/json"},
                                              b"OK"),
     {("SEED-S1", "response_schema")}),
    ("wrong wrapper", VALID,
     lambda: edited(VALID, lambda d: d.update(getServerImageListResponse=d.pop(ROOT))),
     {("SEED-S1", "response_schema")}),
    ("XML body when JSON was asked", VALID,
     lambda: Answer(200, answer(VALID).headers, to_xml(json.loads(answer(VALID).body))),
     {("SEED-R10", "format_matches_request")}),
    ("JSON content type on XML", CreateImageRequest("img-1", VALID.block_storages),
     lambda: Answer(200, {"Content-Type": "application/json"},
                    answer(CreateImageRequest("img-1", VALID.block_storages)).body),
     {("SEED-S6", "format_matches_request")}),
    ("name not echoed", VALID,
     lambda: edited(VALID, lambda d: image(d).update(serverImageName="other")),
     {("SEED-S3", "echo")}),
    ("description changed", VALID,
     lambda: edited(VALID, lambda d: image(d).update(serverImageDescription="x")),
     {("SEED-S3", "echo")}),
    ("a mapping missing", VALID,
     lambda: edited(VALID, lambda d: image(d)["blockStorageMappingList"].pop()),
     {("SEED-S4", "echo")}),
    ("size in GB, not bytes", VALID,
     lambda: edited(VALID, lambda d: mapping(d, 1).update(blockStorageSize=100)),
     {("SEED-S4", "echo")}),
    ("type not the one sent", VALID,
     lambda: edited(VALID, lambda d: mapping(d, 2)["blockStorageVolumeType"].update(code="CB1")),
     {("SEED-S4", "echo")}),
    ("snapshot not the one sent", VALID,
     lambda: edited(VALID, lambda d: mapping(d, 0).update(blockStorageSnapshotInstanceNo=5)),
     {("SEED-S4", "echo")}),
    ("totalRows wrong", VALID, lambda: edited(VALID, lambda d: d[ROOT].update(totalRows=3)),
     {("SEED-S2", "echo")}),
    ("two images", VALID,
     lambda: edited(VALID, lambda d: d[ROOT].update(
         serverImageList=[image(d), image(d)], totalRows=2)),
     {("SEED-S2", "echo")}),
]


@pytest.mark.parametrize(("request_value", "make", "expected"), [w[1:] for w in WRONG],
                         ids=[w[0] for w in WRONG])
def test_each_check_fails_on_a_wrong_answer(request_value: CreateImageRequest,
                                            make: Callable[[], Answer],
                                            expected: set[tuple[str | None, str]]) -> None:
    assert set(checked(request_value, make())) == expected


def test_missing_description_is_a_finding_not_a_violation() -> None:
    wrong = edited(VALID, lambda d: image(d).pop("serverImageDescription"))
    result = check_answer(probe(VALID), judge(probe(VALID).params, ACCOUNT), wrong, ACCOUNT)
    assert result.ok
    assert "serverImageDescription" in result.findings[0].message


def test_violations_carry_expected_and_actual() -> None:
    wrong = edited(VALID, lambda d: mapping(d, 1).update(blockStorageSize=100))
    result = check_answer(probe(VALID), judge(probe(VALID).params, ACCOUNT), wrong, ACCOUNT)
    (violation,) = result.violations
    assert (violation.expected, violation.actual) == (100 * 2**30, 100)
    assert violation.path.endswith("[order=1].blockStorageSize")


@pytest.mark.parametrize(("given", "expected"), [
    (Answer(401, {"Content-Type": "application/json"},
            b'{"error": {"errorCode": "200", "message": "Authentication Failed"}}'), []),
    (Answer(200, {}, b"{}"), [("SEED-S5", "auth_failure_is_401")]),
    (Answer(401, {}, b'{"responseError": {"returnCode": "1", "returnMessage": "x"}}'),
     [("SEED-S5", "auth_failure_is_401")]),
])
def test_auth_failures(given: Answer, expected: list[tuple[str, str]]) -> None:
    result = check_auth_failure(given, "a request without a signature")
    assert [(v.rule, v.check) for v in result.violations] == expected


def test_a_code_the_reference_does_not_list_is_a_finding_never_a_violation() -> None:
    data = json.loads((FIXTURES / "seed_example_response.json").read_text())
    image = data["createServerImageFromSnapshotResponse"]["serverImageList"][0]
    image["hypervisorType"] = {"code": "RHV", "codeName": "RHV"}  # known (government site)
    image["serverImageStatus"] = {"code": "TERMT", "codeName": "terminating"}  # known
    image["serverImageType"] = {"code": "SHARED", "codeName": "shared"}  # not listed
    image["blockStorageMappingList"][0]["blockStorageVolumeType"] = {"code": "SSD",
                                                                     "codeName": "SSD"}
    body = parse_body(json.dumps(data).encode())
    assert body.problems == ()
    found = reference_findings(body, 200)
    assert [(f.cases, f.status) for f in found] == [(("REF-serverImageType",), 200)]
    assert "'SHARED' is not a code the reference lists (NCP | SELF)" in found[0].message


@pytest.mark.parametrize(("status", "body", "transient"), [
    (500, b'{"responseError": {"returnCode": "1000", "returnMessage": "Please try your call'
          b' again later.\\nTemporary Error"}}', True),  # terraform-provider-ncloud #298
    (500, b'{\n  "responseError" : {\n    "returnCode" : "1000"\n  }\n}', True),
    (500, b"<responseError><returnCode>1000</returnCode></responseError>", True),
    (500, b'{"responseError": {"returnCode": "1001", "returnMessage": "x"}}', False),
    (500, b"internal error", False),
    (503, b'{"error":{"errorCode":"500","message":"Endpoint Error","details":""}}', True),
    (503, b'{\n    "error": {\n        "errorCode": "500",\n        "message": "Endpoint'
          b' Error"\n    }\n}', True),  # a pretty-printed gateway body
    (503, b'{"responseError": {"returnCode": "9"}}', False),
    (429, b"", True), (429, b'{"responseError": {}}', False), (400, b"{}", False),
])
def test_hiccups_and_outages_are_transient(status: int, body: bytes, transient: bool) -> None:
    assert is_transient(Answer(status, {}, body)) is transient
    assert is_hiccup(Answer(status, {}, body)) is (transient and status == 500)


REGIONS = (b'{"getRegionListResponse": {"requestId": "", "returnCode": "0", "returnMessage":'
           b' "success", "totalRows": 1,'
           b' "regionList": [{"regionCode": "KR", "regionName": "Korea"}]}}')
ERROR_400 = b'{"responseError": {"returnCode": "24001", "returnMessage": "Invalid parameter."}}'


def test_a_neighbour_answer_is_judged_three_ways() -> None:
    ok = check_neighbour("getRegionList", Answer(200, {}, REGIONS), "json")
    assert ok.ok
    assert [f.cases for f in ok.findings] == [("REF-requestId-empty",)]
    wrong_format = check_neighbour("getRegionList", Answer(200, {}, REGIONS), "xml")
    assert [v.check for v in wrong_format.violations] == ["format_matches_request"]
    broken = check_neighbour("getRegionList", Answer(200, {}, REGIONS.replace(
        b'"regionCode"', b'"region"')), "json")
    assert [v.check for v in broken.violations] == ["response_schema"]


def test_an_error_to_a_neighbour_call_is_a_violation_only_when_success_was_due() -> None:
    refused = Answer(400, {}, ERROR_400)
    assert [v.rule for v in check_neighbour("getRegionList", refused, "json").violations] == [
        "SEED-S5"]
    assert check_neighbour("getRegionList", refused, "json", expect_success=False).ok
    hiccup = Answer(500, {}, b'{"responseError": {"returnCode": "1000", "returnMessage": "x"}}')
    assert check_neighbour("getRegionList", hiccup, "json").transient


def _ran(request: CreateImageRequest, given: Answer) -> list[tuple[str, str]]:
    return list(check_answer(probe(request), judge(probe(request).params, ACCOUNT), given,
                             ACCOUNT).ran)


def test_each_check_records_that_it_ran_and_only_then() -> None:
    """One decision tree: the report counts what ran, so a check cut short is not counted."""
    assert _ran(VALID, answer(VALID)) == [
        ("SEED-S5", "not_a_server_error"), ("SEED-R4", "status_agrees_with_oracle"),
        ("SEED-R10", "format_matches_request"), ("SEED-S1", "response_schema"),
        ("SEED-S3", "echo")]
    assert _ran(VALID, Answer(503, {}, b"down")) == [("SEED-S5", "not_a_server_error")]
    assert _ran(VALID, Answer(502, {}, b"bad gateway")) == [("SEED-S5", "not_a_server_error")]
    assert _ran(VALID, Answer(400, {}, b'{"responseError": {}}')) == [
        ("SEED-S5", "not_a_server_error"), ("SEED-R4", "status_agrees_with_oracle")]
    assert _ran(INVALID, answer(INVALID)) == [
        ("SEED-S5", "not_a_server_error"), ("SEED-R4", "status_agrees_with_oracle"),
        ("SEED-S5", "error_body_shape"), ("SEED-R10", "format_matches_request"),
        ("SEED-S1", "response_schema")]
    assert _ran(OPEN, answer(OPEN)) == [("SEED-S5", "not_a_server_error")]
    assert check_auth_failure(Answer(200, {}, b"{}"), "x").ran == (
        ("SEED-S5", "auth_failure_is_401"),)


def test_every_check_that_runs_is_a_named_check() -> None:
    results = [check_answer(probe(r), judge(probe(r).params, ACCOUNT), answer(r), ACCOUNT)
               for r in (VALID, INVALID, OPEN)]
    results.append(check_auth_failure(Answer(401, {}, b"{}"), "x"))
    names = {check for result in results for _, check in result.ran}
    assert names <= set(CHECKS)
    assert names == set(CHECKS)


def test_the_echo_check_uses_the_verdicts_reading_not_a_second_one() -> None:
    """The view on the verdict is what is echoed against: a request is read once."""
    verdict = judge(probe(VALID).params, ACCOUNT)
    assert verdict.view is not None
    other = judge(probe(replace(VALID, server_image_name="img-2")).params, ACCOUNT)
    swapped = replace(verdict, view=other.view)
    result = check_answer(probe(VALID), swapped, answer(VALID), ACCOUNT)
    assert [(v.rule, v.path) for v in result.violations] == [
        ("SEED-S3", "serverImageList[0].serverImageName")]
