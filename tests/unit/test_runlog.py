"""The run log keeps one violation per rule, check and place: the smallest request showing it."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from harness.contract.probe import Probe
from harness.core.errors import Violation
from harness.report.html import render_html
from harness.report.summary import TONE, summary_schema, verdict_line
from harness.report.terminal import write_summary
from harness.run.failures import Failure
from harness.run.runlog import RunLog

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
    assert log.per_rule["SEED-R10"]["violations"] == 1  # one violation: rule, check, place
    assert log.per_rule["SEED-R10"]["occurrences"] == 3  # seen in three answers
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
    assert log.verdict == "incomplete"  # nothing was sent: nothing was judged
    log.totals["sent"] += 1
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


def test_one_violation_seen_in_many_answers_is_counted_alike_in_every_view() -> None:
    """A crash fault failed 18 tests: one violation, seen in 18 answers, everywhere."""
    log = RunLog("simulator", "https://x.invalid", "dev", 1)
    for n in range(18):
        log.fail(_failure(5 + n, f"t{n}"))
    summary = log.summary()
    assert summary["rules"]["SEED-R10"]["violations"] == 1
    assert summary["rules"]["SEED-R10"]["occurrences"] == 18
    assert [v["occurrences"] for v in summary["violations"]] == [18]
    assert verdict_line(summary).startswith("FAILED: 1 violation(s) (seen in 18 answers)")
    lines: list[str] = []
    write_summary(lambda line, **_: lines.append(line), log, None)
    (row,) = [line for line in lines if line.startswith("SEED-R10")]
    assert row.split()[-2:] == ["1", "(18)"]
    assert "seen in 18 answer(s)" in render_html(summary)
    Draft202012Validator(summary_schema()).validate(json.loads(json.dumps(summary)))
