"""What earlier runs and lost xdist workers owe, settled from the ledger by the same proofs.

A run pointed at a ledger that earlier runs wrote settles what they still owe before it
creates anything (`settle_earlier`): their images are proven again and deleted, their
unsettled creates looked for, and the images still being created stay owed and are
charged to this run's budget. The pytest-xdist controller does the same for a worker that
died before it handed over its results (`settle_workers`). A run whose process is still
alive (`Ledger.alive`) is never touched, nor one on another endpoint, nor a line the key
pair did not seal.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from harness.custody.cleanup import CleanupReport, Waiting, settle
from harness.custody.ledger import Ledger, RunState
from harness.targets.transport import HttpTarget

__all__ = ["Inherited", "settle_earlier", "settle_workers"]


@dataclass
class Inherited:
    """What settling other runs' debts did: the runs, the cleanup, what was left alone."""

    runs: list[str] = field(default_factory=list)
    report: CleanupReport = field(default_factory=CleanupReport)
    left: list[str] = field(default_factory=list)
    """Runs not settled (still running, another endpoint) and lines that prove nothing."""


def _describe(run: RunState) -> str:
    started = datetime.fromtimestamp(run.record.started).astimezone().isoformat(
        timespec="seconds")
    worker = f", worker {run.record.worker}" if run.record.worker else ""
    return f"run {run.record.run} (started {started}{worker})"


def _settle(target: HttpTarget, ledger: Ledger, waiting: Waiting,
            chosen: Callable[[RunState], bool]) -> Inherited:
    state = ledger.state()
    inherited = Inherited(left=list(state.unprovable))
    for run in state.runs:
        if not run.owes or not chosen(run):
            continue
        if run.record.endpoint != target.endpoint:
            inherited.left.append(f"{_describe(run)} ran on {run.record.endpoint}; settle it"
                                  f" with NCLOUD_API_GW set to that endpoint")
            continue
        if ledger.alive(run.record.run):
            inherited.left.append(f"{_describe(run)} is still running; left to it")
            continue
        report = settle(target, run, ledger, waiting=waiting)
        inherited.report.merge(report)
        inherited.runs.append(_describe(run))
        if not report.owed and report.clean:
            ledger.release(run.record.run)
    return inherited


def settle_earlier(target: HttpTarget, ledger: Ledger, *, waiting: Waiting,
                   own: Collection[str] = ()) -> Inherited:
    """Settle every earlier run of the ledger that owes something (not the runs in `own`)."""
    return _settle(target, ledger, waiting, lambda run: run.record.run not in own)


def settle_workers(target: HttpTarget, ledger: Ledger, *, session: str,
                   workers: Collection[str], waiting: Waiting) -> Inherited:
    """Settle what the lost xdist `workers` of the pytest run `session` left in the ledger."""
    return _settle(target, ledger, waiting, lambda run: bool(session)
                   and run.record.session == session and run.record.worker in workers)
