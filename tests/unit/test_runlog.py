"""The run log keeps one violation per rule, check and place: the smallest request showing it."""

from __future__ import annotations

from harness.contract.probe import Probe
from harness.core.errors import Violation
from harness.report.summary import TONE, summary_schema, verdict_line
from harness.run.runlog import Failure, RunLog

VIOLATION = Violation("SEED-R10", "format_matches_request", "XML answered for JSON")


def _failure(wire_length: int, test: str) -> Failure:
    probe = Probe((("serverImageName", "a" * wire_length),), "GET", "valid:mixed", ())
    return Failure(VIOLATION, probe, 1, test, ())


def test_a_smaller_request_for_the_same_fault_replaces_a_larger_one() -> None:
    log = RunLog("simulator", "https://x.invalid", "dev", 1)
    log.fail(_failure(300, "covering"))
    log.fail(_failure(5, "shrunk"))
    log.fail(_failure(40, "later"))
    assert [f.test for f in log.failures] == ["shrunk"]
    assert log.per_rule["SEED-R10"]["violations"] == 3
    assert log.first_violation_s is not None


def test_another_place_is_another_violation() -> None:
    log = RunLog("simulator", "https://x.invalid", "dev", 1)
    log.fail(_failure(5, "one"))
    other = Failure(Violation("SEED-R10", "format_matches_request", "m", path="x"),
                    _failure(9, "two").probe, 1, "two", ())
    log.fail(other)
    assert [f.test for f in log.failures] == ["one", "two"]


def test_a_violation_of_no_seed_rule_renders_without_a_rule_tag() -> None:
    probe = Probe((("serverImageName", "a"),), "GET", "valid:mixed", ())
    unread = Violation(None, "body_readable", "neither JSON nor XML")
    text = Failure(unread, probe, 1, "t", ()).render()
    assert text.splitlines()[0] == "body_readable: neither JSON nor XML"
    assert "None" not in text.splitlines()[0]
    ruled = Failure(VIOLATION, probe, 1, "t", ()).render()
    assert ruled.splitlines()[0] == "[SEED-R10] format_matches_request: XML answered for JSON"


def test_only_a_whole_run_without_violations_passes() -> None:
    log = RunLog("simulator", "https://x.invalid", "dev", 1)
    assert log.verdict == "passed"
    log.totals["skipped_max_creates"] += 3
    assert log.verdict == "incomplete"
    log.dry_run.append("GET /vserver/v2/createServerImageFromSnapshot?...")
    assert log.verdict == "dry-run"
    log.interrupted = True
    assert log.verdict == "interrupted"
    log.fail(_failure(5, "t"))
    assert log.verdict == "failed"  # what it found stands, whatever else happened
    summary = log.summary()
    assert verdict_line(summary).startswith("FAILED: 1 violation(s)")


def test_every_verdict_has_a_tone_and_a_line_and_is_in_the_schema() -> None:
    schema = summary_schema()["properties"]["verdict"]["enum"]
    assert set(schema) == set(TONE)
    assert [v for v, tone in TONE.items() if tone == "good"] == ["passed"]
    log = RunLog("simulator", "https://x.invalid", "dev", 1)
    for verdict in TONE:
        summary = {**log.summary(), "verdict": verdict}
        line = verdict_line(summary)
        assert line.split(":")[0] == verdict.upper().replace("-", " ") or (
            verdict == "failed" and line.startswith("FAILED"))
        assert ("PASSED" in line) is (verdict == "passed")
