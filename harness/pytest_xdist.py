"""One run across pytest-xdist workers: one seed for all, one log merged at the end.

The controller draws the seed and hands it to every worker (`workerinput`); each worker
hands its run log back when it ends (`workeroutput`), and the controller folds them
into one (`harness.run.logmerge`), so the run has one summary, report and table.
Loaded by `harness.pytest_plugin`; its hooks do nothing without xdist.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from harness.pytest_state import STATE, State
from harness.run.failures import HarnessFault
from harness.run.logmerge import merge, pack, unpack
from harness.run.runlog import RunLog
from harness.run.runsetup import settle_lost_workers

__all__ = ["hand_over", "note_lost_workers", "worker_seed"]

_SEED_KEY = "ncp_harness_seed"
_LOG_KEY = "ncp_harness_log"


def worker_seed(config: pytest.Config) -> int | None:
    """The controller's seed in a worker, else --seed (None: drawn when needed)."""
    seed = getattr(config, "workerinput", {}).get(_SEED_KEY)
    return int(seed) if seed is not None else config.getoption("--seed", None)


def hand_over(config: pytest.Config, log: RunLog) -> bool:
    """In a worker, give the controller this worker's log; False when not a worker."""
    if not hasattr(config, "workeroutput"):
        return False
    config.workeroutput[_LOG_KEY] = pack(log)
    return True


def note_lost_workers(state: State, config: pytest.Config) -> None:
    """A worker that ended without handing over its log makes the run's verdict error.

    What it created is settled from its ledger lines (`runsetup.settle_lost_workers`):
    deleted, or named in the reports; never counted as none.
    """
    if not state.workers_lost:
        return
    if state.log is None:
        state.log = RunLog(config.getoption("--target"), "", "dev", state.seed or 0)
    for worker in state.workers_lost:
        state.log.harness_fault(HarnessFault(
            f"xdist worker {worker}", "the worker ended before it handed over its results;"
            " what it sent is not in this summary; what it created is settled from the"
            " ledger"))
    settle_lost_workers(config, state.log, state.session_uid, state.workers_lost)
    state.workers_lost = []


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Under xdist, every worker draws with the controller's seed: one run, one seed."""
    state = node.config.stash[STATE]
    if state.seed is None:
        state.seed = random.SystemRandom().randrange(2**32)
    node.workerinput[_SEED_KEY] = state.seed


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Under xdist, fold a worker's log into the run's (one summary, report and table)."""
    state = node.config.stash[STATE]
    data = getattr(node, "workeroutput", {}).get(_LOG_KEY)
    if data is None:
        if error is not None:
            state.workers_lost.append(str(node.gateway.id))
            state.session_uid = str(getattr(node, "workerinput", {}).get("testrunuid", ""))
        return
    log = unpack(data)
    if state.log is None:
        state.log = log
    else:
        merge(state.log, log)
