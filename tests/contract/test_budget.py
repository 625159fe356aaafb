"""The create budget, the covering set, --max-time and --dry-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.contract.account import GIB
from harness.contract.oracle import Outcome, judge
from harness.contract.probe import Probe
from harness.run.covering import COVER_ITEMS, covering_set
from harness.sim import Simulator
from harness.sim.scenario import default_scenario, sample_account
from harness.sim.server import running

ACCOUNT = sample_account()


def shown(probe: Probe) -> set[str]:
    """What a covering probe shows, worked out from the request itself."""
    request = probe.request
    assert request is not None
    storages = request.block_storages
    extra = [s for s in storages if s.order]
    snaps = {s.instance_no: s for s in ACCOUNT.snapshots}
    items = {probe.method, "optional-fields-present" if request.region_code and
             request.description else "optional-fields-absent"}
    items |= {{"xml": "XML-asked", "json": "JSON", None: "XML-by-default"}[
        request.response_format]}
    name = request.server_image_name or ""
    items |= {f"name-{len(name)}-characters"} & {"name-3-characters", "name-30-characters"}
    if request.description and len(request.description.encode()) == 1000 and len(
            request.description) < 1000:
        items.add("description-1000-bytes-multibyte")
    items |= {"base-only"} if not extra else {f"base+{len(extra)}"} & {"base+1", "base+20"}
    if len(storages) == 21:
        items.add("21-entries")
    if any(s.order == 20 for s in storages):
        items.add("order-20")
    for s in storages:
        if s.empty is True:
            items.add("new-storage")
            items |= {"smallest-size"} if s.size_gb == 10 else set()
            items |= {"largest-size"} if s.size_gb == 16380 else set()
        elif s.empty is False:
            items.add("attached-snapshot")
            items |= {"attached-changed-type"} if s.volume_type else set()
            items |= {"attached-changed-size"} if s.size_gb else set()
        elif s.size_gb and s.snapshot_instance_no and (
                s.size_gb * GIB == snaps[s.snapshot_instance_no].size_bytes):
            items.add("size-equal-to-snapshot")
    if {s.volume_type for s in storages if s.empty} >= {"CB1", "CB2", "FB1", "FB2"}:
        items.add("every-volume-type")
    return items


def test_the_covering_set_is_valid_and_covers_everything() -> None:
    covers = covering_set(ACCOUNT)
    assert len(covers) == 3
    for cover in covers:
        assert judge(cover.probe.params, ACCOUNT).outcome is Outcome.ACCEPT
        assert cover.items <= shown(cover.probe), cover.probe.label
    assert set().union(*(c.items for c in covers)) == set(COVER_ITEMS)


def _run(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    creds = default_scenario().credentials
    assert creds is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    env.update(NCLOUD_ACCESS_KEY=creds.access_key, NCLOUD_SECRET_KEY=creds.secret_key,
               NCLOUD_API_GW=url)
    return subprocess.run([sys.executable, "-m", "harness", "run", "--target", "live",
                           "--quiet", "--seed", "4", "--report-dir", str(tmp_path), *args],
                          env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
def test_the_default_budget_buys_its_plan_and_a_run_on_a_correct_service_passes(
        tmp_path: Path) -> None:
    with running(Simulator()) as server:
        result = _run(server.url, tmp_path, "-k", "cover or valid or broken")
        made = server.simulator.images.ever_created
    assert result.returncode == 0, result.stdout[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    plan = summary["budget"]["plan"]
    assert (plan["budget"], plan["cover"], plan["kept"]) == (25, 3, 10)
    assert summary["resources"]["created"] == made == plan["planned"] == 15
    assert summary["counts"].get("skipped_max_creates", 0) == 0  # nothing of the plan cut
    assert summary["budget"]["skipped_tests"] == []
    assert summary["budget"]["not_covered"] == []
    assert summary["rules"]["SEED-R2"]["rejected"] > 0  # every breaker ran
    assert summary["budget"]["source"] == "live default"  # loopback too, said loudly
    assert "budget plan for --max-creates 25: 15 creates planned" in result.stdout
    assert "budget plan: 15 creates planned (covering set 3, generated examples 12)" in (
        result.stdout)
    assert "not in the budget plan" in (tmp_path / "junit-tests.xml").read_text()
    assert summary["verdict"] == "passed"
    assert "PASSED: the contract held" in result.stdout


@pytest.mark.slow
def test_a_budget_too_small_for_its_covering_set_is_incomplete_and_exits_3(
        tmp_path: Path) -> None:
    with running(Simulator()) as server:
        result = _run(server.url, tmp_path, "-k", "cover or valid or SEED-R2",
                      "--max-creates", "2")
        made = server.simulator.images.ever_created
        allowed = _run(server.url, tmp_path / "allowed", "-k", "cover", "--max-creates", "2",
                       "--allow-incomplete")
    assert result.returncode == 3, result.stdout[-3000:]  # incomplete: never read as a pass
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["resources"]["created"] == made == 1  # one covering request; a unit kept
    assert summary["rules"]["SEED-R2"]["rejected"] > 0  # the breakers ran on the kept unit
    assert summary["budget"]["not_covered"]
    assert summary["verdict"] == "incomplete"
    assert any("held back" in why for why in summary["unfinished"])
    assert "INCOMPLETE: no violation in what was sent" in result.stdout
    assert "PASSED" not in result.stdout
    assert allowed.returncode == 0, allowed.stdout[-2000:]  # --allow-incomplete: still not
    assert "INCOMPLETE" in allowed.stdout  # a pass, only exit 0


@pytest.mark.slow
def test_a_service_accepting_invalid_requests_cannot_spend_past_the_ceiling(
        tmp_path: Path) -> None:
    with running(Simulator(fault="ignores-snapshot-rules")) as server:
        result = _run(server.url, tmp_path, "--profile", "ci", "--max-creates", "5",
                      "-k", "broken or valid")
        made = server.simulator.images.ever_created
        left = server.simulator.images.created_count
    assert result.returncode == 1, result.stdout[-2000:]
    assert made == 5  # the valid requests' 4 and one wrongly accepted; shrinking stopped there
    assert left == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {v["rule"] for v in summary["violations"]} == {"SEED-R5"}
    assert summary["budget"]["spent"] == 5
    assert summary["budget"]["skipped_tests"]


def test_dry_run_sends_nothing_and_lists_everything(tmp_path: Path) -> None:
    with running(Simulator()) as server:
        result = _run(server.url, tmp_path, "--dry-run", "-k", "cover or auth or SEED-R2")
        sent = server.simulator.images.created_count
    assert result.returncode == 0, result.stdout[-2000:]
    assert sent == 0
    assert "dry run: " in result.stdout
    assert "GET /vserver/v2/createServerImageFromSnapshot?serverImageName=" in result.stdout
    assert "x-ncp-apigw" not in result.stdout
    assert "PASSED" not in result.stdout
    assert "DRY RUN: nothing was sent" in result.stdout
    tally = result.stdout.strip().splitlines()[-1]  # pytest's: no test passed, each skipped
    assert " skipped" in tally
    assert " passed" not in tally
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "dry-run"
    assert 'class="banner partial"' in (tmp_path / "report.html").read_text()


def test_max_time_stops_sending(tmp_path: Path) -> None:
    with running(Simulator()) as server:
        result = _run(server.url, tmp_path, "--max-time", "0.01", "-k", "valid")
    assert result.returncode == 3, result.stdout[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"].get("sent", 0) < 20
    assert "skipped" in result.stdout
    assert summary["verdict"] == "incomplete"  # time ran out: no violation, not a pass
    assert "INCOMPLETE: no violation in what was sent" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "rule"), [("refuses-fb-snapshots", "SEED-R11"),
                                             ("form-body-ignored", "REQ-2")])
def test_the_default_budget_blames_a_fault_on_its_own_rule(tmp_path: Path, fault: str,
                                                          rule: str) -> None:
    """The plan buys a request standing for every rule, and REQ-2's pair, within 25."""
    with running(Simulator(fault=fault)) as server:
        result = _run(server.url, tmp_path, "-k", "cover or valid or agree")
    assert result.returncode == 1, result.stdout[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert rule in {v["rule"] for v in summary["violations"]}
    assert summary["budget"]["plan"]["budget"] == 25
