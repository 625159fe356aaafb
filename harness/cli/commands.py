"""The `ncp-harness` commands: each one carried out, its output and its exit code.

The options themselves are declared in `harness.cli.args`.

Exit codes: 0 success, 1 the service (or the judged request) broke the contract,
2 usage or configuration error (our side).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from harness.checks.response import check_answer
from harness.cli.args import build_parser, wants_json
from harness.cli.args import pytest_args as run_pytest_args
from harness.cli.clientchecks import check_traffic, fuzz_parser_command
from harness.cli.common import (
    EXIT_CONTRACT,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_OWED,
    EXIT_USAGE,
    say,
    scenario_at,
)
from harness.cli.serve import list_faults, serve
from harness.contract.oracle import Outcome, judge
from harness.contract.probe import Probe
from harness.contract.wire import decode
from harness.core.errors import ConfigError, HarnessError
from harness.core.plain import block, json_text, one_line
from harness.core.scrub import SECRETS
from harness.custody.carry import settle_earlier
from harness.custody.cleanup import CleanupReport, Waiting, settle
from harness.custody.ledger import Ledger, ledger_key
from harness.pytest_plugin import know_the_keys, run_verdict, setup_error
from harness.report.html import write_html
from harness.report.summary import Comparison, compare, load_summaries, load_summary
from harness.run.options import writable_directory
from harness.run.preflight import preflight
from harness.run.runsetup import (
    LiveOptions,
    check_before_run,
    require_consent,
    simulator_only,
)
from harness.targets.discovery import discover
from harness.targets.transport import live_target, simulator_target

__all__ = ["main"]



def _judge(query: str, *, as_json: bool, scenario: str | None) -> int:
    verdict = judge(decode(query), scenario_at(scenario).account)
    if as_json:
        print(json_text({
            "outcome": verdict.outcome.value,
            "breaches": [{"rule": b.rule, "clause": b.clause, "path": b.path,
                          "message": b.message}
                         for b in verdict.breaches],
            "open_cases": [{"case": c.case, "path": c.path, "message": c.message}
                           for c in verdict.open_cases],
        }, indent=2))
    else:
        say(verdict.outcome.value)
        for b in verdict.breaches:
            say(f"  {b.clause:11} {b.path}: {b.message}")
        for c in verdict.open_cases:
            say(f"  {c.case:9} {c.path}: {c.message}")
    return EXIT_CONTRACT if verdict.outcome is Outcome.REJECT else EXIT_OK


class _Started:
    """A plugin that keeps pytest's config, to ask the harness plugin how the run started."""

    config: pytest.Config | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config


def _run(args: argparse.Namespace) -> int:
    report_dir = writable_directory(Path(args.report_dir).resolve())
    check_before_run(args.target, scenario_path=args.scenario, fault=args.fault, yes=args.yes,
                     cassette=getattr(args, "cassette", None), dry_run=args.dry_run,
                     live=LiveOptions(args.site, args.request_timeout))
    pytest_args = run_pytest_args(args, report_dir)
    started = _Started()
    if args.format == "json":
        summary = report_dir / "summary.json"
        before = summary.stat().st_mtime_ns if summary.exists() else None
        with contextlib.redirect_stdout(sys.stderr):  # pytest's own output goes to stderr
            code = int(pytest.main(pytest_args, plugins=[started]))
        if summary.exists() and summary.stat().st_mtime_ns != before:  # this run's, not older
            print(summary.read_text(encoding="utf-8"))
    else:
        code = int(pytest.main(pytest_args, plugins=[started]))
    error = setup_error(started.config) if started.config is not None else None
    if error is not None:  # found once pytest had started (the endpoint went away, say)
        raise HarnessError(error)
    verdict = run_verdict(started.config) if started.config is not None else None
    if verdict == "incomplete":
        return EXIT_OK if args.allow_incomplete else EXIT_INCOMPLETE
    return {0: EXIT_OK, 1: EXIT_CONTRACT}.get(code, EXIT_USAGE)


def _report(report_dir: str, compare_with: str | None, fmt: str, *,
            allow_coverage_drop: bool = False) -> int:
    directory = Path(report_dir)
    current = load_summary(directory / "summary.json")
    comparison = None
    first_night = False
    if compare_with:
        here = (directory / "summary.json").resolve()
        earlier = [s for s in load_summaries(compare_with, missing_ok=True)
                   if Path(s["_path"]).resolve() != here]
        first_night = not earlier  # no history yet: nothing to compare, and no failure
        comparison = compare(earlier, current) if earlier else None
    page = write_html(current, directory / "report.html", comparison)
    if fmt == "json":
        print(json_text({"verdict": current["verdict"], "report": str(page),
                          "violations": len(current["violations"]),
                          "comparison": comparison.as_dict() if comparison else None,
                          "first_night": first_night},
                         indent=2))
    else:
        _print_report(current, comparison, page)
        if first_night:
            say(f"first night: nothing to compare ({compare_with} holds no earlier"
                " summary.json yet); the next run compares with this one")
    if comparison is None:
        return EXIT_OK
    dropped = comparison.coverage_dropped and not allow_coverage_drop
    return EXIT_CONTRACT if comparison.new or dropped else EXIT_OK


def _print_report(current: dict[str, Any], comparison: Comparison | None, page: Path) -> None:
    run = current["run"]
    say(f"run {run['started']} ({run['target']}, seed {run['seed']}):"
          f" {current['verdict'].upper()}, {len(current['violations'])} violation(s),"
          f" {len(current['findings'])} finding(s)")
    if comparison is not None:
        say(f"compared with {comparison.previous}: new {len(comparison.new)}, fixed"
              f" {len(comparison.fixed)}, persisting {len(comparison.persisting)}")
        for word, items in (("NEW", comparison.new), ("FIXED", comparison.fixed),
                            ("PERSISTS", comparison.persisting)):
            for v in items:
                where = f" at {v['path']}" if v.get("path") else ""
                say(f"  {word:9} [{v.get('rule') or '-'}] {v['check']}{where}: {v['message']}")
        if comparison.coverage_dropped:
            lost = [*comparison.clauses_lost, *comparison.classes_lost]
            say(f"  COVERAGE DROPPED: {len(comparison.clauses_lost)} clause(s) and"
                f" {len(comparison.classes_lost)} class(es) judged last time were not judged"
                f" now: {', '.join(lost[:20])}{' ...' if len(lost) > 20 else ''}")
        say("trend (violations, clauses covered; oldest first): " + " | ".join(
            f"{str(t['started'])[:16]} {t['violations']}, {t['clauses_covered']}/{t['clauses']}"
            for t in comparison.trend))
    say(f"report: {page}")


def _cleanup(ledger_path: str, wait: float, *, dry_run: bool = False,
             site: str | None = None) -> int:
    if not Path(ledger_path).exists():
        raise ConfigError(f"--ledger {ledger_path}: no such file")
    if not Ledger(ledger_path).state().owes:
        say(f"{ledger_path}: nothing left to delete")
        return EXIT_OK
    target = live_target(site=site)
    # Read again with the seal of the key pair the run wrote it with: an edited line, or one
    # written with other keys, proves nothing and is only listed.
    ledger = Ledger(ledger_path, ledger_key(target.credentials))
    with contextlib.closing(target):
        state = ledger.state()
        foreign = sorted({run.record.endpoint for run in state.runs if run.owes}
                         - {target.endpoint})
        if foreign and not any(run.owes and run.record.endpoint == target.endpoint
                               for run in state.runs):
            raise ConfigError(f"the ledger's images live on {', '.join(foreign)}, but"
                              f" NCLOUD_API_GW points at {target.endpoint}; set"
                              " NCLOUD_API_GW to that endpoint and run again")
        if dry_run:
            report = CleanupReport()
            for run in state.runs:
                if run.owes and run.record.endpoint == target.endpoint:
                    report.merge(settle(target, run, ledger, waiting=Waiting(wait),
                                        dry_run=True))
            left = list(state.unprovable)
        else:
            inherited = settle_earlier(target, ledger, waiting=Waiting(wait))
            report, left = inherited.report, inherited.left
    _print_cleanup(report, left, dry_run=dry_run)
    if dry_run:
        return EXIT_OK
    if not report.clean or report.refused or left:
        return EXIT_CONTRACT
    return EXIT_OWED if report.owed else EXIT_OK


def _print_cleanup(report: CleanupReport, unprovable: list[str], *, dry_run: bool) -> None:
    if dry_run:
        say(f"dry run: would delete {len(report.would_delete)} image(s)"
              + (f": {', '.join(report.would_delete)}" if report.would_delete else ""))
    else:
        say(f"deleted {len(report.deleted)} image(s) of"
              f" {len(report.deleted) + len(report.leaked) + len(report.owed)}")
    for number in report.recovered:
        say(f"found by a listing: serverImageNo {number} (its create's answer named no image)")
    for effect in report.side_effects:
        say(f"violation [SEED-S5] {effect.violation.check}: {effect.violation.message}")
    for number, why in sorted(report.owed.items()):
        say(f"owed: serverImageNo {number}: {why}; run this command again later")
    for number, why in sorted(report.vanished.items()):
        say(f"vanished: serverImageNo {number}: {why}")
    for number, why in sorted(report.leaked.items()):
        say(f"left behind: serverImageNo {number}: {why}")
    for number, why in sorted(report.refused.items()):
        say(f"refused: serverImageNo {number}: {why}; not deleted")
    for _, why in sorted(report.possibly.items()):
        say(f"possibly created, check by hand: {why}")
    for _, why in sorted(report.unattributed.items()):
        say(f"unattributed, not deleted: {why}")
    for line in report.unknown:
        say(f"accepted create whose image is unknown: {line}")
    for line in unprovable:
        say(f"not acted on: {line}")


def _send(wire: str, method: str, target_name: str, scenario: str | None, *,
          yes: bool = False, fault: str | None = None, site: str | None = None) -> int:
    with ExitStack() as stack:
        if target_name == "simulator":
            target = stack.enter_context(simulator_target(scenario_at(scenario, site),
                                                          fault=fault))
        else:
            simulator_only(None, fault)
            target = live_target(site=site)
            stack.callback(target.close)
            require_consent(target.endpoint, yes=yes)  # before anything is sent
        account = discover(target)
        probe = Probe(decode(wire), "POST" if method == "POST" else "GET", "send", (), raw=wire)
        verdict = judge(probe.params, account)
        answer = target.send(probe)
        result = check_answer(probe, verdict, answer, account)
        say(f"oracle: {verdict}")
        say(f"answer: {answer.status} {answer.header('Content-Type')}")
        print(SECRETS.text(block(answer.body.decode("utf-8", "replace")[:2000])))
        for violation in result.violations:
            say(f"VIOLATION {violation}")
        for finding in result.findings:
            say(f"finding [{', '.join(finding.cases)}] {finding.message}")
        if result.ok:
            say("checks: the answer keeps the contract")
        if target_name == "live" and answer.status == 200 and result.body is not None:
            say("note: this request created an image on the live account; delete it with"
                  " deleteServerImage", file=sys.stderr)
        return EXIT_CONTRACT if result.violations else EXIT_OK


def _preflight(args: argparse.Namespace) -> int:
    target_name, scenario_file, max_creates = args.target, args.scenario, args.max_creates
    fmt, ledger, check_create, site = args.format, args.ledger, args.check_create, args.site
    timeout: float = args.request_timeout
    region = os.environ.get("NCLOUD_REGION") or None
    with ExitStack() as stack:
        if target_name == "live":
            target = stack.enter_context(contextlib.closing(live_target(site=site)))
        else:
            target = stack.enter_context(simulator_target(scenario_at(scenario_file, site)))
        target.timeout = timeout
        custody = (Ledger(ledger, ledger_key(target.credentials))
                   if check_create and ledger else None)
        result = preflight(target, max_creates=max_creates, region=region, now=time.time,
                           check_create=check_create, ledger=custody)
        if ledger and Path(ledger).is_file():
            result.debts(Ledger(ledger).state())
    if fmt == "json":
        print(SECRETS.text(json_text(result.as_dict(), indent=2)))
    else:
        for line in result.lines():
            say(SECRETS.text(one_line(line)))
        ready = ("ready: run `ncp-harness run --target live --yes` when you are"
                 if target_name == "live" else "ready (the embedded simulator): try"
                 " `ncp-harness run`; for an account, run preflight with --target live")
        say({0: ready,
              1: "the neighbour answers above break the contract; a run would report them",
              2: "a run could not start: fix the PROBLEM lines first"}[result.exit_code])
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    know_the_keys()  # every command masks the environment's key pair from its first line
    parser = build_parser(json_errors=wants_json(argv))
    args = parser.parse_args(argv)
    restore = _stoppable()
    try:
        return _dispatch(args, parser)
    except HarnessError as exc:
        say(f"ncp-harness: error: {exc}", file=sys.stderr)
        if getattr(args, "format", "text") == "json":  # standard output stays JSON
            print(SECRETS.text(json_text({"error": one_line(exc), "exit": EXIT_USAGE})))
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM, in any command: one line, exit 2
        say(f"ncp-harness {args.command or ''}: interrupted (Ctrl-C or SIGTERM); not"
            " finished", file=sys.stderr)
        if getattr(args, "format", "text") == "json":
            print(json.dumps({"error": "interrupted", "exit": EXIT_USAGE}))
        return EXIT_USAGE
    finally:
        restore()


def _dispatch(args: argparse.Namespace,  # noqa: PLR0911 - a return per command
              parser: argparse.ArgumentParser) -> int:
    """The command's own work."""
    if args.command == "judge":
        return _judge(args.query, as_json=args.json, scenario=args.scenario)
    if args.command in ("run", "record"):
        return _run(args)
    if args.command == "report":
        return _report(args.report_dir, args.compare, args.format,
                       allow_coverage_drop=args.allow_coverage_drop)
    if args.command == "cleanup":
        return _cleanup(args.ledger, args.wait, dry_run=args.dry_run, site=args.site)
    if args.command == "send":
        return _send(args.wire, args.method, args.target, args.scenario, yes=args.yes,
                     site=args.site, fault=args.fault)
    if args.command == "preflight":
        return _preflight(args)
    if args.command == "check-traffic":
        return check_traffic(args.file, args.scenario, args.format)
    if args.command == "fuzz-parser":
        return fuzz_parser_command(args)
    if args.command == "serve" and args.list_faults:
        return list_faults()
    if args.command == "serve":
        return serve(args.host, args.port, scenario_at(args.scenario, args.site),
                     verbose=args.verbose, fault=args.fault)
    parser.print_help()
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    del signum, frame
    raise KeyboardInterrupt


def _stoppable() -> Callable[[], None]:
    """SIGTERM stops a command as Ctrl-C does; a Ctrl-C ignored by the parent works again.

    A job started with `&` in a script inherits SIGINT ignored: the default handler is put
    back, so Ctrl-C (or kill -INT) stops it at once instead of waiting out a timeout. A run
    installs its own handlers on top of these (so that it still cleans up). Returns what
    puts the handlers found back (a caller in-process keeps its own).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    if before[signal.SIGINT] is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)

    def restore() -> None:
        for sig, handler in before.items():
            if handler is not None:  # None: a handler not set from Python, left as it is
                signal.signal(sig, handler)

    return restore


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
