"""`schemathesis run` with this project's hooks and config, against the loopback simulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.contract.oracle import Outcome, Verdict
from harness.sim import Simulator
from harness.sim.scenario import default_scenario
from harness.sim.server import running

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
CREDS = default_scenario().credentials


def schemathesis_run(url: str, report_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCLOUD_")}
    env["SCHEMATHESIS_HOOKS"] = "harness.schemathesis_hooks"
    return subprocess.run(
        [SCHEMATHESIS, "--config-file", str(ROOT / "openapi" / "schemathesis.toml"), "run",
         str(ROOT / "openapi" / "ncp-vserver-v2.yaml"), "--url", url, "--max-examples", "10",
         "--include-path-regex", "createServerImageFromSnapshot|getRegionList",
         "--report", "har", "--report-dir", str(report_dir), "--seed", "1"],
        capture_output=True, text=True, timeout=600, check=False, env=env, cwd=ROOT)


@pytest.mark.slow
def test_a_clean_simulator_passes_and_no_secret_is_reported(tmp_path: Path) -> None:
    with running() as server:
        result = schemathesis_run(server.url, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    (har,) = tmp_path.glob("har-*.json")
    entries = json.loads(har.read_text())["log"]["entries"]
    assert entries
    signed = [h for e in entries for h in e["request"]["headers"]
              if h["name"].lower().startswith("x-ncp-")]
    assert signed
    assert {h["value"] for h in signed} == {"[Filtered]"}
    assert CREDS is not None
    for secret in (CREDS.access_key, CREDS.secret_key):
        assert secret not in har.read_text()
        assert secret not in result.stdout
    statuses = {e["response"]["status"] for e in entries}
    assert 200 in statuses
    assert 401 not in statuses  # every request was signed as it went out


@pytest.mark.slow
def test_a_service_that_accepts_everything_fails_ncp_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("harness.sim.actions.judge",
                        lambda params, account: Verdict(Outcome.ACCEPT))
    with running(Simulator()) as server:
        result = schemathesis_run(server.url, tmp_path)
    assert result.returncode != 0
    assert "ncp_contract" in result.stdout
    assert "status_agrees_with_oracle" in result.stdout


def test_the_xml_deserializer_gives_the_root_elements_content() -> None:
    code = (
        "import harness.schemathesis_hooks as h\n"
        "class R: content = b'<getRegionListResponse><requestId>x</requestId>"
        "<totalRows>1</totalRows><regionList><region><regionCode>KR</regionCode></region>"
        "</regionList></getRegionListResponse>'\n"
        "class O: path = '/vserver/v2/getRegionList'\n"
        "class C: operation = O()\n"
        "print(h.deserialize_xml(C(), R()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == ("{'requestId': 'x', 'totalRows': 1, 'regionList':"
                           " [{'regionCode': 'KR'}]}")
