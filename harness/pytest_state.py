"""What the pytest plugin keeps for one run, in pytest's config: its log, files and state.

The plugin's hooks (`harness.pytest_plugin`) and its pytest-xdist wiring
(`harness.pytest_xdist`) read and write one `State` per pytest process, under `STATE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.recording.cassette import Cassette, Recorder
from harness.report.progress import Progress
from harness.run.runlog import RunLog

__all__ = ["STATE", "State"]


@dataclass
class State:
    """The run as this pytest process knows it."""

    log: RunLog | None = None
    report_dir: Path | None = None
    cassette: Cassette | None = None
    recorder: Recorder | None = None
    progress: Progress | None = None
    error: str | None = None  # why the session could not start (one line, scrubbed)
    junit_before: bytes | None = None  # the junit file an earlier run left, kept on error
    seed: int | None = None  # under xdist, the controller's: one seed for every worker
    workers_lost: list[str] = field(default_factory=list)  # xdist workers that crashed
    session_uid: str = ""  # xdist's id of this run, which every worker writes to the ledger


STATE = pytest.StashKey[State]()
