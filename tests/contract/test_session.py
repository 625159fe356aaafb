"""The session finds deliberately broken services, shrinks, and reproduces without secrets."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import replace

import hypothesis
import pytest

from harness.contract.oracle import Outcome, Verdict, judge
from harness.contract.probe import Probe
from harness.pytest_plugin import _interrupter
from harness.run.failures import Failure
from harness.run.runlog import RunLog
from harness.run.runsetup import clean
from harness.run.session import ConformanceSession
from harness.sim import SimResponse, Simulator
from harness.sim.inprocess import DEFAULT_BASE_URL, simulated
from harness.sim.scenario import default_scenario
from harness.strategies.breaking import breaking_probes
from harness.strategies.valid import valid_probes
from harness.strategies.wirefuzz import wire_probes
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget

SECRET = default_scenario().credentials


@pytest.fixture
def session_for() -> Iterator[Callable[[Simulator], ConformanceSession]]:
    with ExitStack() as stack:
        def make(simulator: Simulator) -> ConformanceSession:
            stack.enter_context(simulated(DEFAULT_BASE_URL, simulator))
            target = HttpTarget(DEFAULT_BASE_URL, simulator.credentials, name="simulator")
            stack.callback(target.close)
            log = RunLog("simulator", target.endpoint, "dev", 4242)
            return ConformanceSession(target, discover(target), log)

        yield make


Factory = Callable[[Simulator], ConformanceSession]


def test_a_correct_service_passes(session_for: Factory) -> None:
    session = session_for(Simulator())
    assert session.exercise(valid_probes(session.account, "mixed"), "t") is None
    assert session.exercise(breaking_probes(session.account, "SEED-R7"), "t") is None
    assert session.log.verdict == "failed"  # its images are not deleted yet
    clean(session, wait=0)
    assert session.log.verdict == "passed"
    assert session.log.deleted == session.log.created
    assert session.log.totals["sent"] > 50


def test_a_failure_is_shrunk_but_not_explained_at_the_service_s_expense(
        session_for: Factory) -> None:
    """Hypothesis's explain phase replays a shrunk failure many times: each a request.

    Measured: a schemathesis case failing on a crashing service spent over six minutes and
    1.3 GB in that phase alone, a listing of the account for every replay.
    """
    phases = session_for(Simulator()).settings().phases
    assert hypothesis.Phase.shrink in phases
    assert hypothesis.Phase.explain not in phases


def test_a_service_that_accepts_everything_is_caught_and_shrunk(
    session_for: Factory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("harness.sim.actions.judge",
                        lambda params, account: Verdict(Outcome.ACCEPT))
    session = session_for(Simulator())
    failure = session.exercise(breaking_probes(session.account, "SEED-R2"), "t::SEED-R2")
    assert isinstance(failure, Failure)
    assert (failure.violation.rule, failure.violation.check) == (
        "SEED-R2", "status_agrees_with_oracle")
    assert (failure.violation.expected, failure.violation.actual) == ("4xx", 200)
    verdict = judge(failure.probe.params, session.account)
    assert verdict.outcome is Outcome.REJECT
    assert len(failure.probe.params) <= 4  # shrunk to a base storage and a name
    assert failure.seed == 4242
    command, curl, note = failure.reproduction
    assert command.startswith("ncp-harness send --target simulator --method ")
    assert "$SIG" in curl
    assert "ncp-harness serve" in note
    text = failure.render()
    assert SECRET is not None
    for secret in (SECRET.access_key, SECRET.secret_key):
        assert secret not in text
        assert secret not in str(session.log.summary())
    assert session.log.summary()["violations"][0]["rule"] == "SEED-R2"


class _Fails(Simulator):
    """Answers 503 to every request for XML."""

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        answer = super().handle(method, target, headers, body)
        wire = target + body.decode("latin-1")
        if "createServerImageFromSnapshot" in target and "responseFormatType=json" not in wire:
            return SimResponse(503, {}, b"upstream down")
        return answer


def test_a_5xx_is_caught_by_the_wire_fuzz(session_for: Factory) -> None:
    session = session_for(_Fails())
    failure = session.exercise(wire_probes(session.account, "duplicate-key"), "t")
    assert isinstance(failure, Failure)
    assert (failure.violation.rule, failure.violation.check) == (
        "SEED-S5", "not_a_server_error")


def test_auth_faults_are_caught(session_for: Factory) -> None:
    scenario = replace(default_scenario(), verify_signatures=False)
    session = session_for(Simulator(scenario))
    failure = session.auth("wrong", "t")
    assert failure is not None
    assert failure.violation.check == "auth_failure_is_401"


def _open_u1(name: str, rules: tuple[str, ...]) -> Probe:
    return Probe((("serverImageName", name), ("blockStorageList.1.order", "0"),
                  ("blockStorageList.1.snapshotInstanceNo", "1000001"),
                  ("blockStorageList.2.order", "1"),
                  ("blockStorageList.2.snapshotInstanceNo", "1000002")), "GET", "open:U1", rules)


def test_an_open_case_does_not_collide_with_the_runs_own_names(session_for: Factory) -> None:
    """A name the run made is not reused, unless the probe is about names (R2, U4, U10)."""
    session = session_for(Simulator())
    sent, _ = session.exchange(_open_u1("img-open", ("U1",)))  # accepted: the name is used
    assert sent.params[0] == ("serverImageName", "img-open")
    again, result = session.exchange(_open_u1("img-open", ("U1",)))
    assert dict(again.params)["serverImageName"] != "img-open"
    assert [f.cases for f in result.findings if "U1" in f.cases] == [("U1",)]
    kept, result = session.exchange(_open_u1("img-open", ("U10",)))
    assert dict(kept.params)["serverImageName"] == "img-open"
    assert any("U10" in f.cases for f in result.findings)


def test_a_stop_signal_whose_interrupt_was_lost_still_stops_the_run(session_for: Factory) -> None:
    """A handler's KeyboardInterrupt can vanish in a finalizer; its flag in the log cannot."""
    session = session_for(Simulator())
    handler = _interrupter(session.log)
    with pytest.raises(KeyboardInterrupt):
        handler(15, None)
    assert session.log.interrupted  # as if the exception had been swallowed: the flag stays
    sent = session.log.totals["sent"]
    with pytest.raises(KeyboardInterrupt):
        session.exercise(valid_probes(session.account, "mixed"), "t")
    assert session.log.totals["sent"] == sent  # nothing more was sent
    clean(session, wait=0)  # the cleanup still runs, and deletes what was made
    assert session.log.verdict == "interrupted"
