"""A run against each site's simulator: its regions, its images' shape, and still a pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.commands import main
from harness.sim import Simulator
from harness.sim.actions import ACTIONS, Context
from harness.sim.scenario import site_scenario


def test_the_government_sites_images_come_in_the_older_shape_and_rhv_is_listed() -> None:
    simulator = Simulator(site_scenario("gov"))
    scenario = simulator.scenario
    listed = ACTIONS["getServerImageList"](Context(scenario, simulator.images,
                                                   (("responseFormatType", "json"),), "json"))
    rows = json.loads(listed.body)["getServerImageListResponse"]["serverImageList"]
    assert {row["hypervisorType"]["code"] for row in rows} >= {"RHV", "KVM", "XEN"}
    assert all("serverImageLifeCyclePhase" not in row and "platformCategoryCode" not in row
               for row in rows)


@pytest.mark.slow
@pytest.mark.parametrize(("site", "notes"), [
    ("gov", {"REF-lifecycle-phase", "REF-platform-category"}), ("fin", set())])
def test_a_run_on_each_sites_simulator_passes_with_the_sites_differences_as_findings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], site: str, notes: set[str]) -> None:
    code = main(["run", "--site", site, "--quiet", "--report-dir", str(tmp_path),
                 "--max-examples", "2"])
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "passed"
    found = {case for f in summary["findings"] for case in f["cases"]}
    assert notes <= found
    assert not ({"REF-lifecycle-phase", "REF-platform-category"} - notes) & found
