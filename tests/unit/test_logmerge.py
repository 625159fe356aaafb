"""Workers' logs merged are the log one process would have kept of the same exchanges."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.checks.response import CheckResult
from harness.contract.oracle import Outcome, Verdict
from harness.contract.probe import Probe
from harness.contract.rules import Breach
from harness.core.answer import Answer
from harness.core.errors import Finding, Violation
from harness.run.covering import COVER_ITEMS
from harness.run.failures import Failure, HarnessFault
from harness.run.logmerge import merge, pack, unpack
from harness.run.runlog import RunLog

_RULES = ("SEED-R2", "SEED-R4", "SEED-S3")
_PLACES = ("", "blockStorageList.1.order", "serverImageName")

# One exchange: (rule, status, violation place or None, finding case or None, wire length)
_EXCHANGE = st.tuples(st.sampled_from(_RULES), st.sampled_from((200, 400, 500)),
                      st.none() | st.sampled_from(_PLACES),
                      st.none() | st.sampled_from(("U1", "U10")), st.integers(1, 40))
_EVENTS = st.lists(st.tuples(st.integers(0, 1), _EXCHANGE), max_size=30)


def _play(log: RunLog, exchange: tuple[str, int, str | None, str | None, int]) -> None:
    rule, status, place, case, length = exchange
    probe = Probe((("serverImageName", "n" * length),), "GET", f"class:{rule}", (rule,))
    violations = (() if place is None else
                  (Violation(rule, "status_agrees_with_oracle", "refused", path=place,
                             clause=f"{rule}.1"),))
    findings = () if case is None else (Finding((case,), "silent", status=status),)
    result = CheckResult(violations, findings, ran=((rule, "status_agrees_with_oracle"),))
    verdict = (Verdict(Outcome.REJECT, (Breach(f"{rule}.1", "p", "broken"),)) if status == 400
               else Verdict(Outcome.ACCEPT))
    log.record(probe, verdict, Answer(status, {}, b""), result)
    for violation in violations:
        log.fail(Failure(violation, probe, 7, f"test_{rule}", ()))
    if status == 200:
        log.note_created(f"img-{length}")


def _comparable(log: RunLog) -> dict[str, Any]:
    summary = log.summary()
    for volatile in ("started", "duration_s", "first_violation_s", "name_tag"):
        summary["run"].pop(volatile)
    summary["rules"] = {rule: {k: v for k, v in counts.items() if k != "examples"}
                        for rule, counts in summary["rules"].items()}
    # Workers run side by side: which of two places was seen first is no fact of the run.
    summary["violations"].sort(key=lambda v: (v["rule"], v["check"], v["path"]))
    summary["findings"].sort(key=lambda f: f["cases"])
    for check in summary["checks"]:
        check.pop("message")
    return summary


@given(_EVENTS)
def test_two_workers_merged_report_what_one_process_would(
        events: list[tuple[int, tuple[str, int, str | None, str | None, int]]]) -> None:
    alone = RunLog("simulator", "https://x.invalid", "dev", 7)
    workers = [RunLog("simulator", "https://x.invalid", "dev", 7) for _ in range(2)]
    for worker, exchange in events:
        _play(alone, exchange)
        _play(workers[worker], exchange)
    merged = unpack(pack(workers[0]))
    merge(merged, unpack(pack(workers[1])))
    assert _comparable(merged) == _comparable(alone)
    assert merged.verdict == alone.verdict


def test_the_merged_run_keeps_every_worker_tag_its_first_violation_and_one_budget() -> None:
    first = RunLog("live", "https://x.invalid", "dev", 7, started=1000.0, name_tag="ab12")
    second = RunLog("live", "https://x.invalid", "dev", 7, started=1004.0, name_tag="cd34")
    first.first_violation_s, second.first_violation_s = 9.0, 1.0  # at 1009 and at 1005
    first.budget = {"limit": 25, "spent": 20, "source": "live default", "covered": [],
                    "not_covered": list(COVER_ITEMS)}  # the covering set ran in the other
    second.budget = {"limit": 25, "spent": 25, "source": "live default",
                     "covered": list(COVER_ITEMS), "not_covered": []}
    second.harness_fault(HarnessFault("test_x", "KeyError: 'x'"))
    merge(first, second)
    assert first.name_tag == "ab12, cd34"
    assert first.started == 1000.0
    assert first.first_violation_s == 5.0  # the second worker's, from the run's start
    assert first.budget == {"limit": 25, "spent": 25, "source": "live default",
                            "covered": sorted(COVER_ITEMS), "not_covered": []}
    assert first.verdict == "error"


def test_the_progress_listener_stays_with_the_worker() -> None:
    log = RunLog("simulator", "https://x.invalid", "dev", 7)
    log.listener = lambda: None  # a progress bar's: not for another process
    assert unpack(pack(log)).listener is None
    assert log.listener is not None


def test_only_a_run_log_is_unpacked() -> None:
    with pytest.raises(TypeError, match="not its RunLog"):
        unpack(pickle.dumps({"verdict": "passed"}))
