"""`ncp-harness check-traffic`: HAR files from any client, the golden Go SDK file, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.checks.traffic import requests_from_har
from harness.cli.commands import main
from harness.contract.wire import ACTION_PATH
from harness.core.errors import CassetteError
from tests.golden import GOLDEN, build

DEFAULT_SCENARIO = str(Path(__file__).parents[2] / "harness" / "scenarios" / "default.toml")


def _golden() -> dict[str, object]:
    data: dict[str, object] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "traffic.har"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_the_golden_go_sdk_file_is_what_its_builder_makes() -> None:
    assert GOLDEN.read_text(encoding="utf-8") == build(), "python -m tests.golden --write"


def test_the_golden_go_sdk_traffic_keeps_the_contract(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check-traffic", str(GOLDEN), "--scenario", DEFAULT_SCENARIO])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count(": conforms") == 2
    assert "2 request(s) to /vserver/v2/createServerImageFromSnapshot checked, 0 break" in out
    assert "3 answer(s) judged, 0 break it; 0 other entries skipped" in out
    assert out.count("keeps the contract") == 3
    assert "x-ncp-apigw-signature-v1, the Go SDK's name" in out
    assert "not verified" not in out  # the scenario's key pair verified both signatures
    assert "ncp-harness-simulator-secret-key" not in out


def test_a_tampered_go_sdk_request_is_caught_with_its_rule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _golden()
    entries = document["log"]["entries"]  # type: ignore[index]
    request = entries[1]["request"]
    request["postData"]["text"] = request["postData"]["text"].replace(
        "blockStorageList.1.", "blockStorageList.0.")  # zero-based, after signing: body unsigned
    entries[2]["request"]["headers"] = [h for h in entries[2]["request"]["headers"]
                                        if h["name"] != "x-ncp-apigw-signature-v1"]
    code = main(["check-traffic", _write(tmp_path, document), "--scenario", DEFAULT_SCENARIO,
                 "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["checked"] == 2
    assert report["violating"] == 2
    first, second = report["requests"]
    assert ("REQ-4", "blockStorageList.0.order") in {(v["rule"], v["path"])
                                                      for v in first["violations"]}
    assert [(v["rule"], v["path"]) for v in second["violations"]] == [
        ("REQ-5", "x-ncp-apigw-signature-v2")]
    assert "entry 1" in first["request"]


def test_a_body_rebuilt_from_post_params_is_checked(tmp_path: Path) -> None:
    document = _golden()
    entry = document["log"]["entries"][1]  # type: ignore[index]
    text = entry["request"]["postData"].pop("text")
    entry["request"]["postData"]["params"] = [
        {"name": k, "value": v} for k, _, v in (pair.partition("=") for pair in text.split("&"))]
    found, skipped = requests_from_har(json.dumps(document), "x.har")
    assert len(found) == 2
    assert len(skipped) == 1
    assert found[0].body.decode() == text
    assert found[0].sent_ms == 1795770001000


@pytest.mark.parametrize(("text", "place"), [
    ("", ""),
    ("{", "line 1 column 2"),
    ('{"log": {"entries": [{"request": {"method": "POST"}}]}}', "log.entries[0].request"),
], ids=["empty", "not-json", "no-url"])
def test_a_file_that_is_not_har_names_the_place(text: str, place: str) -> None:
    with pytest.raises(CassetteError) as caught:
        requests_from_har(text, "bad.har")
    assert caught.value.place == place
    assert str(caught.value).startswith("HAR file bad.har")


def test_a_file_without_the_action_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _golden()
    document["log"]["entries"] = document["log"]["entries"][:1]  # type: ignore[index]
    assert main(["check-traffic", _write(tmp_path, document)]) == 2
    err = capsys.readouterr().err
    assert f"holds no request to {ACTION_PATH}: all 1 of its entries go to other URLs" in err


def test_a_missing_file_is_a_usage_error(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-traffic", str(tmp_path / "nope.har")]) == 2
    assert "cannot read the HAR file" in capsys.readouterr().err


def _answer(document: dict[str, object], index: int) -> dict[str, object]:
    entry = document["log"]["entries"][index]  # type: ignore[index]
    response: dict[str, object] = entry["response"]
    return response


def _edit_body(document: dict[str, object], index: int, edit: object) -> None:
    content = _answer(document, index)["content"]
    data = json.loads(content["text"])  # type: ignore[index]
    edit(data)  # type: ignore[operator]
    content["text"] = json.dumps(data)  # type: ignore[index]


def _check(tmp_path: Path, document: object,
           capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["check-traffic", _write(tmp_path, document), "--scenario", DEFAULT_SCENARIO,
                 "--format", "json"])
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return code, report


def _image(data: dict[str, object]) -> dict[str, object]:
    image: dict[str, object] = data["createServerImageFromSnapshotResponse"][  # type: ignore[index]
        "serverImageList"][0]
    return image


def test_an_answer_that_does_not_echo_its_request_is_a_violation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _golden()
    _edit_body(document, 2, lambda d: _image(d).__setitem__("serverImageName", "someone-else"))
    code, report = _check(tmp_path, document, capsys)
    assert code == 1
    assert (report["violating"], report["answers_violating"]) == (0, 1)
    bad = [r for r in report["responses"] if not r["keeps_contract"]]  # type: ignore[attr-defined]
    assert [(v["rule"], v["check"]) for v in bad[0]["violations"]] == [("SEED-S3", "echo")]
    assert "entry 2" in bad[0]["request"]


def test_an_optional_field_left_out_is_a_finding_not_a_violation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _golden()

    def drop(data: dict[str, object]) -> None:
        for mapping in _image(data)["blockStorageMappingList"]:  # type: ignore[attr-defined]
            del mapping["iops"], mapping["throughput"]
    _edit_body(document, 1, drop)
    code, report = _check(tmp_path, document, capsys)
    assert code == 0
    answer = report["responses"][1]  # type: ignore[index]
    assert answer["keeps_contract"]
    assert [f["cases"] for f in answer["findings"]] == [["REF-mapping-iops"]]


def test_a_hiccup_is_counted_not_judged(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    document = _golden()
    response = _answer(document, 0)
    response["status"] = 500
    response["content"] = {"mimeType": "application/json", "text": json.dumps(
        {"responseError": {"returnCode": "1000",
                           "returnMessage": "Please try your call again later."}}, indent=4)}
    code, report = _check(tmp_path, document, capsys)
    assert code == 0
    assert report["service_hiccups"] == 1
    assert report["responses"][0]["transient"]  # type: ignore[index]


def test_a_neighbour_answer_is_held_to_the_reference(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _golden()
    _edit_body(document, 0, lambda d: d["getBlockStorageSnapshotInstanceListResponse"][
        "blockStorageSnapshotInstanceList"][0].pop("blockStorageSnapshotVolumeSize"))
    code, report = _check(tmp_path, document, capsys)
    assert code == 1
    first = report["responses"][0]  # type: ignore[index]
    assert first["action"] == "getBlockStorageSnapshotInstanceList"
    assert [v["path"] for v in first["violations"]] == ["getBlockStorageSnapshotInstance"
                                                        "ListResponse.blockStorageSnapshot"
                                                        "InstanceList[0]"]


def test_an_error_answer_to_a_clients_neighbour_call_is_no_violation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _golden()
    response = _answer(document, 0)
    response["status"] = 400
    response["content"] = {"mimeType": "application/json", "text": json.dumps(
        {"responseError": {"returnCode": "24001", "returnMessage": "Invalid parameter."}})}
    code, report = _check(tmp_path, document, capsys)
    assert code == 0
    assert report["responses"][0]["keeps_contract"]  # type: ignore[index]


def test_the_harness_s_own_recording_conforms_though_its_signatures_are_redacted(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A redacted signature cannot be verified: a finding, never a violation (exit 0)."""
    cassette = Path(__file__).parents[2] / "harness" / "cassettes" / "simulator"
    har = next(cassette.glob("test_valid_request_is_accepted*.har"))
    assert main(["check-traffic", str(har), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checked"] > 0
    assert report["violating"] == 0
    assert all(f["cases"] == ["REQ-5"] and "redacted" in f["message"]
               for r in report["requests"] for f in r["findings"] if "REQ-5" in f["cases"])


def _bodies_left_out(document: dict[str, object]) -> None:
    for entry in document["log"]["entries"]:  # type: ignore[index]
        entry["response"]["content"] = {"size": 0, "mimeType": "application/json"}


def test_answers_without_their_bodies_are_not_captured_not_violations(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """HAR 1.2 leaves content.text out when the body is not available: status judged only."""
    document = _golden()
    _bodies_left_out(document)
    code, report = _check(tmp_path, document, capsys)
    assert code == 0, report
    assert report["answers_not_captured"] == 3
    for answer in report["responses"]:  # type: ignore[attr-defined]
        assert answer["keeps_contract"]
        assert answer["body_captured"] is False
        assert ["TRAFFIC-not-captured"] in [f["cases"] for f in answer["findings"]]


@pytest.mark.parametrize(("status", "judged"), [
    (502, "not_a_server_error"), (400, "status_agrees_with_oracle"), (500, None), (403, None),
    (429, None)])
def test_a_status_alone_is_still_judged_for_what_it_proves(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], status: int,
        judged: str | None) -> None:
    document = _golden()
    _bodies_left_out(document)
    _answer(document, 2)["status"] = status  # a valid create's answer
    code, report = _check(tmp_path, document, capsys)
    answer = report["responses"][2]  # type: ignore[index]
    assert [v["check"] for v in answer["violations"]] == ([judged] if judged else [])
    assert code == (1 if judged else 0)
    assert answer["transient"] is (status == 429)


@pytest.mark.parametrize("marker", ["[Filtered]", "REDACTED", "***", "[REDACTED]", "",
                                    "<hidden>", "********"])
def test_the_redaction_markers_of_common_tools_leave_the_signature_unverified(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], marker: str) -> None:
    document = _golden()
    for entry in document["log"]["entries"]:  # type: ignore[index]
        for header in entry["request"]["headers"]:
            if header["name"].lower().startswith(("x-ncp-apigw-signature", "x-ncp-iam")):
                header["value"] = marker
    code, report = _check(tmp_path, document, capsys)
    assert code == 0, report
    assert report["violating"] == 0
    for request in report["requests"]:  # type: ignore[attr-defined]
        assert any(f["cases"] == ["REQ-5"] and "not verified" in f["message"]
                   for f in request["findings"])


def test_without_a_scenario_a_refused_request_that_looks_valid_is_a_finding(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Its validity rests on the account (snapshots, sizes): the capture does not show it."""
    document = _golden()
    response = _answer(document, 2)
    response["status"] = 400
    response["content"] = {"mimeType": "application/json", "text": json.dumps(
        {"responseError": {"returnCode": "24001", "returnMessage": "not bootable"}})}
    path = _write(tmp_path, document)
    assert main(["check-traffic", path, "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)["responses"][2]
    assert answer["keeps_contract"]
    assert ["TRAFFIC-account-unknown"] in [f["cases"] for f in answer["findings"]]
    assert main(["check-traffic", path, "--scenario", DEFAULT_SCENARIO, "--format", "json"]) == 1
    judged = json.loads(capsys.readouterr().out)["responses"][2]
    assert [v["check"] for v in judged["violations"]] == ["status_agrees_with_oracle"]
