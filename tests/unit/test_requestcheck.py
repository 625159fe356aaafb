"""The client-side check: each kind of violation caught, findings kept apart, no secret shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.checks.request import ClientRequest, RequestReport, assumed_account, check_request
from harness.contract.wire import ACTION_PATH, decode_request, encode, go_sdk_form_body
from harness.core.errors import Violation
from harness.core.signing import SIGNATURE_V1, SIGNATURE_V2, Credentials, sign
from harness.sim.scenario import sample_account
from harness.strategies.valid import valid_request

ACCOUNT = sample_account()
CREDS = Credentials("client-access-key", "client-secret-key-do-not-show")
KEYS = {CREDS.access_key: CREDS.secret_key}
URL = "https://ncloud.apigw.ntruss.com" + ACTION_PATH
FORM = ("Content-Type", "application/x-www-form-urlencoded")
GOOD = ("serverImageName=img-1&blockStorageList.1.order=0"
        "&blockStorageList.1.snapshotInstanceNo=1000001")
NOW = 1_790_000_000_000


def _signed(method: str, url: str, *, header: str = SIGNATURE_V2, stamp: int = NOW,
            extra: tuple[tuple[str, str], ...] = ()) -> tuple[tuple[str, str], ...]:
    headers = sign(method, url, CREDS, timestamp_ms=stamp, header=header)
    return (*headers.items(), *extra)


def _get(query: str) -> ClientRequest:
    url = f"{URL}?{query}"
    return ClientRequest("GET", url, _signed("GET", url), sent_ms=NOW, label="request 1")


def _post(body: str | bytes, *, content_type: tuple[str, str] | None = FORM,
          header: str = SIGNATURE_V2) -> ClientRequest:
    raw = body.encode() if isinstance(body, str) else body
    extra = (content_type,) if content_type else ()
    return ClientRequest("POST", URL, _signed("POST", URL, header=header, extra=extra), raw,
                         sent_ms=NOW, label="request 1")


def _check(request: ClientRequest) -> RequestReport:
    return check_request(request, ACCOUNT, secret_for=KEYS)


def _rules(violations: tuple[Violation, ...]) -> list[tuple[str | None, str]]:
    return [(v.rule, v.path) for v in violations]


def test_a_get_and_a_go_sdk_post_of_a_valid_request_conform() -> None:
    assert _check(_get(GOOD)).violations == ()
    go = _check(_post(go_sdk_form_body(decode_request(GOOD)), header=SIGNATURE_V1))
    assert go.violations == ()
    assert [(f.cases[0], f.path) for f in go.findings] == [("REQ-5", SIGNATURE_V1)]


@pytest.mark.parametrize(("request_", "expected"), [
    (ClientRequest("PUT", URL, _signed("PUT", URL, extra=(FORM,)), GOOD.encode(), NOW),
     [("REQ-1", "method")]),
    (ClientRequest("GET", URL.replace("/v2/", "/v1/") + "?" + GOOD,
                   _signed("GET", URL.replace("/v2/", "/v1/") + "?" + GOOD), b"", NOW),
     [("REQ-1", "path")]),
], ids=["put", "wrong-path"])
def test_method_and_path_are_req_1(request_: ClientRequest,
                                   expected: list[tuple[str, str]]) -> None:
    assert _rules(_check(request_).violations) == expected


def test_a_get_with_a_body_loses_it_req_2() -> None:
    request = ClientRequest("GET", f"{URL}?{GOOD}", _signed("GET", f"{URL}?{GOOD}"),
                            b"serverImageDescription=lost", NOW)
    assert _rules(_check(request).violations) == [("REQ-2", "body")]


@pytest.mark.parametrize("content_type", [("Content-Type", "application/json"), None],
                         ids=["json", "missing"])
def test_a_post_body_that_is_not_a_form_is_req_2(content_type: tuple[str, str] | None) -> None:
    report = _check(_post('{"serverImageName": "img-1"}', content_type=content_type))
    assert _rules(report.violations) == [("REQ-2", "Content-Type")]
    assert report.verdict is None  # the parameters cannot be read, so the oracle is not asked


@pytest.mark.parametrize(("body", "key"), [
    (GOOD + "&serverImageDescription=two words", "serverImageDescription"),
    (GOOD + "&serverImageDescription=caf\u00e9", "serverImageDescription"),
    (GOOD + "&serverImageDescription=100%", "serverImageDescription"),
    (GOOD + "&serverImageDescription=%C3%28", "serverImageDescription"),
], ids=["raw-space", "raw-non-ascii", "lone-percent", "not-utf8"])
def test_bad_percent_encoding_is_req_3(body: str, key: str) -> None:
    report = _check(_post(body.encode("utf-8")))
    assert ("REQ-3", key) in _rules(report.violations)


@pytest.mark.parametrize(("wire", "key"), [
    ("serverImageName=img-1&blockStorageList.0.order=0"
     "&blockStorageList.0.snapshotInstanceNo=1000001", "blockStorageList.0.order"),
    ("serverImageName=img-1&blockStorageList%5B0%5D.order=0"
     "&blockStorageList%5B0%5D.snapshotInstanceNo=1000001", "blockStorageList[0].order"),
    ("serverImageName=img-1&blockStorageList.1.order=0&blockStorageList.1.snapshotInstanceNo="
     "1000001&blockStorageList.3.order=1&blockStorageList.3.snapshotInstanceNo=1000002",
     "blockStorageList.N"),
], ids=["zero-based", "brackets", "gap"])
def test_list_keys_not_flattened_the_sdk_way_are_req_4(wire: str, key: str) -> None:
    report = _check(_get(wire))
    assert ("REQ-4", key) in _rules(report.violations)


@pytest.mark.parametrize(("wire", "said"), [
    ("serverImageName=img-1&blockStorageList.0.order=0&blockStorageList.0.snapshotInstanceNo="
     "1000001&blockStorageList.2.order=1&blockStorageList.2.snapshotInstanceNo=1000002",
     "the list indexes are ['0', '2']; number the 2 entries 1 to 2 with no gap"),
    ("serverImageName=img-1&blockStorageList.1.order=0&blockStorageList.1.snapshotInstanceNo="
     "1000001&blockStorageList.3.order=1&blockStorageList.3.snapshotInstanceNo=1000002",
     "the list indexes are ['1', '3']; number the 2 entries 1 to 2 with no gap"),
])
def test_a_gap_says_how_many_entries_to_number(wire: str, said: str) -> None:
    gap = [v for v in _check(_get(wire)).violations if v.path == "blockStorageList.N"]
    assert [v.message.split(": ", 1)[1] for v in gap] == [said]


def test_signature_problems_are_req_5() -> None:
    missing = ClientRequest("GET", f"{URL}?{GOOD}", (), b"", NOW)
    assert _rules(_check(missing).violations) == [("REQ-5", "x-ncp-apigw-timestamp")]
    stale = ClientRequest("GET", f"{URL}?{GOOD}", _signed("GET", f"{URL}?{GOOD}",
                                                           stamp=NOW - 6 * 60 * 1000), b"", NOW)
    assert _rules(_check(stale).violations) == [("REQ-5", "x-ncp-apigw-timestamp")]
    # Signed one encoding of the query, sent another: the classic 401 (ncp-api.md section 2).
    signed_for = f"{URL}?serverImageName=img-1&blockStorageList.1.order=0"
    wrong = ClientRequest("GET", f"{URL}?{GOOD}", _signed("GET", signed_for), b"", NOW)
    assert _rules(_check(wrong).violations) == [("REQ-5", SIGNATURE_V2)]


def test_a_signature_is_only_a_finding_when_no_secret_is_known() -> None:
    report = check_request(_get(GOOD), ACCOUNT)
    assert report.violations == ()
    assert [(f.cases[0], f.path) for f in report.findings] == [("REQ-5", "x-ncp-iam-access-key")]


def test_what_the_oracle_rejects_is_a_violation_with_the_seed_rule() -> None:
    report = _check(_get("serverImageName=Img&blockStorageList.1.order=0"))
    assert {v.rule for v in report.violations} >= {"SEED-R2", "SEED-R5"}
    assert all(v.check == "request_valid" for v in report.violations)


def test_what_the_seed_leaves_open_is_a_finding_not_a_violation() -> None:
    report = _check(_get(GOOD + "&blockStorageList.2.order=1&blockStorageList.2"
                                ".blockStorageSize=10&blockStorageList.2"
                                ".blockStorageVolumeTypeCode=CB1&blockStorageList.2"
                                ".emptyBlockStorage=True"))
    assert report.violations == ()
    assert [f.cases[0] for f in report.findings] == ["UH2"]


def test_without_an_account_the_requests_own_snapshots_are_assumed_to_exist() -> None:
    unknown = GOOD.replace("1000001", "987654321")
    assert {v.rule for v in _check(_get(unknown)).violations} == {"SEED-R5"}
    assert check_request(_get(unknown), assumed_account, secret_for=KEYS).violations == ()


@given(st.data())
def test_every_valid_request_our_codec_sends_conforms(data: st.DataObject) -> None:
    request = data.draw(valid_request(ACCOUNT))
    wire = encode(request)
    method = data.draw(st.sampled_from(["GET", "POST"]))
    url = f"{URL}?{wire}" if method == "GET" else URL
    body = b"" if method == "GET" else wire.encode()
    sent = ClientRequest(method, url, _signed(method, url, extra=(FORM,) if body else ()),
                         body, NOW)
    report = _check(sent)
    assert report.violations == (), report.lines()


@given(st.sampled_from([_get("blockStorageList.0.order=0"), _post("{}", content_type=None),
                        ClientRequest("DELETE", URL, _signed("DELETE", URL), b"", NOW)]))
def test_no_report_line_quotes_a_key_or_a_signature(request: ClientRequest) -> None:
    report = _check(request)
    text = "\n".join([*report.lines(), *(repr(v) for v in report.violations)])
    signature = dict(request.headers).get(SIGNATURE_V2, "")
    for secret in (CREDS.access_key, CREDS.secret_key, signature):
        assert not secret or secret not in text


def test_a_post_is_judged_on_its_query_and_body_together() -> None:
    # ncloud-vserver puts responseFormatType in the query and the rest in the form body.
    url = f"{URL}?responseFormatType=json"
    sent = ClientRequest("POST", url, _signed("POST", url, extra=(FORM,)),
                         b"blockStorageList.1.order=0&blockStorageList.1.snapshotInstanceNo=1000001",
                         NOW)
    report = _check(sent)
    assert _rules(report.violations) == [("SEED-R2", "serverImageName")]
    sent = ClientRequest("POST", f"{url}&serverImageName=img-1", _signed(
        "POST", f"{url}&serverImageName=img-1", extra=(FORM,)), sent.body, NOW)
    assert _check(sent).violations == ()


@pytest.mark.parametrize("redacted", ["x-ncp-apigw-timestamp", SIGNATURE_V2])
def test_a_signature_redacted_by_a_recording_is_not_verified_not_violated(redacted: str) -> None:
    """The harness's own cassettes and schemathesis HAR reports redact what signs a request."""
    url = f"{URL}?{GOOD}"
    headers = tuple((k, "REDACTED" if k == redacted else v) for k, v in _signed("GET", url))
    report = _check(ClientRequest("GET", url, headers, b"", NOW))
    assert report.violations == ()
    assert [(f.cases, f.path) for f in report.findings] == [(("REQ-5",), redacted)]
    assert "not verified" in report.findings[0].message
    spoiled = tuple((k, "x" if k == redacted else v) for k, v in _signed("GET", url))
    assert _rules(_check(ClientRequest("GET", url, spoiled, b"", NOW)).violations)
