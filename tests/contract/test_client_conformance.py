"""The request-conformance fixtures: a simulator in front of a client, every request checked."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from harness.client.conformance import ClientConformance
from harness.contract.wire import ACTION_PATH
from harness.core.errors import ContractViolation
from harness.core.signing import Credentials, sign

PARAMS = [("serverImageName", "client-image"), ("blockStorageList.1.order", "0"),
          ("blockStorageList.1.snapshotInstanceNo", "1000001"),
          ("responseFormatType", "json")]


def _requests_client(base_url: str, creds: Credentials, params: list[tuple[str, str]]) -> int:
    """A client built on requests, doing it right: GET, query signed as sent."""
    prepared = requests.Request("GET", base_url + ACTION_PATH, params=params).prepare()
    prepared.headers.update(sign("GET", prepared.url or "", creds))
    with requests.Session() as session:
        return session.send(prepared, timeout=10).status_code


def _stdlib_client(base_url: str, creds: Credentials, body: bytes, content_type: str) -> int:
    """A client on http.client, as a hand-rolled SDK in any language talks over a socket."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        headers = {"Content-Type": content_type, **sign("POST", ACTION_PATH, creds)}
        connection.request("POST", ACTION_PATH, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_requests_client_in_process_conforms(
        ncp_conformance_requests: ClientConformance) -> None:
    cc = ncp_conformance_requests
    assert _requests_client(cc.base_url, cc.credentials, PARAMS) == 200
    (report,) = cc.reports()
    assert report.ok, report.lines()
    assert report.request.label == "request 1"
    assert report.verdict is not None
    assert report.verdict.outcome.value == "accept"


def test_any_client_over_loopback_conforms(ncp_conformance: ClientConformance) -> None:
    cc = ncp_conformance
    assert urlsplit(cc.base_url).hostname == "127.0.0.1"
    status = _stdlib_client(cc.base_url, cc.credentials, urlencode(PARAMS).encode(),
                            "application/x-www-form-urlencoded")
    assert status == 200
    assert [r.ok for r in cc.reports()] == [True]


def test_each_kind_of_client_mistake_is_named_with_request_key_and_rule(
        ncp_conformance: ClientConformance) -> None:
    cc = ncp_conformance
    cc.check_at_teardown = False  # this test inspects the violations itself
    zero_based = [(k.replace(".1.", ".0."), v) for k, v in PARAMS]
    _stdlib_client(cc.base_url, cc.credentials, urlencode(zero_based).encode(),
                   "application/x-www-form-urlencoded")
    _stdlib_client(cc.base_url, cc.credentials, json.dumps(dict(PARAMS)).encode(),
                   "application/json")
    _requests_client(cc.base_url, Credentials(cc.credentials.access_key, "wrong secret"),
                     PARAMS)
    _requests_client(cc.base_url, cc.credentials, [("serverImageName", "Bad_Name"),
                                                   *PARAMS[1:]])
    found = [(r.request.label, [(v.rule, v.path) for v in r.violations]) for r in cc.reports()]
    assert found[0] == ("request 1", [("REQ-4", "blockStorageList.0.order"),
                                      ("REQ-4", "blockStorageList.0.snapshotInstanceNo")])
    assert found[1] == ("request 2", [("REQ-2", "Content-Type")])
    assert found[2] == ("request 3", [("REQ-5", "x-ncp-apigw-signature-v2")])
    assert found[3][0] == "request 4"
    assert {rule for rule, _ in found[3][1]} == {"SEED-R2"}
    with pytest.raises(ContractViolation) as caught:
        cc.assert_conforms()
    message = str(caught.value)
    assert "[REQ-2] request_transport at Content-Type: request 2 (POST" in message
    assert cc.credentials.secret_key not in message
    assert cc.credentials.access_key not in message


def test_requests_to_other_actions_are_recorded_but_not_judged(
        ncp_conformance_requests: ClientConformance) -> None:
    cc = ncp_conformance_requests
    creds = cc.credentials
    url = cc.base_url + "/vserver/v2/getRegionList?responseFormatType=json"
    assert requests.get(url, headers=sign("GET", url, creds), timeout=10).status_code == 200
    assert cc.reports() == []
    assert len(cc.exchanges) == 1
    with pytest.raises(AssertionError, match="sent no request to /vserver/v2/create"):
        cc.assert_conforms()


def test_the_recorded_har_holds_no_key_and_no_signature(tmp_path: Path) -> None:
    cc = ClientConformance()
    with cc.intercept():
        _requests_client(cc.base_url, cc.credentials, PARAMS)
    text = cc.save_har(tmp_path / "client.har").read_text(encoding="utf-8")
    signature = dict(cc.exchanges[0].request_headers)["x-ncp-apigw-signature-v2"]
    assert "createServerImageFromSnapshot" in text
    for secret in (cc.credentials.access_key, cc.credentials.secret_key, signature):
        assert secret not in text


def test_the_fixture_fails_a_test_whose_client_breaks_the_contract(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_client="""
        import requests
        from harness.core.signing import sign
        from harness.contract.wire import ACTION_PATH

        def test_bad_client(ncp_conformance):
            url = ncp_conformance.base_url + ACTION_PATH + "?serverImageName=img-1"
            requests.get(url, headers=sign("GET", url, ncp_conformance.credentials), timeout=10)
    """)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_bad_client*",
                                 "*[[]SEED-R4[]]*request 1 (GET*"])
