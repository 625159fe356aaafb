"""The API Gateway's own answers: each code of NCP's table read as what it means to a run."""

from __future__ import annotations

import json

import pytest

from harness.checks.response import check_answer
from harness.contract.model import ACTION
from harness.contract.oracle import Outcome, judge
from harness.contract.probe import Probe
from harness.contract.wire import encoding_problem
from harness.core.answer import Answer
from harness.core.gateway import (
    CODES,
    GatewayCode,
    gateway_code,
    is_hiccup,
    is_transient,
    permission_denied,
    refused_by_gateway,
)
from harness.sim.scenario import sample_account

ACCOUNT = sample_account()
JSON = {"Content-Type": "application/json;charset=UTF-8"}
VALID = (("serverImageName", "gw-valid"), ("blockStorageList.1.order", "0"),
         ("blockStorageList.1.snapshotInstanceNo", "1000001"))
INVALID = (("serverImageName", "-bad-"), *VALID[1:])


def gateway(status: int, code: str | int, message: str = "", *, indent: int | None = None
            ) -> Answer:
    body = {"error": {"errorCode": code, "message": message, "details": ""}}
    return Answer(status, JSON, json.dumps(body, indent=indent).encode())


def probe(params: tuple[tuple[str, str], ...], raw: str | None = None) -> Probe:
    return Probe(params, "GET", "gw", ("SEED-R2",), raw=raw)


@pytest.mark.parametrize("row", CODES, ids=lambda r: f"{r.status}-{r.code}")
def test_every_row_of_the_table_is_read_as_string_integer_pretty_or_xml(
        row: GatewayCode) -> None:
    xml = (f"<?xml version='1.0'?>\n<error>\n  <errorCode>{row.code}</errorCode>\n"
           f"  <message>{row.message}</message>\n</error>").encode()
    for answer in (gateway(row.status, row.code, row.message),
                   gateway(row.status, int(row.code), row.message, indent=2),
                   Answer(row.status, {"Content-Type": "application/xml"}, xml)):
        assert gateway_code(answer) == row
        assert is_transient(answer) is (row.kind in ("throttle", "outage", "unexpected"))
        assert is_hiccup(answer) is (row.kind == "unexpected")
        assert (refused_by_gateway(answer) == row) is (row.kind == "refused")
        assert (permission_denied(answer, ACTION) is not None) is (row.kind == "permission")


def test_a_code_under_another_status_or_a_server_error_is_not_the_gateways() -> None:
    assert gateway_code(gateway(400, "210")) is None  # 210 is a 401's
    assert gateway_code(gateway(200, "100")) is None
    assert gateway_code(gateway(400, True)) is None
    server = Answer(400, JSON, b'{"responseError": {"returnCode": "100", "returnMessage": "x"}}')
    assert gateway_code(server) is None
    assert gateway_code(Answer(400, JSON, b'{"error": {"errorCode": "100"}, "more": 1}')) is None


def test_the_servers_hiccup_and_the_gateways_unexpected_error_are_both_hiccups() -> None:
    backend = Answer(500, JSON, b'{"responseError": {"returnCode": "1000",'
                     b' "returnMessage": "Please try your call again later."}}')
    assert is_hiccup(backend)
    assert is_transient(backend)
    assert is_hiccup(gateway(500, "900", "Unexpected Error"))
    assert not is_transient(Answer(500, JSON, b'{"responseError": {"returnCode": "50000"}}'))


def test_a_permission_denial_says_which_key_may_not_do_what() -> None:
    message = permission_denied(gateway(401, "210", "Permission Denied"), ACTION)
    assert message is not None
    assert message.startswith("this key may not create images here (Permission Denied, 210)")
    other = permission_denied(gateway(403, "230", "Forbidden"), "getServerImageList")
    assert other is not None
    assert "may not call getServerImageList here (Forbidden, 230)" in other
    assert permission_denied(gateway(401, "200", "Authentication Failed"), ACTION) is None


@pytest.mark.parametrize(("raw", "broken"), [
    ("a=b&c=%e3%81%82", False), ("a=%2541", False), ("a=%00", False), ("a=x+y%20z", False),
    ("a=%zz", True), ("a=%2", True), ("a%=b", True), ("a=%C0%AF", True), ("a=%ED%A0%80", True),
    ("a=%FF", True),
])
def test_encoding_problems_are_malformed_escapes_and_bytes_that_are_not_utf8(
        raw: str, broken: bool) -> None:
    assert (encoding_problem(raw) is not None) is broken
    assert encoding_problem(b"a=\xff") is not None
    assert encoding_problem("a=\ufffd".encode()) is None  # a real U+FFFD, sent as UTF-8


def test_the_gateways_refusal_of_an_invalid_request_is_a_refusal_not_a_body_shape_breach() -> None:
    verdict = judge(INVALID, ACCOUNT)
    assert verdict.outcome is Outcome.REJECT
    for answer in (gateway(400, "100", "Bad Request Exception"),
                   gateway(413, "430", "Request Entity Too Large")):
        result = check_answer(probe(INVALID), verdict, answer, ACCOUNT)
        assert result.ok
        assert not result.transient
        assert result.stop is None
        assert ("SEED-R2", "status_agrees_with_oracle") in result.ran


def test_the_gateways_refusal_of_a_well_encoded_valid_request_is_a_violation() -> None:
    verdict = judge(VALID, ACCOUNT)
    assert verdict.outcome is Outcome.ACCEPT
    result = check_answer(probe(VALID), verdict, gateway(400, "100", "Bad Request Exception"),
                          ACCOUNT)
    assert [v.check for v in result.violations] == ["status_agrees_with_oracle"]
    assert "the API Gateway's 100 Bad Request Exception" in result.violations[0].message


def test_wire_whose_encoding_is_broken_is_judged_only_for_5xx() -> None:
    raw = ("serverImageName=gw-valid&blockStorageList.1.order=0"
           "&blockStorageList.1.snapshotInstanceNo=1000001&serverImageDescription=x%zz")
    params = (*VALID, ("serverImageDescription", "x%zz"))
    verdict = judge(params, ACCOUNT)
    assert verdict.outcome is Outcome.ACCEPT  # the oracle reads it one way; services may not
    wire = probe(params, raw)
    refused = check_answer(wire, verdict, gateway(400, "100", "Bad Request Exception"), ACCOUNT)
    assert refused.ok
    assert [f.cases for f in refused.findings] == [("REF-malformed-encoding",)]
    assert "the API Gateway's 100" in refused.findings[0].message
    server = Answer(400, JSON, b'{"responseError": {"returnCode": "1", "returnMessage": "no"}}')
    assert check_answer(wire, verdict, server, ACCOUNT).ok
    crashed = check_answer(wire, verdict, Answer(500, JSON, b"{}"), ACCOUNT)
    assert [v.check for v in crashed.violations] == ["not_a_server_error"]


@pytest.mark.parametrize(("status", "code"), [(401, "210"), (403, "230")])
def test_a_permission_denial_stops_the_run_until_the_key_was_seen_to_create(
        status: int, code: str) -> None:
    for params in (VALID, INVALID):
        verdict = judge(params, ACCOUNT)
        result = check_answer(probe(params), verdict, gateway(status, code), ACCOUNT)
        assert result.stop is not None
        assert f", {code})" in result.stop
        assert result.ok
        assert not result.ran
    judged = check_answer(probe(VALID), judge(VALID, ACCOUNT), gateway(status, code), ACCOUNT,
                          may_create=True)
    assert judged.stop is None
    assert [v.check for v in judged.violations] == ["status_agrees_with_oracle"]
