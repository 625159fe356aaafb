"""The API Gateway's own answers against a whole run: no false violation, no false pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest

from harness.sim import Simulator
from harness.sim.render import SimResponse, gateway_error
from harness.sim.scenario import Scenario, default_scenario
from harness.sim.server import running
from harness.strategies.breaking import breaking_probes
from harness.strategies.wirefuzz import wire_probes
from tests.hostile import OtherXmlErrors, Run, Watched

CREDS = default_scenario().credentials
assert CREDS is not None


def _run(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CREDS is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    env.update(NCLOUD_ACCESS_KEY=CREDS.access_key, NCLOUD_SECRET_KEY=CREDS.secret_key,
               NCLOUD_API_GW=url)
    return subprocess.run([sys.executable, "-m", "harness", "run", "--target", "live", "--yes",
                           "--quiet", "--seed", "5", "--report-dir", str(tmp_path), *args],
                          env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize(("code", "words"), [("210", "Permission Denied"), ("230", "Forbidden")])
def test_a_key_that_may_read_but_not_create_stops_the_run_with_exit_2(
        tmp_path: Path, code: str, words: str) -> None:
    simulator = Simulator(replace(default_scenario(), deny_create=code))
    before = simulator.images.numbers()
    with running(simulator) as server:
        done = _run(server.url, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    said = f"this key may not create images here ({words}, {code})"
    assert said in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "interrupted"
    assert summary["stopped"].startswith(said)
    assert summary["counts"]["sent"] <= 3  # it stopped at the first denial (and its pair)
    assert summary["resources"]["created"] == 0
    assert simulator.images.numbers() == before  # nothing was made


class DeniesLater(Watched):
    """Lets the key create twice, then answers every create 403/230: the service's change."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        super().__init__(scenario)
        self.made = 0

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        if self.made >= 2:
            return gateway_error(403, "no longer allowed", code="230")
        answer = super().create(method, target, headers, body)
        self.made += answer.status == 200
        return answer


def test_a_denial_after_the_key_has_created_is_judged_not_taken_for_configuration(
        stack: ExitStack, tmp_path: Path) -> None:
    run = Run(DeniesLater(), stack, tmp_path)
    run.session.cover("t")
    assert run.session.key_created
    assert run.log.stopped is None
    refused = [f.violation for f in run.log.failures]
    assert refused
    assert refused[0].check == "status_agrees_with_oracle"
    assert "the API Gateway's 230 Forbidden" in refused[0].message
    run.teardown()
    assert run.left == set()


def test_the_gateways_refusals_hiccups_and_throttles_raise_no_false_violation(
        stack: ExitStack, tmp_path: Path) -> None:
    scenario = replace(default_scenario(), gateway_checks_encoding=True, unexpected_every=5,
                       throttle_every=7, throttle_code="420")
    run = Run(Simulator(scenario), stack, tmp_path)
    account = run.session.account
    assert run.session.exercise(wire_probes(account, "odd-escape"), "t", max_examples=25) is None
    assert run.session.exercise(breaking_probes(account, "SEED-R2"), "t", max_examples=10) is None
    findings = {tuple(f["cases"]): f for f in run.log.summary()["findings"]}
    encoding = findings[("REF-malformed-encoding",)]
    assert any("the API Gateway's 100 Bad Request Exception" in said
               for said in encoding["observed"])
    assert run.log.totals["transient"] > 0  # 500/900 and 429/420 were met, and not judged
    assert not run.log.failures
    run.teardown()
    assert run.log.verdict in ("passed", "incomplete")
    assert run.left == set()


def test_a_run_says_which_xml_error_shape_the_service_refuses_with(
        stack: ExitStack, tmp_path: Path) -> None:
    """No public XML error body exists: what a run sees settles the assumption, or not."""
    run = Run(OtherXmlErrors(), stack, tmp_path)
    run.session.exercise(breaking_probes(run.session.account, "SEED-R2"), "t", max_examples=3)
    shapes = run.log.summary()["xml_error_shapes"]
    assert shapes
    assert shapes[0]["shape"] == "<responseError><code/><message/></responseError>"
    assert shapes[0]["as_assumed"] is False
    same = Run(Simulator(), stack, tmp_path, tag="same")
    same.session.exercise(breaking_probes(same.session.account, "SEED-R2"), "t", max_examples=3)
    assert [s["as_assumed"] for s in same.log.summary()["xml_error_shapes"]] == [True]
    run.teardown()
    same.teardown()
