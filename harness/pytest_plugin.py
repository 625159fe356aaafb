"""The pytest plugin: --target, --profile, --seed; the session fixture; summary and table.

Loaded through the `pytest11` entry point. Its fixtures only start a target when a test
asks for `ncp_session` (the conformance suite, `harness.suite`, or your own tests). A
target that cannot be used ends the session with exit code 2 and a message naming the
problem; a violation fails the test that found it.
"""

from __future__ import annotations

import ipaddress
import os
import random
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from harness.account import Account
from harness.cassette import SESSION, Cassette, Recorder
from harness.cleanup import cleanup, images_named
from harness.discovery import discover
from harness.errors import ConfigError, HarnessError
from harness.htmlreport import write_html
from harness.junit import write_junit
from harness.ledger import Ledger
from harness.profiles import PROFILES, register_profiles
from harness.redaction import Redactor
from harness.replay import FixtureTarget
from harness.rules import RULES, rule_sort_key
from harness.runlog import RunLog
from harness.scenario import default_scenario, load_scenario
from harness.session import ConformanceSession
from harness.sharing import RateLimit, SharedBudget, parse_rate
from harness.transport import HttpTarget, live_target, simulator_target

__all__ = ["SHIPPED_CASSETTE", "cassette_files", "ncp_session", "pytest_addoption",
           "pytest_configure"]

TARGETS = ("simulator", "live", "fixtures")
SHIPPED_CASSETTE = Path(__file__).parent / "cassettes" / "simulator"
"""What `--target fixtures` replays when no --cassette is given: the shipped recording."""
RECORDED_TESTS = {"test_recorded_exchange_keeps_the_contract": "fixtures",
                  "test_recorded_failure_is_fixed": "sent"}
LIVE_MAX_CREATES = 25
LIVE_RATE = "5/s"


_RUN_DIRS: dict[str, Path] = {}


def _run_dir() -> Path:
    """A directory every xdist worker of this run shares (one per process without xdist)."""
    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    key = uid or "local"
    if key not in _RUN_DIRS:
        if uid:
            path = Path(tempfile.gettempdir()) / "ncp-harness-runs" / uid
            path.mkdir(parents=True, exist_ok=True)
        else:
            path = Path(tempfile.mkdtemp(prefix="ncp-harness-run-"))
        _RUN_DIRS[key] = path
    return _RUN_DIRS[key]


@dataclass
class _State:
    log: RunLog | None = None
    report_dir: Path | None = None
    cassette: Cassette | None = None
    recorder: Recorder | None = None


_STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The conformance run's options."""
    group = parser.getgroup("ncp-harness", "createServerImageFromSnapshot conformance")
    group.addoption("--target", choices=TARGETS, default="simulator",
                    help="where to send requests: the embedded simulator (default), a live"
                    " account (NCLOUD_ACCESS_KEY, NCLOUD_SECRET_KEY, NCLOUD_API_GW), or"
                    " fixtures (answers from a recorded cassette, --cassette)")
    group.addoption("--profile", choices=list(PROFILES), default=None,
                    help="how hard to try: dev (default, quick), ci, nightly; replaying a"
                    " cassette, the recorded run's profile")
    group.addoption("--cassette", default=None, metavar="DIR",
                    help="a recorded run (HAR files): replayed with --target fixtures (default:"
                    " the shipped simulator recording), else its failures are sent again")
    group.addoption("--record", default=None, metavar="DIR",
                    help="record every exchange into DIR as HAR files, secrets redacted")
    group.addoption("--redact-param", action="append", default=[], metavar="NAME",
                    help="also mask this query or form parameter's value when recording")
    group.addoption("--redact-header", action="append", default=[], metavar="NAME",
                    help="also mask this request or response header's value when recording")
    group.addoption("--seed", type=int, default=None,
                    help="the Hypothesis seed (default: random, printed in the summary)")
    group.addoption("--scenario", default=None, metavar="FILE",
                    help="the simulator's scenario (TOML or JSON); simulator target only")
    group.addoption("--report-dir", default=None, metavar="DIR",
                    help="write summary.json here (ncp-harness run: reports/)")
    group.addoption("--ledger", default=None, metavar="FILE",
                    help="record every created image here as the run goes (default:"
                    " REPORT_DIR/ledger.jsonl, or reports/ledger.jsonl for a live target)")
    group.addoption("--request-timeout", type=float, default=30.0, metavar="SECONDS",
                    help="give up on one request after this long; it fails, the run goes on")
    group.addoption("--max-creates", type=int, default=None, metavar="N",
                    help="send at most N requests expected to create an image (default:"
                    f" unlimited on the simulator, {LIVE_MAX_CREATES} on a live target);"
                    " the covering set comes first")
    group.addoption("--rate", default=None, metavar="N/s",
                    help="at most this many requests a second, shared by every xdist worker"
                    f" (default: {LIVE_RATE} on a live endpoint that is not loopback)")
    group.addoption("--max-examples", type=int, default=None, metavar="N",
                    help="at most N examples per test, fewer than the profile's (replaying a"
                    " cassette: the recorded run's)")
    group.addoption("--max-time", type=float, default=None, metavar="SECONDS",
                    help="stop sending after this long; what is left is skipped")
    group.addoption("--dry-run", action="store_true", default=False,
                    help="send nothing: list every request the run would send (no headers)")
    group.addoption("--cleanup-wait", type=float, default=120.0, metavar="SECONDS",
                    help="how long cleanup waits for images still INIT (default: 120)")
    group.addoption("--yes", action="store_true", default=False,
                    help="consent to creating images on a non-loopback endpoint (or set"
                    " NCLOUD_HARNESS_YES=1)")


def pytest_configure(config: pytest.Config) -> None:
    """Markers per rule, Hypothesis profiles, and the run's state."""
    for rule in RULES:
        config.addinivalue_line("markers", f"{rule.lower().replace('-', '_')}: tests of {rule}")
    register_profiles()
    report_dir = config.getoption("--report-dir", None)
    state = _State(report_dir=Path(report_dir) if report_dir else None)
    config.stash[_STATE] = state
    target = config.getoption("--target", "simulator")
    cassette = config.getoption("--cassette", None)
    record = config.getoption("--record", None)
    try:
        if target == "fixtures" or cassette:
            state.cassette = Cassette.load(cassette or SHIPPED_CASSETTE)
        if record:
            if target == "fixtures":
                raise ConfigError("--record needs --target simulator or live; a replay"
                                  " records nothing new")
            if not hasattr(config, "workerinput"):  # the xdist controller, or no xdist
                Recorder.prepare(Path(record))
    except HarnessError as exc:
        raise pytest.UsageError(f"ncp-harness: {exc}") from None


def cassette_files(config: pytest.Config) -> list[str]:
    """The names of the cassette's files (what the recorded tests are parametrized by)."""
    state = config.stash.get(_STATE, None)
    if state is None or state.cassette is None:
        return []
    return [f.name for f in state.cassette.files]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the recorded-exchange tests only where they apply (a cassette, the right target)."""
    state = config.stash.get(_STATE, None)
    replaying = bool(config.getoption("--target") == "fixtures")

    def applies(item: pytest.Item) -> bool:
        kind = RECORDED_TESTS.get(getattr(item, "originalname", item.name))
        if kind is None:
            return True
        if state is None or state.cassette is None:
            return False
        return (kind == "fixtures") == replaying

    items[:] = [item for item in items if applies(item)]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Record a test's exchanges under its name, and write its cassette file when it ends."""
    state = item.config.stash.get(_STATE, None)
    recorder = state.recorder if state is not None else None
    if recorder is not None:
        recorder.group = item.name
    try:
        return (yield)
    finally:
        if recorder is not None:
            recorder.flush(item.name)
            recorder.group = SESSION


def _interrupt(signum: int, frame: object) -> None:
    del signum, frame
    raise KeyboardInterrupt


def _loopback(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _consented(config: pytest.Config, endpoint: str) -> bool:
    return (_loopback(endpoint) or bool(config.getoption("--yes"))
            or os.environ.get("NCLOUD_HARNESS_YES", "") in ("1", "yes", "true"))


def _ledger(config: pytest.Config, target_name: str) -> Ledger | None:
    path = config.getoption("--ledger")
    report_dir = config.stash[_STATE].report_dir
    if path:
        return Ledger(path)
    if report_dir is not None:
        return Ledger(report_dir / "ledger.jsonl")
    return Ledger(Path("reports") / "ledger.jsonl") if target_name == "live" else None


@pytest.fixture(scope="session")
def ncp_session(request: pytest.FixtureRequest) -> Iterator[ConformanceSession]:
    """A conformance session against the chosen target (started once per pytest session)."""
    config = request.config
    target_name = config.getoption("--target")
    if config.getoption("--dry-run"):
        target_name = "simulator"  # learn nothing from, and send nothing to, a live account
    state = config.stash[_STATE]
    seed = config.getoption("--seed")
    if seed is None and target_name == "fixtures" and state.cassette is not None:
        seed = state.cassette.seed  # the recorded run's seed draws the recorded requests
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    with ExitStack() as stack:
        try:
            target = _start(config, stack, target_name)
            if config.getoption("--record"):
                state.recorder = _recorder(config, target, target_name, seed)
                target.recorder = state.recorder
                stack.callback(state.recorder.flush, SESSION)
            region = (state.cassette.region if isinstance(target, FixtureTarget)
                      and state.cassette else os.environ.get("NCLOUD_REGION") or None)
            account = discover(target, region=region)
            session = _session(config, target, account, target_name, seed)
        except HarnessError as exc:
            pytest.exit(f"ncp-harness: error: {exc}", returncode=2)
        session.cassette = state.cassette
        if state.cassette is not None:
            session.log.cassette = str(state.cassette.directory)
        state.log = session.log
        if threading.current_thread() is threading.main_thread():
            # SIGTERM ends the run as Ctrl-C does, so what was created is still deleted.
            previous = signal.signal(signal.SIGTERM, _interrupt)
            stack.callback(signal.signal, signal.SIGTERM, previous)
        try:
            yield session
        finally:
            _clean(session, config.getoption("--cleanup-wait"))


def _profile(config: pytest.Config) -> str:
    profile = config.getoption("--profile")
    state = config.stash[_STATE]
    if profile is None and config.getoption("--target") == "fixtures" and state.cassette:
        profile = state.cassette.profile
    return str(profile or "dev")


def _max_examples(config: pytest.Config) -> int | None:
    count = config.getoption("--max-examples")
    state = config.stash[_STATE]
    if count is None and config.getoption("--target") == "fixtures" and state.cassette:
        count = state.cassette.max_examples
    if count is not None and count < 1:
        raise ConfigError(f"--max-examples {count}: must be 1 or more")
    return int(count) if count is not None else None


def _recorder(config: pytest.Config, target: HttpTarget, target_name: str,
              seed: int) -> Recorder:
    redactor = Redactor.of(target.credentials, config.getoption("--redact-param"),
                           config.getoption("--redact-header"))
    return Recorder(Path(config.getoption("--record")), redactor, {
        "source": target_name, "endpoint": target.endpoint, "profile": _profile(config),
        "seed": seed, "region": os.environ.get("NCLOUD_REGION") or None,
        "max_examples": config.getoption("--max-examples"),
    }, worker=os.environ.get("PYTEST_XDIST_WORKER"))


def _start(config: pytest.Config, stack: ExitStack, target_name: str) -> HttpTarget:
    scenario_path = config.getoption("--scenario")
    if target_name == "fixtures":
        target: HttpTarget = FixtureTarget("https://cassette.invalid", None, name="fixtures",
                                           cassette=config.stash[_STATE].cassette)
        stack.callback(target.close)
        return target
    if target_name == "simulator":
        scenario = load_scenario(scenario_path) if scenario_path else default_scenario()
        target = stack.enter_context(simulator_target(scenario))
    else:
        if scenario_path:
            raise HarnessError("--scenario applies to --target simulator only; a live"
                               " account's state is learned from the account")
        target = live_target()
        stack.callback(target.close)
        if not _consented(config, target.endpoint):
            raise HarnessError(f"{target.endpoint} is not a loopback address and this run"
                               " creates real server images there; pass --yes (or set"
                               " NCLOUD_HARNESS_YES=1) to consent")
    target.timeout = config.getoption("--request-timeout")
    rate = config.getoption("--rate") or (
        LIVE_RATE if target_name == "live" and not _loopback(target.endpoint) else None)
    if rate:
        target.rate = RateLimit(_run_dir() / "rate.json", parse_rate(rate))
    return target


def _session(config: pytest.Config, target: HttpTarget, account: Account, target_name: str,
             seed: int) -> ConformanceSession:
    max_creates = config.getoption("--max-creates")
    if max_creates is None and target_name == "live":
        max_creates = LIVE_MAX_CREATES
    max_time = config.getoption("--max-time")
    log = RunLog(target_name, target.endpoint, _profile(config), seed)
    return ConformanceSession(
        target, account, log, config.getoption("--scenario"), _ledger(config, target_name),
        max_creates=max_creates, dry_run=bool(config.getoption("--dry-run")),
        deadline=time.monotonic() + max_time if max_time else None,
        budget=SharedBudget(_run_dir() / "budget.json", max_creates)
        if max_creates is not None else None, first_letters=_worker_letters(),
        max_examples=_max_examples(config))


def _worker_letters() -> str:
    """Disjoint first letters per xdist worker, so two workers never pick the same name."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count < 2:
        return ""
    return "abcdefghijklmnopqrstuvwxyz"[int(worker[2:]) % 26::min(count, 26)]


def _clean(session: ConformanceSession, wait: float) -> None:
    """Delete what the run created, including images of answers that never arrived."""
    target, log, ledger = session.target, session.log, session.ledger
    if not target.creates:
        return  # a replay made nothing
    numbers = log.created + [n for n in images_named(target, session.unanswered_names())
                             if n not in log.created]
    report = cleanup(target, numbers, wait_s=wait)
    log.leaks.update(report.leaked)
    log.deleted.extend(report.deleted)
    log.totals["retries"] += target.retries
    if ledger is not None:
        for number in report.deleted:
            ledger.deleted(target.endpoint, number)
        ledger.resolved(target.endpoint, session.unanswered_names())


@pytest.hookimpl(trylast=True)  # after the session fixture's teardown (the cleanup)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write summary.json when a conformance session ran."""
    del exitstatus
    state = session.config.stash.get(_STATE, None)
    if state is None or state.log is None:
        return
    if state.log.leaks and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a leak fails the run
    if state.report_dir is not None:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        state.log.write(state.report_dir, worker)
        summary = state.log.summary()
        suffix = f"-{worker}" if worker else ""
        write_junit(summary, state.report_dir / f"junit{suffix}.xml")
        write_html(summary, state.report_dir / f"report{suffix}.html")


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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The per-rule table and the verdict, after the run."""
    state = terminalreporter.config.stash.get(_STATE, None)
    if state is None or state.log is None:
        return
    summary = state.log.summary()
    run = summary["run"]
    write = terminalreporter.write_line
    terminalreporter.section("ncp-harness conformance")
    write(f"target {run['target']} ({run['endpoint']}), profile {run['profile']},"
          f" seed {run['seed']}, {run['duration_s']:.1f} s")
    write(f"{'rule':10} {'sent':>6} {'200':>6} {'4xx':>6} {'5xx':>5} {'violations':>10}")
    for rule, counts in sorted(summary["rules"].items(), key=lambda kv: rule_sort_key(kv[0])):
        write(f"{rule:10} {counts.get('sent', 0):>6} {counts.get('accepted', 0):>6}"
              f" {counts.get('rejected', 0):>6} {counts.get('server_error', 0):>5}"
              f" {counts.get('violations', 0):>10}")
    resources = summary["resources"]
    for number, why in sorted(state.log.leaks.items()):
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
    if state.log.dry_run:
        write(f"dry run: {len(state.log.dry_run)} requests would have been sent:")
        for line in state.log.dry_run:
            write(f"  {line}")
    if state.report_dir is not None:
        write(f"reports: {state.report_dir / 'report.html'}, summary.json, junit.xml")
    verdict = ("PASSED: the contract held" if summary["verdict"] == "passed"
               else f"FAILED: {len(summary['violations'])} violation(s),"
               f" {resources['leaked']} image(s) left behind")
    write(verdict, bold=True, red=summary["verdict"] != "passed",
          green=summary["verdict"] == "passed")
