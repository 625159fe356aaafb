"""Custody from the account, not from the answer: no answer makes a run overspend or hide.

Each test points a session at a service that makes images it does not own up to (tests/
hostile.py): it refuses and makes the image anyway, answers with a plain 500 or a proxy's
HTML page, makes the image a while after its refusal, lets colleagues copy names. After
the teardown (`runsetup.clean`, what `ncp-harness run` does) the account is looked at
directly. In every test: no more images were made than --max-creates, none is left that
the reports do not name, and no one else's image was touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest

from harness.custody.carry import settle_earlier
from harness.custody.cleanup import Waiting, settle
from harness.custody.ledger import Ledger
from harness.custody.ownership import SIDE_EFFECT_CHECK, Owned
from harness.run.runsetup import inherit
from harness.sim import SimResponse
from harness.sim.scenario import default_scenario
from harness.strategies.breaking import breaking_probes
from harness.strategies.valid import VALID_CLASSES, valid_probes
from tests.hostile import (
    GATEWAY_PAGE,
    REFUSAL,
    Clock,
    CopyingColleague,
    LateImage,
    MakesThenAnswers,
    Run,
    Watched,
)

BUDGET = 5


def _exercise(run: Run) -> None:
    """What a budgeted run sends: valid requests of several classes, then breakers."""
    account = run.session.account
    for cls in ("base-only", "mixed", "name-3-and-30"):
        run.session.exercise(valid_probes(account, cls), "t", max_examples=8)
    for rule in ("SEED-R3", "SEED-R7"):
        run.session.exercise(breaking_probes(account, rule), "t", max_examples=8)


def _side_effects(run: Run) -> list[str]:
    return [f.violation.message for f in run.log.failures
            if f.violation.check == SIDE_EFFECT_CHECK]


@pytest.mark.parametrize(("status", "body", "ctype", "refusal"), [
    (400, REFUSAL, "application/json", True),
    (500, b"Internal Server Error", "text/plain", True),
    (504, GATEWAY_PAGE, "text/html", False),
    (400, b"", "application/json", True),
    (502, b"\x00\xff\x13 garbage", "application/octet-stream", False),
], ids=["400", "plain-500", "html-504", "empty-400", "garbage-502"])
def test_a_service_that_makes_the_image_and_answers_otherwise_stays_within_the_budget(
        stack: ExitStack, tmp_path: Path, status: int, body: bytes, ctype: str,
        refusal: bool) -> None:
    simulator = MakesThenAnswers(status, body, ctype)
    run = Run(simulator, stack, tmp_path, max_creates=BUDGET)
    _exercise(run)
    made = simulator.images.ever_created
    assert 0 < made <= BUDGET  # every unit stayed held: the inventory showed the images
    assert run.log.totals["skipped_max_creates"] > 0
    assert run.log.totals["custody_looks"] > 0
    run.teardown()
    # Every image is deleted, or named in the report (a 3-character name cannot be proven).
    assert run.left == set(run.log.possibly)
    assert len(run.log.deleted) + len(run.log.possibly) == made
    assert all("too short to carry the run's tag" in why for why in run.log.possibly.values())
    assert run.log.recovered
    summary = run.log.summary()
    assert summary["resources"]["created"] == len(run.log.created) > 0
    assert summary["verdict"] == "failed"
    # A refusal that made an image broke the contract; a gateway's timeout did not say no.
    assert bool(_side_effects(run)) is refusal


def test_a_correct_service_costs_a_few_listings_per_hundred_refusals(
        stack: ExitStack, tmp_path: Path) -> None:
    run = Run(Watched(), stack, tmp_path, max_creates=25)  # the live default
    account = run.session.account
    for rule in ("SEED-R3", "SEED-R4", "SEED-R5", "SEED-R7", "SEED-R8", "SEED-R9"):
        assert run.session.exercise(breaking_probes(account, rule), "t",
                                    max_examples=20) is None
    refused = run.log.totals["sent"]
    assert refused >= 100
    assert run.log.totals["skipped_max_creates"] == 0  # every unit came back in time
    assert run.log.totals["custody_looks"] * 100 <= refused * 5  # a look frees a budget's worth
    run.teardown()
    assert run.log.verdict == "passed"
    assert run.budget is not None
    assert run.budget.spent == 0


@pytest.mark.parametrize("dated_late", [False, True], ids=["dated-at-request", "dated-late"])
def test_an_image_that_shows_a_while_after_its_refusal_is_found_and_never_overspends(
        stack: ExitStack, tmp_path: Path, dated_late: bool) -> None:
    clock = Clock()
    simulator = LateImage(clock, lag=3.0, dated_late=dated_late)
    run = Run(simulator, stack, tmp_path, max_creates=BUDGET, clock=clock, settle=5.0)
    for cls in list(VALID_CLASSES)[:BUDGET + 3]:  # each stops at its first refusal
        run.session.exercise(valid_probes(run.session.account, cls), "t", max_examples=12)
        assert len(simulator.made) + len(simulator.due) <= BUDGET
    assert run.log.totals["skipped_max_creates"]  # the budget was reached: it had to wait
    assert clock.slept  # waited (on the test's clock) for refusals to settle
    run.teardown()
    made = set(simulator.made)
    assert made
    assert not simulator.due
    if dated_late:  # made after the answer: never provably the run's, so shown, never deleted
        assert set(run.log.unattributed) == made == run.left
        assert run.log.deleted == []
    else:  # made inside the window: the run's, deleted, and the refusal broke the contract
        assert made <= set(run.log.deleted)
        assert run.left == set()
        assert len(_side_effects(run)) >= 1


def test_a_colleagues_copy_of_a_refused_name_made_after_the_answer_survives(
        stack: ExitStack, tmp_path: Path) -> None:
    # (With a budget, the copies would keep their units held: a slow service could have
    # made them. Without one, the run shows what it judges of them.)
    simulator = CopyingColleague(lag=30.0)
    run = Run(simulator, stack, tmp_path)
    assert run.session.exercise(breaking_probes(run.session.account, "SEED-R7"), "t",
                                max_examples=10) is None
    theirs = set(simulator.theirs)
    assert theirs
    run.teardown()
    assert run.left == theirs
    assert run.log.deleted == []
    assert run.log.possibly == {}
    assert set(run.log.unattributed) == theirs  # shown to a person: made after the answers
    assert all("after the answer" in why for why in run.log.unattributed.values())
    assert run.log.verdict == "passed"


def test_a_proven_image_deleted_by_someone_and_remade_under_its_name_is_never_touched(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Watched()
    run = Run(simulator, stack, tmp_path)
    run.valid("base-only", examples=3)
    ours = list(run.log.created)
    assert ours
    gone = ours[0]
    (image,) = simulator.images.look([gone])
    simulator.images.delete([gone])  # someone deleted it ...
    for _ in range(3):
        simulator.images.look()  # ... and it is gone from the listings
    theirs = simulator.colleague_makes(image.name).number  # ... and re-made it under its name
    run.teardown()
    assert theirs in simulator.images.numbers()
    assert gone in run.log.vanished
    assert "deleted by someone else" in run.log.vanished[gone]
    assert sorted(run.log.deleted) == sorted(ours[1:])
    assert not [s for s in simulator.seen if "serverImageName=" in s
                and "getServerImageList" in s]  # never looked up by name
    assert run.log.verdict == "passed"


def test_two_runs_with_one_seed_at_once_on_one_account_both_pass(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Watched()  # names in use are refused (U10 "reject", the default)
    first = Run(simulator, stack, tmp_path, tag="aaaa", seed=11)
    second = Run(simulator, stack, tmp_path, tag="bbbb", seed=11)
    for run in (first, second):  # the second while the first's images still exist
        for cls in ("name-3-and-30", "base-only"):
            run.session.exercise(valid_probes(run.session.account, cls), "t", max_examples=6)
        assert run.session.cover("t") is None
        assert run.session.exercise(breaking_probes(run.session.account, "SEED-R2"), "t",
                                    max_examples=6) is None
    # Even names too short for the tag differ: their endings are drawn from it.
    short = [{image.name for image in run.session.custody.owned.values()  # type: ignore[union-attr]
              if len(image.name) == 3} for run in (first, second)]
    assert short[0]
    assert short[1]
    assert not short[0] & short[1]
    for run in (first, second):
        run.teardown()
        assert run.log.failures == []
        assert run.log.verdict == "passed"
    assert simulator.images.created_count == 0


def test_a_name_taken_since_the_inventory_is_an_open_case_never_a_violation(
        stack: ExitStack, tmp_path: Path) -> None:
    # A colleague takes every name too short for the run's tag just before the request
    # comes: the service's "name in use" refusal is U10, a finding; isolation blames nothing.
    simulator = CopyingColleague(before=True, shorter_than=8)
    run = Run(simulator, stack, tmp_path)
    assert run.session.exercise(valid_probes(run.session.account, "name-3-and-30"), "t",
                                max_examples=8) is None
    assert run.session.cover("t") is None
    assert simulator.theirs
    assert run.log.totals["name_in_use_looks"] >= len(simulator.theirs)
    assert [e for e in run.log.findings.values() if "U10" in e["cases"]]
    run.teardown()
    assert run.log.failures == []
    assert set(simulator.theirs) <= simulator.images.numbers()  # theirs, untouched
    assert set(run.log.unattributed) <= set(simulator.theirs)
    assert run.log.possibly == {}
    assert run.log.verdict == "passed", run.log.unfinished


def test_slow_creation_is_owed_never_a_leak_and_a_later_run_settles_it(
        stack: ExitStack, tmp_path: Path) -> None:
    scenario = replace(default_scenario(), image_ready_after_seconds=86_400.0)
    simulator = Watched(scenario)
    run = Run(simulator, stack, tmp_path, max_creates=BUDGET)
    run.valid("base-only", examples=3)
    made = set(run.log.created)
    assert made
    run.teardown(wait=0.2)
    assert set(run.log.owed) == made == run.left
    assert all("still being created (status INIT)" in why for why in run.log.owed.values())
    summary = run.log.summary()
    assert summary["resources"]["leaked"] == 0
    assert summary["resources"]["settle_command"].startswith("ncp-harness cleanup --ledger")
    assert summary["verdict"] == "passed"  # not a contract violation
    assert run.ledger.state().owes
    # The next run on that ledger settles them before it creates: still INIT, so owed and
    # charged to its budget; once made, deleted.
    later = Run(simulator, stack, tmp_path, max_creates=BUDGET, tag="l8tr")
    assert later.budget is not None
    inherit(later.target, later.ledger, later.budget, later.log, tmp_path / "later", 0.2)
    assert set(later.log.owed) == made
    assert later.budget.spent == len(made)
    simulator.images.ready_after_seconds = 0.0
    again = Run(simulator, stack, tmp_path, max_creates=BUDGET, tag="agan")
    assert again.budget is not None
    inherit(again.target, again.ledger, again.budget, again.log, tmp_path / "again", 5.0)
    assert again.log.owed == {}
    assert again.log.inherited is not None
    assert set(again.log.inherited["deleted"]) == made
    assert simulator.images.created_count == 0
    assert not again.ledger.state().owes


class _Unlistable(Watched):
    """Lists nothing whole once `broken` is set: a listing cannot show what a create made."""

    broken = False

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        if self.broken and "/getServerImageList" in target and "serverImageNoList" not in target:
            return SimResponse(500, {"Content-Type": "text/plain"}, b"listing is down")
        return super().handle(method, target, headers, body)


def test_creates_that_cannot_be_looked_for_keep_their_units_and_are_left_to_a_person(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = _Unlistable()
    run = Run(simulator, stack, tmp_path, max_creates=BUDGET)
    simulator.broken = True
    run.session.exercise(breaking_probes(run.session.account, "SEED-R3"), "t", max_examples=10)
    assert run.budget is not None
    assert run.budget.spent == BUDGET  # no listing, no unit back: the budget ran out
    assert run.log.totals["skipped_max_creates"] > 0
    run.teardown()
    assert run.log.possibly  # each refused create: could not be looked for, check by hand
    assert all("could not be looked for" in why for why in run.log.possibly.values())
    assert run.log.verdict == "failed"


def test_an_image_made_during_the_wait_is_deleted_and_one_deleted_by_someone_is_vanished(
        stack: ExitStack, tmp_path: Path) -> None:
    scenario = replace(default_scenario(), image_ready_after_seconds=86_400.0)
    simulator = Watched(scenario)
    run = Run(simulator, stack, tmp_path)
    run.valid("base-only", examples=2)
    first, second, *_ = run.log.created
    custody = run.session.custody
    assert custody is not None

    def meanwhile(seconds: float) -> None:  # between two listings of the wait
        del seconds
        simulator.images.ready_after_seconds = 0.0  # made now
        simulator.images.delete([second])  # and someone deleted this one
        simulator.images.look([second])
        simulator.images.look([second])
        simulator.images.look([second])

    report = settle(run.target, custody.state(), run.ledger,
                    waiting=Waiting(seconds=60.0, poll=0.0, sleep=meanwhile))
    assert first in report.deleted
    assert second in report.vanished
    assert report.owed == {}
    assert simulator.images.created_count == 0


def test_earlier_runs_still_running_or_elsewhere_are_left_alone(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Watched()
    run = Run(simulator, stack, tmp_path)
    run.valid("base-only", examples=2)  # alive: its process (this one) still holds its mark
    ledger = run.ledger
    elsewhere = replace(run.session.custody.record, run="e1sewher",  # type: ignore[union-attr]
                        endpoint="https://elsewhere.invalid")
    ledger.run(elsewhere)
    ledger.created(elsewhere, Owned("7", "abct4g0009", "KR"))
    later = Run(simulator, stack, tmp_path, tag="l8tr")
    inherited = settle_earlier(later.target, Ledger(ledger.path), waiting=Waiting(1.0))
    assert inherited.runs == []
    assert any("still running; left to it" in line for line in inherited.left)
    assert any("ran on https://elsewhere.invalid" in line for line in inherited.left)
    assert simulator.images.created_count == len(run.log.created)  # nothing touched
    run.teardown()
    assert simulator.images.created_count == 0


def test_a_worker_does_not_sit_on_the_budget_others_need(stack: ExitStack,
                                                          tmp_path: Path) -> None:
    run = Run(Watched(), stack, tmp_path, max_creates=BUDGET)
    run.session.gate.workers = 2  # a share of BUDGET // 4 = 1 settled unit before a look
    assert run.session.exercise(breaking_probes(run.session.account, "SEED-R3"), "t",
                                max_examples=10) is None
    assert run.log.totals["custody_looks"] >= run.log.totals["sent"] - 1
    assert run.budget is not None
    assert run.budget.spent <= 1
