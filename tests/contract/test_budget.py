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
@pytest.mark.parametrize(("budget", "created"), [(None, 20), (2, 2)])
def test_a_live_run_creates_no_more_than_its_budget(tmp_path: Path, budget: int | None,
                                                    created: int) -> None:
    extra = ("--max-creates", str(budget)) if budget is not None else ()
    with running(Simulator()) as server:
        result = _run(server.url, tmp_path, "-k", "cover or valid or broken", *extra)
        made = server.simulator.images.ever_created
    assert result.returncode == 0, result.stdout[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["resources"]["created"] == made == created
    assert summary["counts"]["skipped_max_creates"] > 0
    skipped = summary["budget"]["skipped_tests"]
    assert skipped
    assert all("valid" in t or "broken" in t or "cover" in t for t in skipped)
    junit = (tmp_path / "junit-tests.xml").read_text()
    assert junit.count("budget spent") >= len(skipped)
    if budget is None:  # 25, of which 5 are kept for invalid requests: these still run
        assert summary["budget"]["reserve"] == 5
        assert summary["rules"]["SEED-R2"]["rejected"] > 0
        assert summary["budget"]["source"] == "live default"  # loopback too, said loudly
        assert "the live default create budget (25) applied" in result.stdout
        assert "it cut this run short" in result.stdout
    else:  # at the ceiling no create request of any kind is sent
        assert summary["rules"]["SEED-R2"].get("rejected", 0) == 0  # no breaker was sent
        assert "source" not in summary["budget"]
        assert "live default create budget" not in result.stdout
        assert any("SEED-R2" in t for t in skipped)
    not_covered = summary["budget"]["not_covered"]
    assert not_covered == ([] if created >= 3 else ["XML-asked", "base+1"])
    assert f"create budget {budget or 25}, {created} spent" in result.stdout
    assert "test(s) skipped before their end (not passed)" in result.stdout
    assert summary["verdict"] == "incomplete"
    assert "PASSED" not in result.stdout


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
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "dry-run"
    assert 'class="banner partial"' in (tmp_path / "report.html").read_text()


def test_max_time_stops_sending(tmp_path: Path) -> None:
    with running(Simulator()) as server:
        result = _run(server.url, tmp_path, "--max-time", "0.01", "-k", "valid")
    assert result.returncode == 0, result.stdout[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"].get("sent", 0) < 20
    assert "skipped" in result.stdout
    assert summary["verdict"] == "incomplete"  # time ran out: no violation, not a pass
    assert "INCOMPLETE: no violation in what was sent" in result.stdout
