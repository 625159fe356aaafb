"""The pytest plugin: --target, --profile, --seed; the session fixture; summary and table.

Loaded through the `pytest11` entry point. Its fixtures only start a target when a test
asks for `ncp_session` (the conformance suite, `harness.suite`, or your own tests). A
target that cannot be used ends the session with exit code 2 and a message naming the
problem; a violation fails the test that found it.
"""

from __future__ import annotations

import os
import random
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Any

import pytest

from harness.client.clientfixtures import ncp_conformance, ncp_conformance_requests
from harness.contract.rules import RULES
from harness.core.errors import ConfigError, HarnessError
from harness.core.plain import one_line
from harness.core.scrub import SECRETS
from harness.core.signing import Credentials
from harness.pytest_state import STATE, State
from harness.pytest_xdist import hand_over, note_lost_workers, worker_seed
from harness.recording.cassette import SESSION, SHIPPED_CASSETTE, Cassette, Recorder
from harness.report.formats import write_reports
from harness.report.progress import Progress
from harness.report.terminal import write_summary
from harness.run.failures import Failure, HarnessFault
from harness.run.options import add_to_pytest, writable_directory
from harness.run.profiles import register_profiles
from harness.run.recorded import RecordedRun
from harness.run.runlog import RunLog
from harness.run.runsetup import (
    Drawn,
    clean,
    name_tag,
    new_session,
    recorder_for,
    start_target,
    worker_of,
)
from harness.run.session import ConformanceSession, RunStopped
from harness.targets.discovery import discover
from harness.targets.replay import FixtureTarget

__all__ = [
    "cassette_files",
    "fail_on_violation",
    "know_the_keys",
    "ncp_conformance",
    "ncp_conformance_requests",
    "ncp_recorded",
    "ncp_session",
    "pytest_addoption",
    "pytest_configure",
    "setup_error",
]

pytest_plugins = ("harness.pytest_xdist",)  # one run across pytest-xdist workers

TARGETS = ("simulator", "live", "fixtures")
RECORDED_TESTS = {"test_recorded_exchange_keeps_the_contract": "fixtures",
                  "test_recorded_failure_is_fixed": "sent"}




def pytest_addoption(parser: pytest.Parser) -> None:
    """The conformance run's options."""
    group = parser.getgroup("ncp-harness", "createServerImageFromSnapshot conformance")
    group.addoption("--target", choices=TARGETS, default="simulator",
                    help="where to send requests: the embedded simulator (default), a live"
                    " account (NCLOUD_ACCESS_KEY, NCLOUD_SECRET_KEY, NCLOUD_API_GW), or"
                    " fixtures (answers from a recorded cassette, --cassette)")
    group.addoption("--progress", choices=("auto", "on", "off"), default="auto",
                    help="a progress bar (tests, requests, violations); auto: on a terminal"
                    " when pytest is not verbose")
    group.addoption("--cassette", default=None, metavar="DIR",
                    help="a recorded run (HAR files): replayed with --target fixtures (default:"
                    " the shipped simulator recording), else its failures are sent again")
    group.addoption("--record", default=None, metavar="DIR",
                    help="record every exchange into DIR as HAR files, secrets redacted")
    group.addoption("--redact-param", action="append", default=[], metavar="NAME",
                    help="also mask this query or form parameter's value when recording")
    group.addoption("--redact-header", action="append", default=[], metavar="NAME",
                    help="also mask this request or response header's value when recording")
    group.addoption("--report-dir", default=None, metavar="DIR",
                    help="write summary.json here (ncp-harness run: reports/)")
    add_to_pytest(group)


def know_the_keys() -> None:
    """Mask the key pair of the environment in everything this process writes, from the start."""
    try:
        credentials = Credentials.from_env()
    except HarnessError:
        return  # the target says so, by name, when it starts
    if credentials is not None:
        SECRETS.key(credentials.access_key)
        SECRETS.key(credentials.secret_key)


def run_verdict(config: pytest.Config) -> str | None:
    """This run's verdict (passed, failed, incomplete...), or None when no session ran."""
    state = config.stash.get(STATE, None)
    return state.log.verdict if state is not None and state.log is not None else None


def setup_error(config: pytest.Config) -> str | None:
    """Why this run's conformance session could not start, or None (it started, or none ran)."""
    state = config.stash.get(STATE, None)
    return state.error if state is not None else None


def pytest_unconfigure(config: pytest.Config) -> None:
    """Pytest's own junit file, scrubbed: its failures quote what services sent.

    A run whose session could not start leaves the junit file of the run before it as it
    was (or none), not an empty one that says nothing ran.
    """
    path = getattr(config.option, "xmlpath", None)
    state = config.stash.get(STATE, None)
    if path and state is not None and state.error is not None:
        if state.junit_before is not None:
            Path(path).write_bytes(state.junit_before)
        else:
            Path(path).unlink(missing_ok=True)
        return
    if not path or not Path(path).is_file():
        return
    text = Path(path).read_text(encoding="utf-8", errors="surrogateescape")
    clean = SECRETS.text(text)
    if clean != text:
        Path(path).write_text(clean, encoding="utf-8", errors="surrogateescape")


def pytest_configure(config: pytest.Config) -> None:
    """Markers per rule, Hypothesis profiles, and the run's state."""
    know_the_keys()
    for rule in RULES:
        config.addinivalue_line("markers", f"{rule.lower().replace('-', '_')}: tests of {rule}")
    register_profiles()
    report_dir = config.getoption("--report-dir", None)
    state = State()
    config.stash[STATE] = state
    state.seed = worker_seed(config)
    xmlpath = getattr(config.option, "xmlpath", None)
    if xmlpath and Path(xmlpath).is_file():
        state.junit_before = Path(xmlpath).read_bytes()
    target = config.getoption("--target", "simulator")
    cassette = config.getoption("--cassette", None)
    record = config.getoption("--record", None)
    try:
        if report_dir:
            state.report_dir = writable_directory(Path(report_dir))  # before anything is sent
        if target == "fixtures" or cassette:
            state.cassette = Cassette.load(cassette or SHIPPED_CASSETTE)
        if record:
            if target == "fixtures":
                raise ConfigError("--record needs --target simulator or live; a replay"
                                  " records nothing new")
            if not hasattr(config, "workerinput"):  # the xdist controller, or no xdist
                Recorder.prepare(Path(record))
    except HarnessError as exc:
        raise pytest.UsageError(SECRETS.text(f"ncp-harness: {one_line(exc)}")) from None


def cassette_files(config: pytest.Config) -> list[str]:
    """The names of the cassette's files (what the recorded tests are parametrized by)."""
    state = config.stash.get(STATE, None)
    if state is None or state.cassette is None:
        return []
    return [f.name for f in state.cassette.files]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the recorded-exchange tests only where they apply (a cassette, the right target)."""
    state = config.stash.get(STATE, None)
    replaying = bool(config.getoption("--target") == "fixtures")

    def applies(item: pytest.Item) -> bool:
        kind = RECORDED_TESTS.get(getattr(item, "originalname", item.name))
        if kind is None:
            return True
        if state is None or state.cassette is None:
            return False
        return (kind == "fixtures") == replaying

    items[:] = [item for item in items if applies(item)]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the progress bar once the tests to run are known."""
    config = session.config
    state = config.stash.get(STATE, None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    mode = config.getoption("--progress")
    if state is None or reporter is None or mode == "off" or not any(
            "ncp_session" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    if mode == "auto" and not (reporter.isatty and config.get_verbosity() <= 0):
        return

    def counts() -> tuple[int, int]:
        log = state.log
        return (log.totals["sent"], len(log.failures)) if log is not None else (0, 0)

    state.progress = Progress(reporter.rewrite, len(session.items), counts)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """One more test on the progress bar, once it has run and reported."""
    del nextitem
    try:
        return (yield)
    finally:
        state = item.config.stash.get(STATE, None)
        if state is not None and state.progress is not None:
            state.progress.test_done()


@pytest.hookimpl(wrapper=True)
def pytest_report_teststatus(config: pytest.Config) -> Generator[None, Any, Any]:
    """With the progress bar on, no per-test letters (the bar says it all)."""
    result = yield
    state = config.stash.get(STATE, None)
    if state is not None and state.progress is not None and isinstance(result, tuple):
        return (result[0], "", result[2])
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """An exception a conformance test did not turn into a verdict is a harness fault."""
    report = yield
    state = item.config.stash.get(STATE, None)
    error = call.excinfo.value if call.excinfo is not None else None
    if (state is not None and state.log is not None and call.when == "call" and report.failed
            and error is not None and "ncp_session" in getattr(item, "fixturenames", ())
            and not isinstance(error, (pytest.fail.Exception, pytest.skip.Exception,
                                       AssertionError))):  # a test's own assert is its verdict
        state.log.harness_fault(HarnessFault.of(item.nodeid, None, error))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Record a test's exchanges under its name, and write its cassette file when it ends.

    A RunStopped (the gateway says the key may not create images here) ends the whole run
    with exit 2 and its message; the session's teardown still settles what was sent.
    """
    state = item.config.stash.get(STATE, None)
    recorder = state.recorder if state is not None else None
    if recorder is not None:
        recorder.group = item.name
    try:
        return (yield)
    except RunStopped as stop:  # the key may not create here: a configuration error, exit 2
        if state is not None:
            state.error = SECRETS.text(str(stop))
        pytest.exit(f"ncp-harness: error: {SECRETS.text(str(stop))}", returncode=2)
    finally:
        if recorder is not None:
            recorder.flush(item.name)
            recorder.group = SESSION


@pytest.hookimpl(wrapper=True, trylast=True)  # inside the terminal's: before its last word
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """Draw the progress bar's last frame once the tests and the cleanup are done."""
    try:
        return (yield)
    finally:
        state = session.config.stash.get(STATE, None)
        if state is not None and state.progress is not None:
            state.progress.finish()  # pytest's own closing lines end its line


def _interrupter(log: RunLog) -> Callable[[int, object], None]:
    """A SIGTERM/SIGINT handler that stops the run as Ctrl-C does, and says so in its log.

    The flag is what counts: an exception raised by a signal handler is lost when the
    signal lands in a finalizer (Python prints "Exception ignored" and goes on), so the
    session raises again at its next exchange and the verdict is `interrupted` whatever.
    """
    def interrupt(signum: int, frame: object) -> None:
        del signum, frame
        log.interrupted = True
        raise KeyboardInterrupt

    return interrupt


def _say_plan(config: pytest.Config, session: ConformanceSession) -> None:
    """Print the budget plan before the first create (an xdist worker's is not shown)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if session.plan is None or reporter is None:
        return
    with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
        reporter.write_line("")
        for line in session.plan.lines():
            reporter.write_line(line)


def fail_on_violation(failure: Failure | HarnessFault | None) -> None:
    """Fail the calling test with the violation's card (rule, clause, request, reproduce).

    For a user's own test built on `ncp_session`: `fail_on_violation(ncp_session.exercise(
    strategy, request.node.nodeid))`. None (nothing broke) returns; a harness error fails
    the test as the harness's, never the service's.
    """
    if isinstance(failure, HarnessFault):
        pytest.fail(f"HARNESS ERROR, not the service's: {failure.render()}", pytrace=False)
    if failure is not None:
        pytest.fail(failure.render(), pytrace=False)


@pytest.fixture(scope="session")
def ncp_session(request: pytest.FixtureRequest) -> Iterator[ConformanceSession]:
    """A conformance session against the chosen target (started once per pytest session)."""
    config = request.config
    target_name = config.getoption("--target")
    if config.getoption("--dry-run"):
        target_name = "simulator"  # learn nothing from, and send nothing to, a live account
    state = config.stash[STATE]
    seed = state.seed
    if seed is None and target_name == "fixtures" and state.cassette is not None:
        seed = state.cassette.seed  # the recorded run's seed draws the recorded requests
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    with ExitStack() as stack:
        try:
            target = start_target(config, stack, target_name, state.cassette)
            tag = name_tag(target_name, seed, state.cassette, worker_of(config))
            if config.getoption("--record"):
                state.recorder = recorder_for(config, target, target_name, seed, tag)
                target.recorder = state.recorder
                stack.callback(state.recorder.flush, SESSION)
            region = (state.cassette.region if isinstance(target, FixtureTarget)
                      and state.cassette else os.environ.get("NCLOUD_REGION") or None)
            account = discover(target, region=region)
            session = new_session(config, target, account, target_name, Drawn(
                seed, tag, state.cassette, tuple(item.nodeid for item in request.session.items)))
        except HarnessError as exc:
            state.error = SECRETS.text(one_line(exc))
            pytest.exit(f"ncp-harness: error: {state.error}", returncode=2)
        state.log = session.log
        if state.recorder is not None:  # runs before the session file's last flush
            recorder = state.recorder
            stack.callback(lambda: recorder.meta.update(verdict=session.log.verdict))
        _say_plan(config, session)
        if state.progress is not None:
            session.log.listener = state.progress.refresh
        if threading.current_thread() is threading.main_thread():
            # SIGTERM ends the run as Ctrl-C does, so what was created is still deleted; and
            # Ctrl-C does even when the run was started with SIGINT ignored (a CI runner's).
            for sig in (signal.SIGTERM, signal.SIGINT):
                stack.callback(signal.signal, sig,
                               signal.signal(sig, _interrupter(session.log)))
        try:
            yield session
        finally:
            clean(session, config.getoption("--cleanup-wait"))


@pytest.fixture(scope="session")
def ncp_recorded(ncp_session: ConformanceSession) -> RecordedRun:
    """The recorded run (--cassette) judged or resent through the session."""
    if ncp_session.cassette is None:
        pytest.skip("no cassette: pass --cassette DIR (or --target fixtures)")
    return RecordedRun(ncp_session, ncp_session.cassette)


@pytest.hookimpl(trylast=True)  # after the session fixture's teardown (the cleanup)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write summary.json when a conformance session ran."""
    state = session.config.stash.get(STATE, None)
    if state is None:
        return
    note_lost_workers(state, session.config)  # may make the log: every worker was lost
    if state.log is None:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop:
        state.log.interrupted = True  # Ctrl-C or SIGTERM: whatever it found, never a pass
    verdict = state.log.verdict
    if verdict == "error":
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR  # the harness could not judge
    elif verdict == "failed" and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a leak, an image unaccounted for
    elif (verdict == "incomplete" and session.exitstatus == pytest.ExitCode.OK
          and not session.config.getoption("--allow-incomplete")):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # not a pass: never read as one
    if hand_over(session.config, state.log):  # an xdist worker: the controller reports
        return
    if state.report_dir is not None:
        state.log.write(state.report_dir)
        write_reports(state.log.summary(), state.report_dir)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The per-rule table and the verdict, after the run."""
    state = terminalreporter.config.stash.get(STATE, None)
    if state is None or state.log is None:
        return
    terminalreporter.section("ncp-harness conformance")
    write_summary(terminalreporter.write_line, state.log, state.report_dir)
