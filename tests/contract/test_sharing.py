"""The rate limit and the create budget hold across processes (pytest-xdist workers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.custody.budget import SharedBudget
from harness.custody.ledger import Ledger
from harness.sim import SimResponse, Simulator
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from harness.targets.sharing import RateLimit, parse_rate


@pytest.mark.parametrize(("text", "per_second"), [("5/s", 5.0), ("120/m", 2.0),
                                                  (" 0.5 / s ", 0.5)])
def test_parse_rate(text: str, per_second: float) -> None:
    assert parse_rate(text) == per_second


@pytest.mark.parametrize("text", ["5", "fast", "0/s", "-1/s", "5/h"])
def test_parse_rate_names_the_flag(text: str) -> None:
    with pytest.raises(ConfigError, match="--rate"):
        parse_rate(text)


def test_rate_limit_spaces_requests_across_instances(tmp_path: Path) -> None:
    now = [100.0]
    waits: list[float] = []
    first = RateLimit(tmp_path / "r.json", 4.0, sleep=waits.append, clock=lambda: now[0])
    second = RateLimit(tmp_path / "r.json", 4.0, sleep=waits.append, clock=lambda: now[0])
    for limiter in (first, second, first, second):
        limiter.acquire()
    assert waits == [0.25, 0.5, 0.75]


def test_budget_is_shared(tmp_path: Path) -> None:
    one, two = SharedBudget(tmp_path / "b.json", 3), SharedBudget(tmp_path / "b.json", 3)
    assert [one.take(), two.take(), one.take(), two.take()] == [True, True, True, False]
    assert one.spent == 3
    unlimited = SharedBudget(tmp_path / "u.json", None)
    assert all(unlimited.take() for _ in range(50))


def test_a_unit_comes_back_when_no_image_was_made_and_valid_requests_leave_a_reserve(
        tmp_path: Path) -> None:
    budget = SharedBudget(tmp_path / "b.json", 5)
    assert [budget.take(4) for _ in range(5)] == [True] * 4 + [False]  # the reserve: one
    assert budget.take()  # an invalid request may still use it
    assert not budget.take()
    budget.refund()  # its answer made no image
    assert budget.spent == 4
    assert budget.take()
    assert budget.spent == 5


class _Clocked(Simulator):
    """Remembers when each create request arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []
        self.actions: list[str] = []
        self._arrival_lock = threading.Lock()

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        with self._arrival_lock:
            self.arrivals.append(time.monotonic())
            self.actions.append(target.partition("?")[0].rsplit("/", 1)[-1])
        return super().handle(method, target, headers, body)


@pytest.mark.slow
def test_two_workers_share_one_rate_and_one_budget(tmp_path: Path) -> None:
    creds = default_scenario().credentials
    assert creds is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    simulator = _Clocked()
    with running(simulator) as server:
        env.update(NCLOUD_ACCESS_KEY=creds.access_key, NCLOUD_SECRET_KEY=creds.secret_key,
                   NCLOUD_API_GW=server.url)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--pyargs", "harness.suite", "-p", "xdist",
             "-n", "2", "-q", "--target", "live", "--rate", "40/s", "--max-creates", "6",
             "--max-examples", "3", "-k", "valid_request", "--report-dir", str(tmp_path),
             "--ledger", str(tmp_path / "ledger.jsonl"), "-p", "no:cacheprovider",
             "--record", str(tmp_path / "recorded")],
            env=env, capture_output=True, text=True, timeout=600, check=False,
            cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    created = Ledger(tmp_path / "ledger.jsonl").path.read_text().count('"event": "created"')
    assert 1 <= created <= 6  # one budget for both workers
    arrivals = sorted(simulator.arrivals)
    assert len(arrivals) > 10
    span = arrivals[-1] - arrivals[0]
    assert span >= (len(arrivals) - 1) / 40 * 0.9  # one bucket for both workers
    # One run, one report: the controller merges both workers' logs.
    assert not list(tmp_path.glob("*-gw*"))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["resources"]["created"] == created == summary["resources"]["deleted"]
    assert summary["budget"]["spent"] == created
    assert summary["counts"]["sent"] == simulator.actions.count("createServerImageFromSnapshot")
    assert len(summary["run"]["name_tag"].split(", ")) == 2  # each worker's own tag
    assert "ncp-harness conformance" in result.stdout  # the table, on the controller
    seeds = {json.loads(har.read_text())["log"]["_ncpHarness"]["seed"]
             for har in (tmp_path / "recorded").glob("*.har")}
    assert seeds == {summary["run"]["seed"]}  # drawn once, by the controller, for both


_KILLED = '''
import os

from harness.strategies.valid import valid_probes


def test_makes_images_then_dies(ncp_session):
    probes = valid_probes(ncp_session.account, "base-only")
    assert ncp_session.exercise(probes, "t", max_examples=3) is None
    assert ncp_session.log.created
    os._exit(1)  # killed: no teardown, no log handed over


def test_makes_images_and_cleans_up(ncp_session):
    probes = valid_probes(ncp_session.account, "base-only")
    assert ncp_session.exercise(probes, "t", max_examples=2) is None
'''


@pytest.mark.slow
def test_a_killed_workers_images_are_settled_by_the_controller_never_counted_as_none(
        tmp_path: Path) -> None:
    creds = default_scenario().credentials
    assert creds is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    (tmp_path / "test_killed.py").write_text(_KILLED, encoding="utf-8")
    simulator = Simulator()
    with running(simulator) as server:
        env.update(NCLOUD_ACCESS_KEY=creds.access_key, NCLOUD_SECRET_KEY=creds.secret_key,
                   NCLOUD_API_GW=server.url)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "test_killed.py", "-p", "xdist", "-n", "2",
             "--max-worker-restart", "0", "-q", "--target", "live", "--max-creates", "20",
             "--report-dir", str(tmp_path / "reports"), "-p", "no:cacheprovider",
             "--cleanup-wait", "5"],
            env=env, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
        made = simulator.images.ever_created
        left = simulator.images.created_count
    out = result.stdout[-3000:] + result.stderr[-2000:]
    assert "crashed" in out or "worker" in out, out
    assert made >= 3
    assert left == 0, out  # the dead worker's images were deleted by the controller
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["verdict"] == "error"  # a worker lost: never a pass
    resources = summary["resources"]
    assert resources["deleted"] == made
    assert resources["left_behind"] == {}
    assert any("xdist worker" in fault["test"] for fault in summary["harness_errors"])
    assert not Ledger(tmp_path / "reports" / "ledger.jsonl").state().owes
