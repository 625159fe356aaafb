"""What a conformance run saw: per-rule counts, violations, findings, created images.

One `RunLog` per run. It is filled exchange by exchange and turned into the summary
(`summary.json`) and the terminal table at the end. It never holds a key or a signature:
requests are kept as their wire parameters, which carry neither.
"""

from __future__ import annotations

import contextlib
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness._version import __version__
from harness.checks.response import CheckResult
from harness.contract.clauses import CLAUSES
from harness.contract.edges import edges
from harness.contract.oracle import Outcome, Verdict
from harness.contract.probe import Probe
from harness.contract.reference import ASSUMED_XML_ERROR, NOTES
from harness.contract.rules import CONTRADICTIONS, OPEN_CASES, RULES
from harness.contract.wire import small_int
from harness.core.answer import Answer
from harness.core.errors import UnreadableBody, Violation
from harness.core.plain import json_text
from harness.core.scrub import SECRETS
from harness.core.xmlcodec import xml_skeleton
from harness.run.failures import Failure, HarnessFault

__all__ = ["EXAMPLES", "SUMMARY_SCHEMA_VERSION", "RunLog", "shorter"]

SUMMARY_SCHEMA_VERSION = 2
_MAX_LISTED = 1000
_MAX_SHAPES = 5
"""Distinct XML error shapes noted (a service with more is not worth more lines)."""
EXAMPLES = 3
"""Requests kept per rule and answer band, to show in the report."""
_SIZE_BUCKETS = ((10, "<10"), (100, "10-99"), (1000, "100-999"), (10000, "1000-9999"),
                 (16381, "10000-16380"))


def _says(case: str) -> str:
    """What the seed (an open case) or the reference (a REF- note, with its source) says."""
    if case in OPEN_CASES:
        return f"{case}: {OPEN_CASES[case].text}"
    if case in NOTES:
        return f"{case}: {NOTES[case].text} ({NOTES[case].source})"
    if case in RULES:  # a response rule the answer could not be held to (SEED-S3)
        return f"{case}: {RULES[case].text}"
    return case


def shorter(kept: str | None, seen: str) -> str:
    """The example a finding shows: the shortest request seen (the same in any order)."""
    return seen if kept is None else min(kept, seen, key=lambda wire: (len(wire), wire))


def _size_bucket(value: str) -> str:
    number = small_int(value)
    if number is None:
        return ">16380" if value.isascii() and value.isdigit() else "not a number"
    return next((name for bound, name in _SIZE_BUCKETS if number < bound), ">16380")


@dataclass
class RunLog:
    """Everything one run observed."""

    target: str
    endpoint: str
    profile: str
    seed: int
    started: float = field(default_factory=time.time)
    per_rule: dict[str, Counter[str]] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    occurrences: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """How many answers showed each violation (rule, check, place): one definition, and
    its number, for the table, the banner, the cards and summary.json."""
    findings: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    budget: dict[str, Any] | None = None
    leaks: dict[str, str] = field(default_factory=dict)
    """Images proven the run's and not deleted: number -> why."""
    unknown: list[str] = field(default_factory=list)
    """Accepted creates whose images could not be identified, one line each."""
    possibly: dict[str, str] = field(default_factory=dict)
    """Images that may be the run's but cannot be proven: check by hand (number -> why)."""
    unattributed: dict[str, str] = field(default_factory=dict)
    """Images under the untagged name of a refused create: most likely another's; listed,
    never deleted, not counted against the run (number -> why)."""
    not_deleted: dict[str, str] = field(default_factory=dict)
    """Numbers the run's records named but could not prove its own now: never deleted."""
    recovered: list[str] = field(default_factory=list)
    """Images found by a listing after their create's answer named none."""
    owed: dict[str, str] = field(default_factory=dict)
    """Images still being created when cleanup stopped waiting (this run's or earlier runs'):
    recorded in the ledger, settled by a later run or `ncp-harness cleanup` (number -> why)."""
    vanished: dict[str, str] = field(default_factory=dict)
    """Images proven the run's that someone else deleted first (number -> why)."""
    inherited: dict[str, Any] | None = None
    """What settling earlier runs' debts did before this run created anything."""
    ledger: str | None = None
    """Where a live run's custody is written (the `cleanup --ledger` argument)."""
    cleanup_wait: float | None = None
    name_tag: str = ""
    """The tag in the names of the images this run created (find them by it)."""
    fault: str | None = None
    """The named bug the simulator was given (--fault), None for a faithful target."""
    interrupted: bool = False
    """The run was stopped (Ctrl-C, SIGTERM) before its end: never a pass."""
    xml_error_shapes: Counter[str] = field(default_factory=Counter)
    """The element skeletons of the XML refusals seen, and how often (see ASSUMED_XML_ERROR)."""
    stopped: str | None = None
    """Why the run stopped at a configuration error mid-run (the gateway said the key may
    not create images here): never a pass, and no verdict on the service."""
    size_unit: str = ""
    """The unit getBlockStorageVolumeTypeList gave sizes in (harness.contract.volumetypes)."""
    harness_faults: list[HarnessFault] = field(default_factory=list)
    budget_skipped: list[str] = field(default_factory=list)
    """Tests that ended before their end because the create budget was spent."""
    dry_run: list[str] = field(default_factory=list)
    listener: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    """Called after each exchange is recorded (a progress bar)."""
    unrecorded: list[str] = field(default_factory=list)
    """Requests a replayed cassette had no recording of (each once, in order)."""
    cassette: str | None = None
    recorded_verdict: str | None = None
    """The verdict of the recorded run a replay re-checks (its session file says it)."""
    _unrecorded_seen: set[str] = field(default_factory=set)
    checks: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    check_messages: dict[tuple[str, str], str] = field(default_factory=dict)
    examples: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    exercised: dict[str, Counter[str]] = field(default_factory=dict)
    per_clause: dict[str, Counter[str]] = field(default_factory=dict)
    """Per clause (SEED-R9.3): requests that broke it or stood on its edge, by answer band,
    and the distinct violations that name it."""
    first_violation_s: float | None = None
    """Seconds from the start of the run to the first answer that broke the contract."""

    def record(self, probe: Probe, verdict: Verdict | None, answer: Answer,
               result: CheckResult) -> None:
        """Count one exchange under every rule it exercises."""
        self._xml_error_shape(answer, result)
        band = ("transient" if result.transient else "accepted" if answer.status == 200
                else "rejected" if answer.status < 500 else "server_error")
        self.totals["sent"] += 1
        self.totals[band] += 1
        if verdict is not None:
            self.totals[f"oracle_{verdict.outcome.value}"] += 1
        unspecified = verdict is not None and verdict.outcome is Outcome.UNSPECIFIED
        for rule in probe.rules:
            counts = self.per_rule.setdefault(rule, Counter())
            counts["sent"] += 1
            counts[band] += 1
            counts["unspecified"] += unspecified
            shown = self.examples.setdefault(rule, {}).setdefault(band, [])
            if len(shown) < EXAMPLES:
                shown.append(f"{probe.method} {probe.wire}"[:600])
        if result.violations:
            self._first_violation()
        if not result.transient:
            self._count_checks(result)
        if verdict is not None:
            self._count_exercised(probe, verdict)
            self._count_clauses(verdict, band)
        if self.listener is not None:
            self.listener()
        for finding in result.findings:
            entry = self.findings.setdefault(finding.cases, {
                "cases": list(finding.cases), "observed": Counter(), "example": None})
            entry["observed"][f"{finding.status}: {finding.message}"[:200]] += 1
            entry["example"] = shorter(entry["example"], probe.wire)
        success = result.body is not None and result.body.kind == "success"
        if (answer.status == 200 and verdict is not None and not success
                and verdict.outcome is not Outcome.ACCEPT):
            self.totals["created_unexpectedly"] += 1

    def _xml_error_shape(self, answer: Answer, result: CheckResult) -> None:
        """Note the element skeleton of each XML refusal: it settles the assumed XML shape."""
        body = result.body
        if (body is None or body.format != "xml" or not 400 <= answer.status < 500
                or len(self.xml_error_shapes) >= _MAX_SHAPES):
            return
        with contextlib.suppress(UnreadableBody):
            self.xml_error_shapes[xml_skeleton(answer.body)] += 1

    def _count_checks(self, result: CheckResult) -> None:
        failed = {(v.rule or "-", v.check) for v in result.violations}
        for pair in dict.fromkeys([*result.ran, *failed]):  # a check that failed, ran
            self.checks.setdefault(pair, Counter())["runs"] += 1
        for violation in result.violations:
            pair = (violation.rule or "-", violation.check)
            self.checks.setdefault(pair, Counter())["violations"] += 1
            self.check_messages.setdefault(pair, str(violation))

    def count_check(self, rule: str, check: str, violation: Violation | None) -> None:
        """Count one run of a check made outside `record` (two answers compared)."""
        counts = self.checks.setdefault((rule, check), Counter())
        counts["runs"] += 1
        if violation is not None:
            counts["violations"] += 1
            self.check_messages.setdefault((rule, check), str(violation))

    def _count_exercised(self, probe: Probe, verdict: Verdict) -> None:
        """What the request looked like: list length, orders, sizes, method, format.

        Read from the verdict's view (the request as the oracle read it), not parsed again.
        """
        def bump(kind: str, value: str) -> None:
            self.exercised.setdefault(kind, Counter())[value] += 1

        bump("method", probe.method)
        fmt = next((v for k, v in probe.params if k == "responseFormatType"), None)
        bump("format", "xml (default)" if fmt is None else fmt if fmt in ("xml", "json")
             else "other")
        if verdict.view is None:
            return  # a verdict made by hand (a test's) has no reading to count
        entries = verdict.view.reading.entries
        for entry in entries:
            raw = entry.fields.get("order")
            if raw is not None:
                order = small_int(raw)
                bump("order", str(order) if order is not None and order <= 20 else "not 0-20")
            size = entry.fields.get("blockStorageSize")
            if size is not None:
                bump("size_gb", _size_bucket(size))
        bump("list_length", str(len(entries)) if len(entries) <= 21 else ">21")

    def _count_clauses(self, verdict: Verdict, band: str) -> None:
        """The clauses the request broke (a reject's) or stood on the edge of (an accept's)."""
        if verdict.outcome is Outcome.REJECT:
            shown, how = verdict.clauses, "broken"
        elif verdict.outcome is Outcome.ACCEPT and verdict.view is not None:
            shown, how = edges(verdict.view), "edge"
        else:
            return
        for clause in shown:
            counts = self.per_clause.setdefault(clause, Counter())
            counts["sent"] += 1
            counts[band] += 1
            counts[f"{how}_{band}"] += 1

    def not_recorded(self, request: str) -> None:
        """Count a request a replayed cassette holds no answer to; list it once."""
        self.totals["not_recorded"] += 1
        if request not in self._unrecorded_seen:
            self._unrecorded_seen.add(request)
            self.unrecorded.append(request)

    def harness_fault(self, fault: HarnessFault) -> None:
        """Keep an exception the harness met while sending or judging (once per test)."""
        if all(f.test != fault.test for f in self.harness_faults):
            self.harness_faults.append(fault)

    def skip_for_budget(self, test: str) -> None:
        """Note a test that could not finish: the create budget was spent."""
        if test not in self.budget_skipped:
            self.budget_skipped.append(test)

    def note_created(self, number: str) -> None:
        """Remember an image the run created, once."""
        if number not in self.created:
            self.created.append(number)

    def _first_violation(self) -> None:
        if self.first_violation_s is None:
            self.first_violation_s = round(time.time() - self.started, 3)

    def fail(self, failure: Failure) -> None:
        """Keep a violation once per rule, check and place: the smallest request that shows it.

        The covering set's fixed requests fail first and are not shrunk; a property test's
        shrunk request for the same fault replaces them.
        """
        self._first_violation()
        new = self.keep(failure)
        self.occurrences[failure.violation.key] += 1
        counts = self.per_rule.setdefault(failure.violation.rule or "-", Counter())
        counts["violations"] += new  # distinct: what the banner and cards count
        counts["occurrences"] += 1
        if failure.violation.clause:
            self.per_clause.setdefault(failure.violation.clause, Counter())["violations"] += new

    def keep(self, failure: Failure) -> bool:
        """Keep `failure` unless one as short is kept for its place; True when it is new."""
        same = next((i for i, f in enumerate(self.failures)
                     if f.violation.key == failure.violation.key), None)
        if same is None:
            self.failures.append(failure)
        elif len(failure.probe.wire) < len(self.failures[same].probe.wire):
            self.failures[same] = failure
        return same is None

    @property
    def left_behind(self) -> dict[str, str]:
        """Images proven the run's and not deleted, with why (also when cleanup never ran)."""
        ended = {number: "not deleted: the run ended before its cleanup reached it"
                 for number in self.created if number not in self.deleted
                 and number not in self.not_deleted and number not in self.owed
                 and number not in self.vanished}
        return {**ended, **self.leaks}

    @property
    def settle_command(self) -> str | None:
        """The command that settles the images owed, when there are any."""
        if not self.owed:
            return None
        wait = max(3600.0, self.cleanup_wait or 0.0)
        return (f"ncp-harness cleanup --ledger {self.ledger or 'reports/ledger.jsonl'}"
                f" --wait {wait:g}")

    @property
    def left_unaccounted(self) -> int:
        """Images left behind, accepted creates whose images are unknown, and possible ones."""
        return len(self.left_behind) + len(self.unknown) + len(self.possibly)

    @property
    def verdict(self) -> str:
        """The run's verdict: only a whole run that found nothing wrong is 'passed'.

        'error' after a harness fault; 'failed' on a violation or an image unaccounted for;
        then 'interrupted' (stopped before its end, by a signal or by a key the gateway
        says may not create), 'dry-run' (nothing sent) and
        'incomplete' (tests cut short or requests held back by --max-creates/--max-time):
        no violation in what was sent, which is not all the run would have checked.
        """
        if self.harness_faults:
            return "error"
        if self.failures or self.left_unaccounted or self.not_deleted:
            return "failed"
        if self.interrupted or self.stopped:
            return "interrupted"
        if self.dry_run or self.totals["dry_run"]:
            return "dry-run"
        if self.unfinished:
            return "incomplete"
        return "passed"

    @property
    def unfinished(self) -> list[str]:
        """Why the run did not judge all it set out to (empty: it did), one phrase each.

        Tests cut short and requests held back by --max-creates or --max-time (a covering
        request the budget could not buy among them); clauses that were sent but got only
        transient answers (no judgment); a replay of a recording that was itself unfinished,
        or that held no answer to requests the run sent; a run that sent nothing at all.
        """
        why = []
        if self.budget_skipped or self.held_back:
            why.append(f"{self.held_back} request(s) held back and {len(self.budget_skipped)}"
                       " test(s) cut short (--max-creates, --max-time)")
        if self.totals["unjudged"]:
            why.append(f"{self.totals['unjudged']} request(s) answered only transiently"
                       " (no judgment)")
        unjudged = self.unjudged_clauses
        if unjudged:
            why.append(f"{len(unjudged)} clause(s) sent but never judged (every answer"
                       f" transient): {', '.join(unjudged[:8])}")
        if self.recorded_verdict in ("incomplete", "dry-run", "interrupted", "error"):
            why.append(f"the recording replayed was itself {self.recorded_verdict}")
        if self.totals["not_recorded"]:
            why.append(f"{self.totals['not_recorded']} request(s) the recording has no"
                       " answer to")
        if not self.totals["sent"] and not self.totals["rechecked"]:
            why.append("nothing was sent, so nothing was judged (a test that only takes the"
                       " session fixture judges nothing)")
        return why

    @property
    def unjudged_clauses(self) -> list[str]:
        """Clauses sent (broken, or stood on the edge of) whose every answer was transient."""
        out = []
        for clause, counts in sorted(self.per_clause.items()):
            for how in ("broken", "edge"):
                sent = sum(n for band, n in counts.items() if band.startswith(f"{how}_"))
                if sent and sent == counts[f"{how}_transient"]:
                    out.append(clause)
                    break
        return out

    @property
    def scope(self) -> tuple[int, int]:
        """(clauses the run sent, clauses there are): a run narrowed by -k or -m sends fewer."""
        total = [c for c in CLAUSES.values() if c.kind != "answers"]
        return sum(1 for c in total if self.per_clause.get(c.id, Counter())["sent"]), len(total)

    @property
    def held_back(self) -> int:
        """Requests the run meant to send and did not: the budget or the time was spent."""
        return sum(n for k, n in self.totals.items() if k.startswith("skipped_"))

    def summary(self) -> dict[str, Any]:
        """The run as summary.json records it (schema version 2, see summary.schema.json)."""
        return {
            "schema_version": SUMMARY_SCHEMA_VERSION,
            "run": {
                "target": self.target, "endpoint": self.endpoint, "profile": self.profile,
                "seed": self.seed,
                "started": datetime.fromtimestamp(self.started, UTC).isoformat(),
                "duration_s": round(time.time() - self.started, 3),
                "first_violation_s": self.first_violation_s,
                "name_tag": self.name_tag,
                "fault": self.fault,
                "volume_size_unit": self.size_unit,
                "versions": {"ncp-harness": __version__, "python": platform.python_version()},
            },
            "verdict": self.verdict,
            "unfinished": self.unfinished,
            "stopped": self.stopped,
            "xml_error_shapes": [{"shape": shape, "seen": seen,
                                  "as_assumed": shape == ASSUMED_XML_ERROR}
                                 for shape, seen in
                                 self.xml_error_shapes.most_common(_MAX_SHAPES)],
            "scope": {"clauses_sent": self.scope[0], "clauses": self.scope[1]},
            "counts": dict(self.totals),
            "rules": {rule: {**dict(counts), "examples": self.examples.get(rule, {})}
                      for rule, counts in sorted(self.per_rule.items())},
            "checks": [{"rule": rule, "check": check, "runs": c.get("runs", 0),
                        "violations": c.get("violations", 0),
                        "message": self.check_messages.get((rule, check))}
                       for (rule, check), c in sorted(self.checks.items())],
            "exercised": {kind: dict(sorted(c.items())) for kind, c in
                          sorted(self.exercised.items())},
            "clauses": self._clause_rows(),
            "contradictions": [{"rule": rule, "text": text} for rule, text in CONTRADICTIONS],
            "violations": [{**f.as_dict(), "occurrences": self.occurrences[f.violation.key]}
                           for f in self.failures],
            "findings": [{"cases": e["cases"], "observed": dict(e["observed"]),
                          "example": e["example"],
                          "seed_says": [_says(c) for c in e["cases"]]}
                         for e in self.findings.values()],
            "resources": {"created": len(self.created), "deleted": len(self.deleted),
                          "leaked": len(self.left_behind), "left_behind": self.left_behind,
                          "recovered": len(self.recovered), "unknown": len(self.unknown),
                          "unknown_creates": list(self.unknown),
                          "possibly_created": dict(self.possibly),
                          "not_deleted": dict(self.not_deleted),
                          "owed": dict(self.owed), "vanished": dict(self.vanished),
                          "unattributed": dict(self.unattributed),
                          "settle_command": self.settle_command,
                          "inherited": self.inherited},
            "harness_errors": [f.as_dict() for f in self.harness_faults],
            "budget": None if self.budget is None else {
                **self.budget, "skipped_tests": list(self.budget_skipped)},
            "replay": None if self.cassette is None else {
                "cassette": self.cassette,
                "rechecked": self.totals.get("rechecked", 0),
                "not_recorded": self.totals.get("not_recorded", 0),
                "not_recorded_requests": self.unrecorded[:_MAX_LISTED],
                "recorded_failures": self.totals.get("recorded_failures", 0),
                "fixed": self.totals.get("fixed", 0),
                "still_failing": self.totals.get("still_failing", 0),
            },
        }

    def _clause_rows(self) -> dict[str, dict[str, Any]]:
        """Every request clause: what it says, what was sent, and whether it was covered.

        A refusing clause is covered by a request that broke it and was answered (refused,
        or wrongly accepted); an accepting one by an accepted request on its edge
        (`harness.contract.edges`); a clause that is both, by both.
        """
        rows = {}
        for clause in CLAUSES.values():
            if clause.kind == "answers":
                continue
            counts = self.per_clause.get(clause.id, Counter())
            broken = counts["broken_rejected"] + counts["broken_accepted"]
            shown = counts["edge_accepted"]
            rows[clause.id] = {
                "says": clause.says, "kind": clause.kind, "sent": counts["sent"],
                "accepted": counts["accepted"], "rejected": counts["rejected"],
                "server_error": counts["server_error"], "violations": counts["violations"],
                "covered": (broken > 0 or not clause.refuses) and (shown > 0
                                                                   or not clause.allows)}
        return rows

    def write(self, directory: Path) -> Path:
        """Write summary.json into `directory` (under xdist, the controller's merged log)."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "summary.json"
        path.write_text(SECRETS.text(json_text(self.summary(), indent=2)),
                        encoding="utf-8")
        return path
