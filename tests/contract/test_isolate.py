"""A refused valid request is blamed on the clause that triggers it, not the test's class."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import strategies as st

from harness.contract.probe import Probe
from harness.contract.wire import decode
from harness.custody.budget import SharedBudget
from harness.run.failures import Failure
from harness.run.isolate import Blame, Candidate, blame, creates_needed, plan
from harness.run.runlog import RunLog
from harness.run.session import ConformanceSession
from harness.sim import Simulator
from harness.sim.inprocess import DEFAULT_BASE_URL, simulated
from harness.sim.scenario import sample_account
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget

Factory = Callable[..., ConformanceSession]

_BASE = ("blockStorageList.1.order=0&blockStorageList.1.snapshotInstanceNo=1000001")
_ENTRIES = "".join(
    f"&blockStorageList.{n + 1}.order={n}&blockStorageList.{n + 1}.blockStorageVolumeTypeCode=CB1"
    f"&blockStorageList.{n + 1}.blockStorageSize=100&blockStorageList.{n + 1}"
    ".emptyBlockStorage=true" for n in range(1, 21))
# An order class's request (21 entries, order 20) that happens to carry a 30-character name.
_ORDER_CLASS_WITH_LONG_NAME = f"serverImageName={'a' * 29}z&{_BASE}{_ENTRIES}"


@pytest.fixture
def session_for(tmp_path: Path) -> Iterator[Factory]:
    with ExitStack() as stack:
        def make(fault: str, max_creates: int | None = None) -> ConformanceSession:
            simulator = Simulator(fault=fault)
            stack.enter_context(simulated(DEFAULT_BASE_URL, simulator))
            target = HttpTarget(DEFAULT_BASE_URL, simulator.credentials, name="simulator")
            stack.callback(target.close)
            budget = (SharedBudget(tmp_path / "budget.json", max_creates)
                      if max_creates is not None else None)
            return ConformanceSession(target, discover(target),
                                      RunLog("simulator", target.endpoint, "dev", 7),
                                      max_creates=max_creates, budget=budget)

        yield make


def _failure(session: ConformanceSession, wire: str, label: str,
             rules: tuple[str, ...]) -> Failure:
    probe = Probe(decode(wire), "GET", label, rules)
    failure = session.exercise(st.just(probe), f"t::{label}")
    assert isinstance(failure, Failure)
    return failure


def test_a_refused_long_name_in_an_order_class_is_blamed_on_the_name(
        session_for: Factory) -> None:
    """The issue's case: not SEED-R4 because the request came from an order class."""
    session = session_for("refuses-30-char-names")
    failure = _failure(session, _ORDER_CLASS_WITH_LONG_NAME, "valid:order-20-and-21-entries",
                       ("SEED-R4",))
    v = failure.violation
    assert (v.rule, v.clause) == ("SEED-R2", "SEED-R2.2"), v.message
    assert "serverImageName alone, on a minimal valid request, is refused too" in v.message
    # The failure shows the smallest refused request: the name on a base storage, no list.
    assert failure.probe.params == decode(f"serverImageName={'a' * 29}z&{_BASE}")


@pytest.mark.parametrize(("fault", "wire", "clause"), [
    ("refuses-1000-byte-description",
     f"serverImageName=img-1&serverImageDescription={'a' * 1000}&{_BASE}", "SEED-R3.2"),
    ("refuses-new-empty-storage", f"serverImageName=img-1&{_BASE}&blockStorageList.2.order=1"
     "&blockStorageList.2.blockStorageVolumeTypeCode=FB1&blockStorageList.2.blockStorageSize=50"
     "&blockStorageList.2.emptyBlockStorage=true", "SEED-R9.2"),
    ("refuses-region-code", f"serverImageName=img-1&regionCode=KR&{_BASE}", "SEED-R1.2"),
    ("refuses-explicit-xml", f"serverImageName=img-1&responseFormatType=xml&{_BASE}",
     "SEED-R10.1"),
])
def test_a_refusal_is_blamed_on_the_clause_of_the_feature_that_triggers_it(
        session_for: Factory, fault: str, wire: str, clause: str) -> None:
    failure = _failure(session_for(fault), wire, "valid:mixed", ("SEED-R4",))
    assert failure.violation.clause == clause, failure.violation.message
    assert failure.violation.rule == clause.split(".", maxsplit=1)[0]


def test_what_cannot_be_told_apart_is_named_together_and_no_clause_is_guessed(
        session_for: Factory) -> None:
    """Order 20 comes with 21 entries (orders have no gaps): both, under SEED-R4."""
    failure = _failure(session_for("refuses-order-20"), f"serverImageName=img-1&{_BASE}"
                       f"{_ENTRIES}", "valid:order-20-and-21-entries", ("SEED-R4",))
    v = failure.violation
    assert (v.rule, v.clause) == ("SEED-R4", None)
    assert "SEED-R4.5" in v.message
    assert "SEED-R4.6" in v.message


def test_isolation_stays_within_the_create_budget(session_for: Factory) -> None:
    # Twenty additional storages of a few kinds are a few questions, not twenty: it fits in 8.
    needed = creates_needed(decode(_ORDER_CLASS_WITH_LONG_NAME), sample_account())
    assert needed <= 6
    session = session_for("refuses-30-char-names", max_creates=8)
    failure = _failure(session, _ORDER_CLASS_WITH_LONG_NAME, "valid:order-20-and-21-entries",
                       ("SEED-R4",))
    assert failure.violation.clause == "SEED-R2.2", failure.violation.message


def test_isolation_that_does_not_fit_says_the_blame_is_the_test_class_s(
        session_for: Factory) -> None:
    small = session_for("refuses-30-char-names", max_creates=3)
    failure = _failure(small, _ORDER_CLASS_WITH_LONG_NAME, "valid:order-20-and-21-entries",
                       ("SEED-R4",))
    assert "(not isolated: " in failure.violation.message
    assert "were left in the budget; the blame is the test class's" in failure.violation.message
    assert failure.violation.rule == "SEED-R4"  # unchanged: nothing was learned
    assert small.log.totals["skipped_max_creates"] == 0  # and nothing was held back


def test_a_plan_restores_one_feature_at_a_time() -> None:
    wire = (f"serverImageName=abc&regionCode=KR&{_BASE}&blockStorageList.1.blockStorageSize=20"
            "&blockStorageList.2.order=1&blockStorageList.2.snapshotInstanceNo=1000002"
            "&blockStorageList.2.emptyBlockStorage=false")
    minimal, candidates = plan(decode(wire), "isolate", 20)
    assert minimal == decode(f"serverImageName=isolate&{_BASE}")
    assert [c.feature for c in candidates] == [
        "serverImageName", "regionCode", "the base storage's own fields",
        "a plain new storage", "the additional storage of order 1"]
    assert dict(candidates[0].params)["serverImageName"] == "abc"
    assert dict(candidates[2].params)["blockStorageList.1.blockStorageSize"] == "20"
    assert dict(candidates[-1].params)["blockStorageList.2.snapshotInstanceNo"] == "1000002"


def test_a_blame_clears_what_accepted_requests_also_stood_on() -> None:
    shape = Candidate("the list's shape", ())
    found = blame([(shape, ("SEED-R4.5", "SEED-R9.2"))], [("SEED-R9.2",)])
    assert found == Blame(("SEED-R4.5",), "the list's shape", found.says)
    assert (found.rule, found.clause) == ("SEED-R4", "SEED-R4.5")
    nothing = blame([], [("SEED-R9.2",)])
    assert (nothing.clauses, nothing.rule) == ((), None)
    assert "needs several at once" in nothing.says
