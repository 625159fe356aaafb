"""From the plugin's options to a running conformance session, and its cleanup after.

Which target (simulator, live with consent, or a replayed cassette), its timeout and rate
shared across xdist workers, the recorder, the session's budgets and ledger, and the
deletion of what the run created. The pytest hooks themselves live in `pytest_plugin`.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.contract.account import Account
from harness.contract.probe import Probe
from harness.core.errors import ConfigError, HarnessError, Violation
from harness.core.loopback import is_loopback_url
from harness.custody.budget import SharedBudget
from harness.custody.carry import settle_earlier, settle_workers
from harness.custody.cleanup import CleanupReport, Waiting, settle
from harness.custody.ledger import Ledger, ledger_key
from harness.custody.names import derived_tag, random_tag
from harness.recording.cassette import SHIPPED_CASSETTE, Cassette, Recorder
from harness.recording.redaction import Redactor
from harness.run.failures import refused_but_made
from harness.run.options import LIVE_MAX_CREATES, LIVE_RATE, LIVE_SETTLE
from harness.run.plan import plan_for
from harness.run.profiles import PROFILES
from harness.run.runlog import RunLog
from harness.run.session import ConformanceSession
from harness.sim.scenario import load_scenario, site_scenario
from harness.targets.paging import list_answer
from harness.targets.replay import FixtureTarget
from harness.targets.sharing import RateLimit, locked, parse_rate
from harness.targets.transport import HttpTarget, live_target, simulator_target

__all__ = [
    "Drawn",
    "LiveOptions",
    "check_before_run",
    "clean",
    "fold",
    "inherit",
    "name_tag",
    "new_session",
    "profile_of",
    "recorder_for",
    "require_consent",
    "settle_lost_workers",
    "simulator_only",
    "start_target",
    "worker_of",
]


_RUN_DIRS: dict[str, Path] = {}


@dataclass(frozen=True)
class Worker:
    """This process's place in a pytest-xdist run: its id (gw0), how many, the run's uid.

    Read from pytest's config (`workerinput`, set by xdist for its own workers only), never
    from PYTEST_XDIST_* variables: a run started inside another run's worker inherits those.
    """

    id: str = ""
    count: int = 1
    run_uid: str = ""
    """The id every worker of this pytest run shares (xdist's testrunuid)."""


def worker_of(config: pytest.Config) -> Worker:
    """The xdist worker this process is, or `Worker()` for the controller or a plain run."""
    info = getattr(config, "workerinput", None)
    if not isinstance(info, dict):
        return Worker()
    return Worker(str(info.get("workerid", "")), int(info.get("workercount", 1) or 1),
                  str(info.get("testrunuid", "")))


def _run_dir(worker: Worker) -> Path:
    """A directory every xdist worker of this run shares (one per process without xdist)."""
    uid = worker.run_uid
    key = uid or "local"
    if key not in _RUN_DIRS:
        if uid:
            path = Path(tempfile.gettempdir()) / "ncp-harness-runs" / uid
            path.mkdir(parents=True, exist_ok=True)
        else:
            path = Path(tempfile.mkdtemp(prefix="ncp-harness-run-"))
        _RUN_DIRS[key] = path
    return _RUN_DIRS[key]


def require_consent(endpoint: str, *, yes: bool) -> None:
    """Creating on an endpoint that is not loopback needs --yes or NCLOUD_HARNESS_YES=1.

    The one consent rule of every command that may create a paid image (run, record, send).
    """
    if (is_loopback_url(endpoint) or yes
            or os.environ.get("NCLOUD_HARNESS_YES", "") in ("1", "yes", "true")):
        return
    raise HarnessError(f"{endpoint} is not a loopback address and a request sent there may"
                       " create a real, paid server image; pass --yes (or set"
                       " NCLOUD_HARNESS_YES=1) to consent")


def _ledger(config: pytest.Config, target: HttpTarget, target_name: str) -> Ledger | None:
    """Where a live run writes its custody, sealed with its key pair (harness.custody.ledger)."""
    if target_name != "live":
        return None  # the in-process simulator's images end with the run
    path = config.getoption("--ledger")
    report_dir = config.getoption("--report-dir")
    where = (Path(path) if path else Path(report_dir) / "ledger.jsonl" if report_dir
             else Path("reports") / "ledger.jsonl")
    return Ledger(where, ledger_key(target.credentials))


def profile_of(config: pytest.Config, cassette: Cassette | None) -> str:
    """--profile, else the replayed cassette's, else dev."""
    profile = config.getoption("--profile")
    if profile is None and config.getoption("--target") == "fixtures" and cassette:
        profile = cassette.profile
    return str(profile or "dev")


def _max_examples(config: pytest.Config, cassette: Cassette | None) -> int | None:
    count = config.getoption("--max-examples")
    if count is None and config.getoption("--target") == "fixtures" and cassette:
        count = cassette.max_examples
    if count is not None and count < 1:
        raise ConfigError(f"--max-examples {count}: must be 1 or more")
    return int(count) if count is not None else None


def name_tag(target_name: str, seed: int, cassette: Cassette | None, worker: Worker) -> str:
    """The tag of this run's image names (`harness.custody.names`).

    A live account gets a fresh random one: no other run sends its names. The simulator
    and a replay get one fixed by the seed and the worker, or the recorded run's, so the
    same run draws the same requests (a replay matches them byte for byte).
    """
    recorded = cassette.name_tag if cassette is not None else None
    if target_name == "fixtures" and recorded:
        return recorded
    if target_name == "live":
        return random_tag()
    return derived_tag(seed, worker.id)


def recorder_for(config: pytest.Config, target: HttpTarget, target_name: str,
                 seed: int, tag: str) -> Recorder:
    """A cassette recorder for --record DIR, with --redact-param/--redact-header."""
    redactor = Redactor.of(target.credentials, config.getoption("--redact-param"),
                           config.getoption("--redact-header"))
    return Recorder(Path(config.getoption("--record")), redactor, {
        "source": target_name, "endpoint": target.endpoint, "profile": profile_of(config, None),
        "seed": seed, "region": os.environ.get("NCLOUD_REGION") or None,
        "max_examples": config.getoption("--max-examples"), "name_tag": tag,
    }, worker=worker_of(config).id or None)


def simulator_only(scenario_path: str | None, fault: str | None) -> None:
    """--scenario and --fault describe the simulator; on any other target they are refused."""
    if scenario_path or fault:
        raise HarnessError(f"{'--scenario' if scenario_path else '--fault'} applies to"
                           " --target simulator only; a live account's state and bugs"
                           " are its own (serve a faulty simulator with ncp-harness"
                           " serve --fault NAME and point NCLOUD_API_GW at it)")


@dataclass(frozen=True)
class LiveOptions:
    """What the pre-run check needs of a live run's options: its site and request timeout."""

    site: str | None = None
    timeout: float | None = None


def check_before_run(target_name: str, *, scenario_path: str | None, fault: str | None,
                     yes: bool, cassette: str | None = None, dry_run: bool = False,
                     live: LiveOptions = LiveOptions()) -> None:
    """The mistakes a run would meet at its start, found before it starts (exit 2, one line).

    The same checks `pytest_configure` and `start_target` make: the scenario file, the
    cassette, the options that are simulator-only, the live key pair and endpoint, consent,
    and (unless --dry-run, which sends a live account nothing) that the endpoint answers one
    read, getRegionList, with the keys: an unreachable endpoint or refused keys are said in
    one line before pytest prints anything.
    """
    if target_name == "fixtures" or cassette:
        Cassette.load(cassette or SHIPPED_CASSETTE)
    if target_name == "simulator":
        if scenario_path:
            load_scenario(scenario_path)
        else:
            site_scenario(live.site)
        return
    simulator_only(scenario_path, fault)
    if target_name == "live":
        target = live_target(site=live.site)
        if live.timeout is not None:  # the check waits no longer than the run's requests
            target.timeout = live.timeout
            target.max_retries = 0  # one try: the run itself retries reads
        try:
            require_consent(target.endpoint, yes=yes)
            if not dry_run:
                list_answer(target, "getRegionList")  # a read: reachable, keys accepted
        finally:
            target.close()


def start_target(config: pytest.Config, stack: ExitStack, target_name: str,
                 cassette: Cassette | None) -> HttpTarget:
    """The target the options name, configured (timeout, rate) and closed by `stack`."""
    scenario_path = config.getoption("--scenario")
    if target_name == "fixtures":
        target: HttpTarget = FixtureTarget.of(cassette)
        stack.callback(target.close)
        return target
    fault = config.getoption("--fault")
    site = config.getoption("--site")
    if target_name == "simulator":
        scenario = load_scenario(scenario_path) if scenario_path else site_scenario(site)
        target = stack.enter_context(simulator_target(scenario, fault=fault))
    else:
        simulator_only(scenario_path, fault)
        target = live_target(site=site)
        stack.callback(target.close)
        require_consent(target.endpoint, yes=bool(config.getoption("--yes")))
    # Both numbers were refused by their option's parser when not finite and above 0.
    target.timeout = float(config.getoption("--request-timeout"))
    target.max_body = int(float(config.getoption("--max-body")) * 2**20)
    rate = config.getoption("--rate") or (
        LIVE_RATE if target_name == "live" and not is_loopback_url(target.endpoint) else None)
    if rate:
        target.rate = RateLimit(_run_dir(worker_of(config)) / "rate.json", parse_rate(rate))
    return target


def _settle(config: pytest.Config, target: HttpTarget, target_name: str) -> float:
    """--settle, else LIVE_SETTLE on a live endpoint that is not loopback, else 0.

    A unit held by a refused create comes back no sooner than this after its answer, so
    refusals recycle the budget at most (free units / settle) a second: on loopback (a
    simulator, run as fast as it answers) the default is 0.
    """
    given = config.getoption("--settle")
    if given is not None:
        return float(given)
    return LIVE_SETTLE if target_name == "live" and not is_loopback_url(target.endpoint) else 0.0


@dataclass(frozen=True)
class Drawn:
    """What a run draws with: its seed, its names' tag, a cassette, the tests selected."""

    seed: int
    tag: str
    cassette: Cassette | None = None
    tests: tuple[str, ...] | None = None
    """The selected tests' ids (pytest's items), which a budget plan serves."""


def new_session(config: pytest.Config, target: HttpTarget, account: Account, target_name: str,
                drawn: Drawn) -> ConformanceSession:
    """The session the options describe: budgets, plan, deadline, ledger, name tag, letters.

    On a ledger earlier runs wrote, what they still owe is settled first and what stays
    owed is charged to this run's budget (`inherit`). A budget gets a plan over the selected
    tests before anything is created.
    """
    seed, tag, cassette = drawn.seed, drawn.tag, drawn.cassette
    max_creates = config.getoption("--max-creates")
    defaulted = max_creates is None and target_name == "live"
    if defaulted:
        max_creates = LIVE_MAX_CREATES  # also on loopback: it may be a proxy to an account
    max_time = config.getoption("--max-time")
    worker = worker_of(config)
    log = RunLog(target_name, target.endpoint, profile_of(config, cassette), seed,
                 cassette=str(cassette.directory) if cassette else None)
    if target_name == "fixtures" and cassette is not None:
        log.recorded_verdict = cassette.verdict  # an unfinished recording replays unfinished
    ledger = _ledger(config, target, target_name)
    budget = (SharedBudget(_run_dir(worker) / "budget.json", max_creates)
              if max_creates is not None else None)
    if ledger is not None and not config.getoption("--dry-run"):
        log.ledger = str(ledger.path)
        log.cleanup_wait = float(config.getoption("--cleanup-wait"))
        inherit(target, ledger, budget, log, _run_dir(worker), config.getoption("--cleanup-wait"))
    examples = min(n for n in (PROFILES[profile_of(config, cassette)].max_examples,
                               _max_examples(config, cassette)) if n is not None)
    plan = (plan_for(max_creates, account, drawn.tests, examples)
            if max_creates is not None and drawn.tests is not None else None)
    session = ConformanceSession(
        target, account, log, config.getoption("--scenario"), ledger,
        max_creates=max_creates, dry_run=bool(config.getoption("--dry-run")),
        deadline=time.monotonic() + max_time if max_time else None,
        budget=budget, first_letters=_worker_letters(worker),
        max_examples=_max_examples(config, cassette), cassette=cassette, name_tag=tag,
        fault=config.getoption("--fault"), settle=_settle(config, target, target_name),
        worker=worker.id, workers=worker.count, session_id=worker.run_uid, plan=plan)
    if defaulted and log.budget is not None:
        log.budget["source"] = "live default"  # said loudly: the table cannot say it all
    return session


INHERIT_WAIT = 10.0
"""At most this long, at a run's start, for earlier runs' images to finish deleting."""


def inherit(target: HttpTarget, ledger: Ledger, budget: SharedBudget | None, log: RunLog,
            run_dir: Path, cleanup_wait: float) -> None:
    """Settle what earlier runs of the ledger owe, once per run (the first xdist worker).

    Their images still being created stay owed: they are listed in this run's reports and
    charged to its budget, so that the images on the account because of the harness never
    pass --max-creates.
    """
    with locked(run_dir / "inherit.json") as done:
        if done.get("settled"):
            return
        done["settled"] = True
        inherited = settle_earlier(target, ledger, waiting=Waiting(
            min(cleanup_wait, INHERIT_WAIT)))
        report = inherited.report
        if budget is not None:
            budget.charge(len(report.owed))
        if not (inherited.runs or inherited.left):
            return
        log.owed.update({number: f"owed by an earlier run: {why}" for number, why in
                         report.owed.items()})
        log.inherited = {"runs": inherited.runs, "deleted": list(report.deleted),
                         "owed": len(report.owed), "check_by_hand": [
                             *inherited.left,
                             *(f"serverImageNo {n}: {why}" for n, why in report.leaked.items()),
                             *report.unknown, *report.possibly.values(),
                             *(effect.violation.message for effect in report.side_effects)]}


def _worker_letters(worker: Worker) -> str:
    """Disjoint first letters per xdist worker, so two workers never pick the same name."""
    if not worker.id.startswith("gw") or not worker.id[2:].isdigit() or worker.count < 2:
        return ""
    return "abcdefghijklmnopqrstuvwxyz"[int(worker.id[2:]) % 26::min(worker.count, 26)]


def clean(session: ConformanceSession, wait: float) -> None:
    """Delete what the run proved it created; account for everything else (see cleanup).

    The run's pending creates are settled first (the last of them given `settle` seconds
    after its answer); then the run drops its mark in the ledger (`Ledger.hold`): what it
    still owes, a later run or `ncp-harness cleanup` may settle.
    """
    target, log, custody = session.target, session.log, session.custody
    if target.hiccups:
        log.totals["service_hiccups"] += target.hiccups
    if custody is None:
        return  # a replay or a dry run made nothing
    state = custody.state()
    closed = [custody.settled_at(a) for a in state.pending if a.span.closed]
    delay = max(0.0, max(closed, default=0.0) - custody.now())
    report = settle(target, state, custody.ledger,
                    waiting=Waiting(wait, sleep=session.sleep, settle=delay))
    fold(log, report, session.gate.probe_of, session)
    log.totals["retries"] += target.retries
    if session.budget is not None and session.budget.limit is not None:
        for serial in report.made_nothing:
            if serial not in state.released:
                session.budget.refund()  # settled at last: that create made nothing
    if log.budget is not None and session.budget is not None:
        log.budget["spent"] = session.budget.spent
    if custody.ledger is not None:  # done: what it still owes, its lines say
        custody.ledger.release(custody.record.run)


def fold(log: RunLog, report: CleanupReport,
         probe_of: Callable[[int], Probe | None] = lambda _: None,
         session: ConformanceSession | None = None) -> None:
    """A cleanup's outcome into the run's log: deleted, owed, left, refusals that made images."""
    for number in report.recovered:
        log.note_created(number)
    log.recovered.extend(report.recovered)
    log.leaks.update(report.leaked)
    log.deleted.extend(report.deleted)
    log.unknown.extend(report.unknown)
    log.possibly.update(report.possibly)
    log.not_deleted.update(report.refused)
    log.owed.update(report.owed)
    log.vanished.update(report.vanished)
    log.unattributed.update(report.unattributed)
    for number, why in report.refused.items():
        log.count_check("SEED-S3", "echo", Violation(
            "SEED-S3", "echo", f"the create answer named serverImageNo {number}, which is {why};"
            " it was not deleted", path="serverImageList", actual=number))
    for effect in report.side_effects:
        probe = probe_of(effect.attempt.serial)
        if session is not None:
            session.side_effect(effect.attempt, effect.image, probe)
            continue
        failure = refused_but_made(effect.attempt, effect.image, probe, log.seed)
        log.count_check(failure.violation.rule or "-", failure.violation.check,
                        failure.violation)
        log.fail(failure)


def settle_lost_workers(config: pytest.Config, log: RunLog, session: str,
                        workers: list[str]) -> None:
    """The xdist controller settles what workers that died left in the ledger.

    Their images are proven from their ledger lines and deleted, or named in this run's
    reports (owed, left behind, to check by hand): never counted as none. The simulator's
    images ended with the worker's process.
    """
    if config.getoption("--target") != "live" or config.getoption("--dry-run") or not workers:
        return
    try:
        target = live_target(site=config.getoption("--site"))
    except HarnessError as exc:
        log.unknown.append(f"xdist worker(s) {', '.join(workers)} ended before handing over"
                           f" their results, and cannot be settled here ({exc}); run"
                           " ncp-harness cleanup --ledger with the run's keys")
        return
    try:
        ledger = _ledger(config, target, "live")
        if ledger is None:
            return
        log.ledger = log.ledger or str(ledger.path)
        inherited = settle_workers(target, ledger, session=session, workers=workers,
                                   waiting=Waiting(float(config.getoption("--cleanup-wait"))))
        fold(log, inherited.report)
        log.unknown.extend(f"a lost xdist worker's {line}" for line in inherited.left
                           if "still running" in line)
    finally:
        target.close()
