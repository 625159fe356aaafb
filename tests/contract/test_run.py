"""`ncp-harness run` end to end: exit codes, junit.xml, summary.json, markers, live over HTTP."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.contract.oracle import Outcome, Verdict
from harness.sim import Simulator
from harness.sim.actions import ACTIONS
from harness.sim.render import gateway_error
from harness.sim.scenario import default_scenario
from harness.sim.server import running

CREDS = default_scenario().credentials
assert CREDS is not None


def run(*args: str, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    return subprocess.run([sys.executable, "-m", "harness", "run", "--quiet", *args],
                          capture_output=True, text=True, timeout=600, check=False,
                          env={**base, **(env or {})}, cwd=cwd)


def junit_names(report: Path) -> list[str]:
    tree = ET.parse(report / "junit-tests.xml")  # noqa: S314 - our own file
    return [case.get("name", "") for case in tree.iter("testcase")]


@pytest.mark.slow
def test_a_clean_simulator_passes_and_writes_reports(tmp_path: Path) -> None:
    result = run("--seed", "11", "-k", "SEED-R2 or auth or name", "--report-dir",
                 str(tmp_path))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "PASSED: the contract held" in result.stdout
    assert "seed 11" in result.stdout
    names = junit_names(tmp_path)
    assert "test_broken_rule_is_rejected[SEED-R2]" in names
    assert "test_auth_failure_gets_401[stale]" in names
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["schema_version"] == 2
    assert summary["verdict"] == "passed"
    assert summary["run"]["seed"] == 11
    assert summary["run"]["target"] == "simulator"
    assert summary["rules"]["SEED-R2"]["sent"] > 0
    assert summary["resources"]["leaked"] == 0
    assert summary["resources"]["created"] == summary["resources"]["deleted"] > 0


@pytest.mark.slow
def test_markers_select_one_rule(tmp_path: Path) -> None:
    result = run("--seed", "1", "-m", "seed_r4", "--report-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout[-2000:]
    names = junit_names(tmp_path)
    assert names
    assert all("SEED-R4" in n or "order" in n or "base-only" in n or "mixed" in n
               or "covering" in n for n in names), names
    assert "test_broken_rule_is_rejected[SEED-R4]" in names


def test_an_unreachable_live_target_is_one_line_and_exit_2_before_pytest_starts(
        tmp_path: Path) -> None:
    with running() as server:
        url = server.url
    result = run("--target", "live", "--report-dir", str(tmp_path),
                 env={"NCLOUD_ACCESS_KEY": "a", "NCLOUD_SECRET_KEY": "b", "NCLOUD_API_GW": url})
    assert result.returncode == 2
    assert result.stdout == ""  # no pytest header
    assert result.stderr.strip().splitlines() == [
        f"ncp-harness: error: cannot reach {url} (ConnectionError); is the target running"
        " and NCLOUD_API_GW right?"]
    assert not (tmp_path / "junit-tests.xml").exists()


def test_keys_the_endpoint_refuses_are_said_before_pytest_starts_without_the_keys(
        tmp_path: Path) -> None:
    with running() as server:
        result = run("--target", "live", "--report-dir", str(tmp_path),
                     env={"NCLOUD_ACCESS_KEY": "AKwrongwrongwrong",
                          "NCLOUD_SECRET_KEY": "SKwrongwrongwrong", "NCLOUD_API_GW": server.url})
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"ncp-harness: error: getRegionList on {server.url} answered 401")
    assert "(check the keys)" in line
    assert "wrongwrong" not in line


def test_a_target_that_fails_once_pytest_has_started_is_exit_2_and_keeps_the_reports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The up-front getRegionList read passes; listing the volume types does not."""
    monkeypatch.setitem(ACTIONS, "getBlockStorageVolumeTypeList",
                        lambda ctx: gateway_error(403, "this key may not list volume types"))
    (tmp_path / "junit-tests.xml").write_text("<kept/>")
    with running() as server:
        result = run("--target", "live", "--report-dir", str(tmp_path),
                     env=_live_env(server.url))
        as_json = run("--target", "live", "--report-dir", str(tmp_path), "--format", "json",
                      env=_live_env(server.url))
    says = (f"ncp-harness: error: getBlockStorageVolumeTypeList on {server.url} answered 403:"
            " Forbidden (check the keys)")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == says  # the last word, in one line
    assert (tmp_path / "junit-tests.xml").read_text() == "<kept/>"  # not an empty file
    assert not (tmp_path / "summary.json").exists()
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout) == {"error": says.removeprefix("ncp-harness: error: "),
                                          "exit": 2}


def _live_env(url: str) -> dict[str, str]:
    assert CREDS is not None
    return {"NCLOUD_ACCESS_KEY": CREDS.access_key, "NCLOUD_SECRET_KEY": CREDS.secret_key,
            "NCLOUD_API_GW": url}


@pytest.mark.slow
def test_live_target_against_serve_passes_with_signatures_checked(tmp_path: Path) -> None:
    with running() as server:
        result = run("--target", "live", "--seed", "5", "--report-dir", str(tmp_path),
                     env=_live_env(server.url))
        assert server.simulator.scenario.verify_signatures
    assert result.returncode == 0, result.stdout[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["run"]["endpoint"] == server.url
    assert summary["counts"]["sent"] > 500
    assert summary["resources"]["created"] <= 25  # the live default --max-creates
    assert CREDS is not None
    for secret in (CREDS.access_key, CREDS.secret_key):
        assert secret not in (tmp_path / "summary.json").read_text()
        assert secret not in (tmp_path / "junit.xml").read_text()
        assert secret not in (tmp_path / "junit-tests.xml").read_text()
        assert secret not in (tmp_path / "report.html").read_text()
        assert secret not in result.stdout


@pytest.mark.slow
def test_a_violation_exits_1_and_is_reported(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.sim.actions.judge",
                        lambda params, account: Verdict(Outcome.ACCEPT))
    with running(Simulator()) as server:
        result = run("--target", "live", "--seed", "5", "-k", "SEED-R3", "--report-dir",
                     str(tmp_path), env=_live_env(server.url))
    assert result.returncode == 1, result.stdout[-3000:]
    assert "[SEED-R3] status_agrees_with_oracle" in result.stdout
    assert "reproduce:" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "failed"
    assert [v["rule"] for v in summary["violations"]] == ["SEED-R3"]
    assert summary["violations"][0]["reproduction"][0].startswith("ncp-harness send")
    # The images the faulty service created for invalid requests are the run's to delete.
    assert summary["resources"]["created"] > 0
    assert summary["resources"]["leaked"] == 0


def test_a_run_started_inside_an_xdist_worker_is_a_run_of_its_own(tmp_path: Path) -> None:
    """A CI job under pytest-xdist that calls `ncp-harness run` still gets its summary."""
    inherited = {"PYTEST_XDIST_WORKER": "gw1", "PYTEST_XDIST_WORKER_COUNT": "2",
                 "PYTEST_XDIST_TESTRUNUID": "someone-elses-run"}
    result = run("--seed", "3", "-k", "SEED-R3", "--report-dir", str(tmp_path), env=inherited)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"]["sent"] > 0


@pytest.mark.parametrize("where", ["a-file", "a-file/below-it"])
def test_a_report_dir_that_cannot_be_written_stops_the_run_before_it_starts(
        tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    result = run("--report-dir", str(tmp_path / where))
    assert result.returncode == 2
    assert result.stderr.startswith("ncp-harness: error: --report-dir ")
    assert result.stdout == ""  # nothing ran: no pytest header, no test


def test_a_run_against_a_faulty_simulator_records_the_fault_and_its_reproduction_carries_it(
        tmp_path: Path) -> None:
    result = run("--fault", "ignores-description-bytes", "--seed", "5", "-k", "SEED-R3",
                 "--report-dir", str(tmp_path))
    assert result.returncode == 1, result.stdout[-2000:]
    assert "FAULT ignores-description-bytes" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["run"]["fault"] == "ignores-description-bytes"
    assert "fault ignores-description-bytes" in (tmp_path / "report.html").read_text()
    (failure,) = [v for v in summary["violations"] if v["rule"] == "SEED-R3"][:1]
    command, _, note = failure["reproduction"]
    assert "--fault ignores-description-bytes" in command
    assert "ncp-harness serve --port 8080 --fault ignores-description-bytes" in note
    argv = shlex.split(command)[1:]  # after "ncp-harness"
    again = subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True,
                           text=True, timeout=120, check=False)
    assert again.returncode == 1, again.stdout  # the same bug, seen again
    clean = [a for i, a in enumerate(argv)
             if a != "--fault" and (i == 0 or argv[i - 1] != "--fault")]
    fixed = subprocess.run([sys.executable, "-m", "harness", *clean], capture_output=True,
                           text=True, timeout=120, check=False)
    assert fixed.returncode == 0, fixed.stdout  # a faithful simulator refuses it


@pytest.mark.parametrize(("args", "env", "says"), [
    (("--target", "live"), {}, "--target live needs NCLOUD_ACCESS_KEY"),
    (("--target", "live", "--scenario", "x.toml"), {"NCLOUD_ACCESS_KEY": "a",
                                                     "NCLOUD_SECRET_KEY": "b"},
     "--scenario applies to --target simulator only"),
    (("--scenario", "/nonexistent/scenario.toml"), {}, "--scenario /nonexistent/scenario.toml"),
    (("--target", "live"), {"NCLOUD_ACCESS_KEY": "a", "NCLOUD_SECRET_KEY": "b",
                            "NCLOUD_API_GW": "https://gateway.example.invalid"}, "pass --yes"),
    (("--target", "fixtures", "--cassette", "/nonexistent/run"), {},
     "--cassette /nonexistent/run: no such directory"),
], ids=["no-keys", "scenario-on-live", "no-scenario-file", "no-consent", "no-cassette"])
def test_a_configuration_mistake_is_one_line_and_exit_2_before_pytest_starts(
        tmp_path: Path, args: tuple[str, ...], env: dict[str, str], says: str) -> None:
    (tmp_path / "junit-tests.xml").write_text("<kept/>")
    result = run(*args, "--report-dir", str(tmp_path), env=env)
    assert result.returncode == 2
    assert result.stdout == ""  # no pytest header, no test
    assert result.stderr.startswith("ncp-harness: error: ")
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "junit-tests.xml").read_text() == "<kept/>"  # not overwritten
    as_json = run(*args, "--report-dir", str(tmp_path), "--format", "json", env=env)
    assert as_json.returncode == 2
    error = json.loads(as_json.stdout)
    assert says in error["error"]
    assert error["exit"] == 2
