"""Throttling, outages and slow answers: retried where safe, never reported as violations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from harness.checks.response import Answer
from harness.core.errors import TargetError
from harness.run.runlog import RunLog
from harness.run.session import ConformanceSession
from harness.sim import Simulator
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from harness.strategies.valid import valid_probes
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget

CREDS = default_scenario().credentials


def _target(url: str, sleeps: list[float]) -> HttpTarget:
    return HttpTarget(url, CREDS, sleep=sleeps.append)


def test_429_is_retried_and_retry_after_is_honoured() -> None:
    scenario = replace(default_scenario(), throttle_every=2, retry_after_seconds=3)
    sleeps: list[float] = []
    with running(Simulator(scenario)) as server:
        target = _target(server.url, sleeps)
        answers = [target.call("getRegionList") for _ in range(4)]
    assert [a.status for a in answers] == [200] * 4
    assert sleeps == [3.0] * len(sleeps)
    assert target.retries == len(sleeps) >= 2


def test_backoff_grows_with_jitter_without_retry_after() -> None:
    target = HttpTarget("http://127.0.0.1:9", CREDS)
    throttled = Answer(429, {}, b'{"error": {"errorCode": "410", "message": "x"}}')
    delays = [target._delay(throttled, attempt) for attempt in range(4)]
    for attempt, delay in enumerate(delays):
        base = 0.5 * 2**attempt
        assert base / 2 <= delay <= base


def test_outages_are_retried_for_reads_but_a_create_is_never_resent() -> None:
    scenario = replace(default_scenario(), unavailable_every=2)
    with running(Simulator(scenario)) as server:
        target = _target(server.url, [])
        assert target.call("getRegionList").status == 200  # 503 on the second try: retried
        before = target.retries
        answers = [target.request("GET", "createServerImageFromSnapshot",
                                  "serverImageName=img-1&blockStorageList.1.order=0"
                                  "&blockStorageList.1.snapshotInstanceNo=1000001")
                   for _ in range(2)]
    assert sorted(a.status for a in answers) == [200, 503]
    assert target.retries == before


def test_throttled_runs_pass_without_violations() -> None:
    scenario = replace(default_scenario(), throttle_every=3, retry_after_seconds=0)
    with running(Simulator(scenario)) as server:
        target = _target(server.url, [])
        log = RunLog("live", target.endpoint, "dev", 9)
        session = ConformanceSession(target, discover(target), log)
        assert session.exercise(valid_probes(session.account, "mixed"), "t") is None
    assert target.retries > 0
    assert log.failures == []


def test_a_slow_answer_fails_that_request_not_the_run() -> None:
    with running(Simulator()) as server:
        target = _target(server.url, [])
        log = RunLog("live", target.endpoint, "dev", 9)
        session = ConformanceSession(target, discover(target), log)
        server.simulator.scenario = replace(server.simulator.scenario, delay_seconds=0.3)
        target.timeout = 0.05
        assert session.exercise(valid_probes(session.account, "base-only"), "t",
                                max_examples=5) is None
    assert log.totals["timed_out"] > 0
    assert log.failures == []
    assert session.custody is not None
    assert {a.kind for a in session.custody.pending.values()} == {"lost"}  # looked for later


@pytest.mark.slow
@pytest.mark.parametrize("knob", ["unavailable_every", "hiccup_every"])
def test_a_run_through_outages_exits_0_and_leaves_nothing(tmp_path: Path, knob: str) -> None:
    scenario = replace(default_scenario(), retry_after_seconds=0)
    scenario = (replace(scenario, hiccup_every=7) if knob == "hiccup_every"
                else replace(scenario, unavailable_every=7))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    assert CREDS is not None
    with running(Simulator(scenario)) as server:
        env.update(NCLOUD_ACCESS_KEY=CREDS.access_key, NCLOUD_SECRET_KEY=CREDS.secret_key,
                   NCLOUD_API_GW=server.url)
        result = subprocess.run([sys.executable, "-m", "harness", "run", "--target", "live",
                                 "--quiet", "--seed", "3", "-k", "valid and (mixed or base)",
                                 "--report-dir",
                                 str(tmp_path)], env=env, capture_output=True, text=True,
                                timeout=600, check=False)
        left = server.simulator.images.created_count
    assert result.returncode == 0, result.stdout[-3000:]
    assert left == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"]["transient"] > 0
    assert summary["counts"]["retries"] > 0
    assert summary["resources"]["leaked"] == 0
    assert summary["violations"] == []
    if knob == "hiccup_every":  # NCP's "Please try your call again later", 500/1000
        assert summary["counts"]["service_hiccups"] > 0
        assert "service hiccups: " in result.stdout


def test_dropped_connections_are_retried_for_reads_and_fail_only_that_create() -> None:
    scenario = replace(default_scenario(), drop_every=2)
    with running(Simulator(scenario)) as server:
        target = _target(server.url, [])
        assert target.call("getRegionList").status == 200
        assert target.call("getRegionList").status == 200  # dropped once, retried
        assert target.retries == 1
        log = RunLog("live", target.endpoint, "dev", 9)
        session = ConformanceSession(target, discover(target), log)
        assert session.exercise(valid_probes(session.account, "base-only"), "t",
                                max_examples=10) is None
    assert log.totals["timed_out"] > 0  # the dropped creates, each failing alone
    assert log.failures == []


def test_a_target_that_is_not_there_stops_the_run() -> None:
    with running() as server:
        url = server.url
    target = _target(url, [])
    with pytest.raises(TargetError, match="cannot reach"):
        target.call("getRegionList")
