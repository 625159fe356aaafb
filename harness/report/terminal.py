"""The conformance run in the terminal: the per-rule table, what was not sent, the verdict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.contract.rules import rule_sort_key
from harness.core.plain import one_line
from harness.core.scrub import SECRETS
from harness.report.summary import TONE, owed_line, verdict_line
from harness.run.runlog import RunLog

__all__ = ["write_summary"]


def write_summary(out: Callable[..., None], log: RunLog, report_dir: Path | None) -> None:
    """Write the run's summary, line by line (`out` takes pytest's markup keywords)."""

    def write(line: str, **markup: bool) -> None:
        out(SECRETS.text(one_line(line)), **markup)  # service text: no escapes, one line

    summary = log.summary()
    run = summary["run"]
    write(f"target {run['target']} ({run['endpoint']}), profile {run['profile']},"
          f" seed {run['seed']}, {run['duration_s']:.1f} s"
          + (f", FAULT {run['fault']} (a simulator with this bug on purpose)"
             if run.get("fault") else ""))
    write(f"{'rule':10} {'sent':>6} {'200':>6} {'4xx':>6} {'5xx':>5} {'violations':>10}"
          f"  {'(answers)':>9}")
    for rule, counts in sorted(summary["rules"].items(), key=lambda kv: rule_sort_key(kv[0])):
        seen = counts.get("occurrences", 0)
        write(f"{rule:10} {counts.get('sent', 0):>6} {counts.get('accepted', 0):>6}"
              f" {counts.get('rejected', 0):>6} {counts.get('server_error', 0):>5}"
              f" {counts.get('violations', 0):>10}  {f'({seen})' if seen else '':>9}")
    if any(c.get("server_error") for r, c in summary["rules"].items() if r != "SEED-S5"):
        write("a 5xx answer is a violation of SEED-S5 (never a server error), whatever rule"
              " its request exercised: see the SEED-S5 row")
    resources = summary["resources"]
    verb = "checked" if run["target"] == "fixtures" else "sent"
    write(f"{verb} {summary['counts'].get('sent', 0)} requests; {len(summary['findings'])} open"
          f" cases observed (findings); images created {resources['created']}, deleted"
          f" {resources['deleted']}, leaked {resources['leaked']}"
          + (f", unknown {resources['unknown']}" if resources.get("unknown") else "")
          + "".join(f", {what} {len(resources[key])}" for key, what in (
              ("possibly_created", "possibly created"), ("owed", "owed"))
              if resources.get(key)))
    clauses = summary.get("clauses") or {}
    if clauses:
        missing = [c for c, row in clauses.items() if not row["covered"]]
        write(f"clauses covered: {len(clauses) - len(missing)} of {len(clauses)}"
              + (f"; not covered: {', '.join(missing)}" if missing else ""))
    if run.get("name_tag"):
        tags = run["name_tag"].split(", ")
        write(f"image names of this run carry the tag{'s' if len(tags) > 1 else ''} "
              + ", ".join(repr(t) for t in tags))
    if run.get("volume_size_unit"):
        write(f"getBlockStorageVolumeTypeList gave volume sizes in {run['volume_size_unit']}"
              " (learned; requests give GB)")
    for seen in summary.get("xml_error_shapes") or []:
        write(f"XML error body seen {seen['seen']} time(s): {seen['shape']} ("
              + ("the shape the harness assumes" if seen["as_assumed"] else
                 "not the shape the harness assumes: report it, XML refusals are judged"
                 " by it") + ")")
    _resource_lines(summary, write)
    for fault in summary.get("harness_errors", []):
        write(f"HARNESS ERROR in {fault['test']}: {fault['error']} (not a pass; the run's"
              " verdict is error)", red=True)
    _budget_lines(summary, write)
    hiccups = summary["counts"].get("service_hiccups", 0)
    if hiccups:
        write(f"service hiccups: {hiccups} (HTTP 500, returnCode 1000, 'Please try your call"
              " again later'): reads retried, creates looked for in a listing; never a violation")
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
    tone = TONE[summary["verdict"]]
    write(verdict_line(summary), bold=True, red=tone == "bad", green=tone == "good",
          yellow=tone == "partial")


def _resource_lines(summary: dict[str, Any], write: Callable[..., None]) -> None:
    """Every image the run could not account for, each on its own line, in red."""
    resources = summary["resources"]
    for number, why in sorted(resources["left_behind"].items()):
        write(f"LEAKED serverImageNo {number}: {why} (ncp-harness cleanup --ledger ...)",
              red=True)
    unknown = resources.get("unknown_creates", [])
    if unknown:
        write(f"{len(unknown)} accepted create(s) whose images are unknown:", red=True)
        for line in unknown:
            write(f"  {line}", red=True)
    for _, why in sorted(resources.get("possibly_created", {}).items()):
        write(f"POSSIBLY CREATED, check by hand: {why}", red=True)
    for number, why in sorted(resources.get("not_deleted", {}).items()):
        write(f"NOT DELETED (not proven the run's): serverImageNo {number}: {why}", red=True)
    for number, why in sorted((resources.get("owed") or {}).items()):
        write(f"OWED serverImageNo {number}: {why}", yellow=True)
    if (owed := owed_line(summary)) is not None:
        write(owed, yellow=True)
    for _, why in sorted((resources.get("unattributed") or {}).items()):
        write(f"UNATTRIBUTED, not deleted: {why}", yellow=True)
    for number, why in sorted((resources.get("vanished") or {}).items()):
        write(f"vanished serverImageNo {number}: {why}")
    inherited = resources.get("inherited") or {}
    if inherited.get("runs"):
        write(f"settled first, from the ledger: {len(inherited['runs'])} earlier run(s),"
              f" {len(inherited.get('deleted', []))} image(s) deleted,"
              f" {inherited.get('owed', 0)} still owed (charged to this run's budget)")
    for line in inherited.get("check_by_hand", []):
        write(f"earlier run, check by hand: {line}", yellow=True)


def _budget_lines(summary: dict[str, Any], write: Callable[..., None]) -> None:
    """What the create budget covered, and which tests it cut short."""
    budget = summary.get("budget")
    if not budget:
        return
    covered, not_covered = budget.get("covered", []), budget.get("not_covered", [])
    ceiling = budget.get("max_creates")
    spent = f", {budget['spent']} spent" if budget.get("spent") is not None else ""
    share = (f" (valid requests may use {ceiling - budget.get('reserve', 0)})"
             if ceiling is not None else "")
    write(f"create budget {ceiling if ceiling is not None else 'unlimited'}{spent}{share}:"
          f" covered {len(covered)} of {len(covered) + len(not_covered)} classes and"
          " boundaries" + (f"; not covered: {', '.join(not_covered)}" if not_covered else ""))
    plan = budget.get("plan")
    if plan:
        unplanned = sum(1 for quota in plan["quotas"].values() if not quota)
        write(f"budget plan: {plan['planned']} creates planned (covering set {plan['cover']},"
              f" generated examples {plan['generated']}), {plan['kept']} kept for breakers in"
              f" flight and isolation; spent {budget.get('spent', '?')}"
              + (f"; {unplanned} creating test(s) not bought (not sent)" if unplanned else ""))
    skipped = budget.get("skipped_tests", [])
    if budget.get("source") == "live default":
        cut = bool(skipped) or bool(summary["counts"].get("skipped_max_creates"))
        write(f"the live default create budget ({ceiling}) applied, to this endpoint too"
              " (loopback may be a proxy to a paying account): pass --max-creates N to set"
              " one" + ("; it cut this run short" if cut else ""), bold=True, red=cut,
              yellow=not cut)
    if skipped:
        write(f"budget spent: {len(skipped)} test(s) skipped before their end (not passed):")
        for test in skipped[:10]:
            write(f"  {test}")
        if len(skipped) > 10:
            write(f"  ... and {len(skipped) - 10} more (all in summary.json)")


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
