"""`ncp-harness check-traffic`: HAR files from any client, the golden Go SDK file, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import CassetteError
from harness.traffic import requests_from_har
from harness.wire import ACTION_PATH
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
    assert "1 other entry skipped" in out
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
    assert ("REQ-4", "blockStorageList.0.order") in {(v["rule"], v["key"])
                                                      for v in first["violations"]}
    assert [(v["rule"], v["key"]) for v in second["violations"]] == [
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
