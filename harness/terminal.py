"""The conformance run in the terminal: the per-rule table, what was not sent, the verdict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.rules import rule_sort_key
from harness.runlog import RunLog
from harness.summary import verdict_line

__all__ = ["write_summary"]


def write_summary(write: Callable[..., None], log: RunLog, report_dir: Path | None) -> None:
    """Write the run's summary, line by line (`write` takes pytest's markup keywords)."""
    summary = log.summary()
    run = summary["run"]
    write(f"target {run['target']} ({run['endpoint']}), profile {run['profile']},"
          f" seed {run['seed']}, {run['duration_s']:.1f} s")
    write(f"{'rule':10} {'sent':>6} {'200':>6} {'4xx':>6} {'5xx':>5} {'violations':>10}")
    for rule, counts in sorted(summary["rules"].items(), key=lambda kv: rule_sort_key(kv[0])):
        write(f"{rule:10} {counts.get('sent', 0):>6} {counts.get('accepted', 0):>6}"
              f" {counts.get('rejected', 0):>6} {counts.get('server_error', 0):>5}"
              f" {counts.get('violations', 0):>10}")
    resources = summary["resources"]
    for number, why in sorted(log.leaks.items()):
        write(f"LEAKED serverImageNo {number}: {why} (ncp-harness cleanup --ledger ...)",
              red=True)
    verb = "checked" if run["target"] == "fixtures" else "sent"
    write(f"{verb} {summary['counts'].get('sent', 0)} requests; {len(summary['findings'])} open"
          f" cases observed (findings); images created {resources['created']}, deleted"
          f" {resources['deleted']}, leaked {resources['leaked']}")
    budget = summary.get("budget")
    if budget:
        write(f"create budget {budget['max_creates'] or 'unlimited'}: covered"
              f" {len(budget['covered'])} of {len(budget['covered']) + len(budget['not_covered'])}"
              " classes and boundaries" + (f"; not covered: {', '.join(budget['not_covered'])}"
                                           if budget["not_covered"] else ""))
    skipped = {k: v for k, v in summary["counts"].items() if k.startswith("skipped_")}
    if skipped:
        write("not sent: " + ", ".join(f"{v} ({k.removeprefix('skipped_')})"
                                        for k, v in skipped.items()))
    _replay_lines(summary, write)
    if log.dry_run:
        write(f"dry run: {len(log.dry_run)} requests would have been sent:")
        for line in log.dry_run:
            write(f"  {line}")
    if report_dir is not None:
        write(f"reports: {report_dir / 'report.html'}, summary.json, junit.xml")
    write(verdict_line(summary), bold=True, red=summary["verdict"] != "passed",
          green=summary["verdict"] == "passed")


def _replay_lines(summary: dict[str, Any], write: Callable[..., None]) -> None:
    """What a replay re-checked, and what it had no recording of (counted, never failed)."""
    replay = summary.get("replay")
    if not replay:
        return
    if replay["rechecked"]:
        write(f"cassette {replay['cassette']}: {replay['rechecked']} recorded exchanges"
              " re-checked against the current contract")
    if replay["recorded_failures"]:
        write(f"recorded failures sent again: {replay['recorded_failures']}, fixed"
              f" {replay['fixed']}, still failing {replay['still_failing']}")
    missing = replay["not_recorded_requests"]
    if replay["not_recorded"]:
        write(f"not recorded: {replay['not_recorded']} generated requests had no recording"
              f" ({len(missing)} distinct; counted, not failed; all in summary.json):")
        for line in missing[:10]:
            write(f"  {line[:160]}")
        if len(missing) > 10:
            write(f"  ... and {len(missing) - 10} more")
