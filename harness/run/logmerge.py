"""One run's log from its pytest-xdist workers' logs: what the controller reports.

Each worker fills its own `RunLog`; at its end it hands the log to the controller
(`pack`, through xdist's `workeroutput`), which folds every worker's into one (`merge`), so
a run under `-n 2` has one summary.json, one report and one table, as a run without it.
Counts add up; a violation (rule, check, place) seen by two workers is one violation with
both workers' occurrences and the shorter request; the run started when its first worker
did.
"""

from __future__ import annotations

import pickle
from collections import Counter
from dataclasses import replace

from harness.run.covering import COVER_ITEMS
from harness.run.runlog import EXAMPLES, RunLog, shorter

__all__ = ["merge", "pack", "unpack"]


def pack(log: RunLog) -> bytes:
    """A worker's log as bytes for the controller (its progress listener left behind)."""
    return pickle.dumps(replace(log, listener=None))


def unpack(data: bytes) -> RunLog:
    """A worker's log, from `pack` in a worker process of this very run."""
    log = pickle.loads(data)  # noqa: S301 - written by `pack` in this run's own worker
    if not isinstance(log, RunLog):
        raise TypeError(f"a worker sent {type(log).__name__}, not its RunLog")
    return log


def _add_counts(into: dict[str, Counter[str]], other: dict[str, Counter[str]]) -> None:
    for key, counts in other.items():
        into.setdefault(key, Counter()).update(counts)


def _once(into: list[str], other: list[str]) -> None:
    into.extend(item for item in other if item not in into)


def _merge_counts(into: RunLog, other: RunLog) -> None:
    into.totals.update(other.totals)
    _add_counts(into.per_rule, other.per_rule)
    _add_counts(into.exercised, other.exercised)
    _add_counts(into.per_clause, other.per_clause)
    for pair, counts in other.checks.items():
        into.checks.setdefault(pair, Counter()).update(counts)
    for pair, message in other.check_messages.items():
        into.check_messages.setdefault(pair, message)
    for rule, bands in other.examples.items():
        for band, shown in bands.items():
            mine = into.examples.setdefault(rule, {}).setdefault(band, [])
            mine.extend(shown[:max(0, EXAMPLES - len(mine))])


def _merge_failures(into: RunLog, other: RunLog) -> None:
    """As `RunLog.fail` keeps them: once per rule, check and place, the shorter request."""
    for failure in other.failures:
        into.keep(failure)
    into.occurrences.update(other.occurrences)
    distinct = Counter(f.violation.rule or "-" for f in into.failures)
    for rule, counts in into.per_rule.items():
        if distinct[rule] or "violations" in counts:
            counts["violations"] = distinct[rule]
    by_clause = Counter(f.violation.clause for f in into.failures if f.violation.clause)
    for clause, counts in into.per_clause.items():
        if by_clause[clause] or "violations" in counts:
            counts["violations"] = by_clause[clause]
    for cases, entry in other.findings.items():
        mine = into.findings.setdefault(cases, {"cases": list(cases), "observed": Counter(),
                                                "example": None})
        mine["observed"].update(entry["observed"])
        if entry["example"] is not None:
            mine["example"] = shorter(mine["example"], entry["example"])
    for fault in other.harness_faults:
        into.harness_fault(fault)


def _merge_resources(into: RunLog, other: RunLog) -> None:
    for ours, theirs in ((into.created, other.created), (into.deleted, other.deleted),
                         (into.recovered, other.recovered), (into.unknown, other.unknown),
                         (into.budget_skipped, other.budget_skipped),
                         (into.dry_run, other.dry_run), (into.unrecorded, other.unrecorded)):
        _once(ours, theirs)
    into.leaks.update(other.leaks)
    into.possibly.update(other.possibly)
    into.not_deleted.update(other.not_deleted)
    into.owed.update(other.owed)
    into.unattributed.update(other.unattributed)
    into.vanished.update(other.vanished)
    into.inherited = into.inherited or other.inherited  # settled once, by one worker
    into.ledger = into.ledger or other.ledger
    into.cleanup_wait = into.cleanup_wait or other.cleanup_wait
    if other.budget is not None:  # one budget shared by the workers: the most any saw spent
        spent = max(int(into.budget.get("spent", 0)) if into.budget else 0,
                    int(other.budget.get("spent", 0)))
        mine = into.budget or other.budget
        # The covering set ran in one worker: what any worker covered, the run covered.
        covered = sorted({*mine.get("covered", []), *other.budget.get("covered", [])})
        into.budget = {**mine, "spent": spent, "covered": covered,
                       "not_covered": sorted(set(COVER_ITEMS) - set(covered))}


def merge(into: RunLog, other: RunLog) -> None:
    """Fold the worker log `other` into `into` (the run's)."""
    firsts = [log.started + log.first_violation_s for log in (into, other)
              if log.first_violation_s is not None]  # when, on the clock
    into.started = min(into.started, other.started)
    into.first_violation_s = round(min(firsts) - into.started, 3) if firsts else None
    _merge_counts(into, other)
    _merge_failures(into, other)
    _merge_resources(into, other)
    into.interrupted = into.interrupted or other.interrupted
    into.stopped = into.stopped or other.stopped
    into.xml_error_shapes.update(other.xml_error_shapes)
    tags = [t for t in (*into.name_tag.split(", "), other.name_tag) if t]
    into.name_tag = ", ".join(dict.fromkeys(tags))
    into.size_unit = into.size_unit or other.size_unit
    into.fault = into.fault or other.fault
    into.cassette = into.cassette or other.cassette
