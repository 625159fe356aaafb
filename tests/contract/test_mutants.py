"""Named simulator faults: the catalogue covers what it must, and a handful are found.

The full table (every fault, over HTTP, the `ci` profile) is `benchmarks/mutation.py`;
this is the fast guard that a regression in detection fails CI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from hypothesis import strategies as st

from harness.cli.commands import main
from harness.contract.clauses import CLAUSES, rule_of
from harness.contract.oracle import Outcome, judge
from harness.contract.probe import Probe
from harness.contract.rules import REQUEST_RULES, RULES
from harness.contract.wire import decode
from harness.core.errors import ConfigError
from harness.run.runlog import RunLog
from harness.run.runsetup import clean
from harness.run.session import ConformanceSession
from harness.sim import Simulator
from harness.sim.faults import FAULTS, FORGETTING, KINDS, Fault, fault_named
from harness.sim.inprocess import DEFAULT_BASE_URL, simulated
from harness.sim.scenario import sample_account
from harness.strategies.breaking import breaking_probes
from harness.strategies.valid import valid_probes
from harness.strategies.wirefuzz import wire_probes
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget
from tests.unit.test_clauses import BROKEN_ALONE

Factory = Callable[[str | None], ConformanceSession]
Exercise = Callable[[ConformanceSession], object]


@pytest.fixture
def session_for() -> Iterator[Factory]:
    with ExitStack() as stack:
        def make(fault: str | None) -> ConformanceSession:
            simulator = Simulator(fault=fault)
            stack.enter_context(simulated(DEFAULT_BASE_URL, simulator))
            target = HttpTarget(DEFAULT_BASE_URL, simulator.credentials, name="simulator")
            stack.callback(target.close)
            return ConformanceSession(target, discover(target),
                                      RunLog("simulator", target.endpoint, "dev", 20261127),
                                      name_tag="t4g0")  # as every run's names carry one

        yield make


def test_the_catalogue_covers_every_seed_rule_and_every_allowing_clause_and_every_kind() -> None:
    assert len(FAULTS) >= 30
    assert len({f.name for f in FAULTS}) == len(FAULTS)
    assert {f.kind for f in FAULTS} == set(KINDS)
    seed_rules = {r for r in RULES if r.startswith("SEED-R")}
    accepts = [f for f in FAULTS if f.kind == "accepts"]
    assert {rule_of(f.blames) for f in accepts} == seed_rules
    # Refusing what the seed allows: every rule with a clause that allows something, and
    # R5 and R11 whose refusals imply what may be sent; not R6, which only asks for one of two.
    refusing = {f.blames for f in FAULTS if f.kind == "refuses"}
    allowing = {rule_of(c.id) for c in CLAUSES.values() if c.kind in ("allows", "both")}
    assert allowing <= refusing <= seed_rules
    assert seed_rules - refusing == {"SEED-R6"}
    assert {f.blames for f in FAULTS} <= set(RULES) | set(REQUEST_RULES) | set(CLAUSES)
    # One fault per refusing clause, forgetting it and only what it cannot be broken without
    assert {f.blames: f.ignores for f in FORGETTING} == {
        c.id: frozenset({c.id, *c.with_}) for c in CLAUSES.values() if c.refuses}


@pytest.mark.parametrize("fault", FORGETTING, ids=[f.name for f in FORGETTING])
def test_a_service_forgetting_one_clause_accepts_its_breaker_and_nothing_else_new(
        fault: Fault) -> None:
    """The clause's own request is accepted; each other clause's is still refused."""
    account = sample_account()
    for clause, wire in BROKEN_ALONE.items():
        verdict = fault.judged(judge(decode(wire), account))
        forgotten = {clause, *CLAUSES[clause].with_} <= fault.ignores
        assert (verdict.outcome is not Outcome.REJECT) == forgotten, (fault.name, clause)
    assert {f.name.split("-")[0] for f in FAULTS if f.kind in ("shape", "echo")} >= {
        "json", "xml"}  # body faults in each format


def test_an_unknown_fault_name_is_refused_with_the_way_to_list_them() -> None:
    with pytest.raises(ConfigError, match="--list-faults"):
        fault_named("no-such-fault")
    with pytest.raises(SystemExit) as caught:
        main(["run", "--fault", "no-such-fault"])
    assert caught.value.code == 2


def test_list_faults_prints_every_fault_and_its_rule(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-faults"]) == 0
    out = capsys.readouterr().out
    for fault in FAULTS:
        line = next(x for x in out.splitlines() if x.startswith(f"  {fault.name} "))
        assert f" {fault.blames} " in line


def _then_clean(s: ConformanceSession, probes: st.SearchStrategy[Probe]) -> None:
    s.exercise(probes, "t", max_examples=5)
    clean(s, 5.0)


def _mixed(s: ConformanceSession) -> st.SearchStrategy[Probe]:
    return valid_probes(s.account, "mixed")


# (fault, how the suite finds it, the rule it must blame)
HANDFUL: list[tuple[str, Exercise, str]] = [
    ("ignores-name-rules",
     lambda s: s.exercise(breaking_probes(s.account, "SEED-R2"), "t"), "SEED-R2"),
    # An R6 breaker breaks R5 or R8 too; the blame goes to the rule the probe targets.
    ("defaults-volume-type",
     lambda s: s.exercise(breaking_probes(s.account, "SEED-R6"), "t"), "SEED-R6"),
    ("refuses-order-20",
     lambda s: s.exercise(valid_probes(s.account, "order-20-and-21-entries"), "t"), "SEED-R4"),
    ("echo-drops-last-mapping", lambda s: s.exercise(_mixed(s), "t"), "SEED-S4"),
    ("auth-accepts-unsigned", lambda s: s.auth("none", "t"), "SEED-S5"),
    ("crash-on-repeated-key",
     lambda s: s.exercise(wire_probes(s.account, "duplicate-key"), "t"), "SEED-S5"),
    ("form-body-ignored", lambda s: s.agree(_mixed(s), "t", max_examples=10), "REQ-2"),
    # Found by the listing that settles the refused creates (at teardown: no budget here).
    ("creates-then-refuses", lambda s: _then_clean(s, valid_probes(s.account, "base-only")),
     "SEED-S5"),
]


@pytest.mark.parametrize(("fault", "exercise", "rule"), HANDFUL, ids=[h[0] for h in HANDFUL])
def test_a_fault_is_found_and_blamed_on_its_rule(session_for: Factory, fault: str,
                                                 exercise: Exercise, rule: str) -> None:
    assert fault_named(fault).blames == rule
    session = session_for(fault)
    exercise(session)
    assert session.log.verdict == "failed"
    assert rule in {f.violation.rule for f in session.log.failures}


@pytest.mark.parametrize(("fault", "exercise", "rule"), HANDFUL, ids=[h[0] for h in HANDFUL])
def test_the_clean_simulator_raises_no_alarm_there(session_for: Factory, fault: str,
                                                   exercise: Exercise, rule: str) -> None:
    session = session_for(None)
    exercise(session)
    assert session.log.failures == [], [str(f.violation) for f in session.log.failures]


def test_a_service_echoing_another_name_is_blamed_on_the_echo_only(
        session_for: Factory) -> None:
    # The name sent is the one in use, not the one echoed: no false U10 afterwards.
    session = session_for("echo-name-cut")
    session.exercise(valid_probes(session.account, "base-only"), "t", max_examples=10)
    session.exercise(wire_probes(session.account, "trap-character"), "t", max_examples=30)
    assert {f.violation.rule for f in session.log.failures} == {"SEED-S3"}


def test_get_and_post_are_not_compared_when_one_meets_an_open_case(
        session_for: Factory) -> None:
    # Not renamed (a wire probe): the GET creates the image, so the POST meets U10.
    session = session_for(None)
    params = (("serverImageName", "same-name"), ("blockStorageList.1.order", "0"),
              ("blockStorageList.1.snapshotInstanceNo", "1000001"))
    probe = Probe(params, "GET", "wire:same-name", ())
    assert session.agree(st.just(probe), "t", max_examples=1) is None
    assert session.log.findings  # the POST's U10 is a finding
