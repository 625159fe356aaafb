"""A run deletes only what it proved it created, and accounts for every image it may have made.

Each test points a session at an endpoint that does not play fair (tests/hostile.py): a
colleague making images under the run's names, create answers that name other images,
unreadable success bodies, answers that never arrive, deletions that do not happen. After
the teardown (`runsetup.clean`, the same code `ncp-harness run` uses) the account is
checked directly: every image that is not the run's is still there, and every image the
run made is deleted or named in the report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from harness.contract.oracle import Outcome, Verdict
from harness.core.errors import TargetError
from harness.custody.cleanup import Waiting, settle
from harness.run.failures import Failure
from harness.sim import SimResponse, Simulator
from harness.sim.inprocess import DEFAULT_BASE_URL, simulated
from harness.sim.scenario import default_scenario
from harness.sim.state import PUBLIC_IMAGES
from harness.strategies.breaking import breaking_probes
from harness.strategies.valid import valid_probes
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget
from tests.hostile import (
    TAG,
    CopyingColleague,
    Deep,
    Liar,
    Run,
    TimesOutAtTheGateway,
    Unkillable,
    Watched,
)


def test_a_colleagues_image_of_the_same_name_survives(stack: ExitStack, tmp_path: Path) -> None:
    scenario = default_scenario()
    # The service lets two images share a name (U10, which the seed leaves open).
    scenario = replace(scenario, policy={**scenario.policy, "U10": "accept"})
    simulator = CopyingColleague(scenario, before=True)
    run = Run(simulator, stack, tmp_path)
    run.valid()
    ours = set(run.log.created)
    assert ours
    assert not ours & set(simulator.theirs)
    run.teardown()
    assert sorted(run.log.deleted) == sorted(ours)
    assert run.left == set(simulator.theirs)
    assert run.log.verdict == "passed"


def test_an_older_image_in_a_create_answer_is_a_violation_never_a_deletion(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Liar(mode="older")
    run = Run(simulator, stack, tmp_path)
    failure = run.answered_in("json", 6)
    assert failure is not None
    messages = [str(f.violation) for f in run.log.failures]
    assert any("existed before the run" in m for m in messages), messages
    run.teardown()
    assert "1900001" in simulator.images.numbers()  # the older image is untouched
    assert run.left == set()  # and every image the run made is gone
    assert "1900001" not in run.log.deleted


def test_a_lie_naming_a_colleagues_fresh_image_is_refused_and_ours_found_by_name(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Liar(mode="colleague")
    run = Run(simulator, stack, tmp_path)
    run.answered_in("json", 4)
    run.teardown()
    theirs = set(simulator.theirs)
    assert theirs
    assert theirs <= simulator.images.numbers()  # no colleague image deleted
    assert run.log.not_deleted
    assert set(run.log.not_deleted) <= theirs
    assert all("listed as 'colleague-image'" in why for why in run.log.not_deleted.values())
    assert run.left == theirs  # the run's own images were found by name and deleted
    assert run.log.recovered
    assert run.log.verdict == "failed"


@pytest.mark.parametrize("mode", ["inventory", "no-number"])
def test_a_create_answer_without_our_number_recovers_ours_by_name(
        stack: ExitStack, tmp_path: Path, mode: str) -> None:
    simulator = Liar(mode=mode)
    run = Run(simulator, stack, tmp_path)
    run.answered_in("xml", 2)
    proven = list(run.log.created)  # the XML answers (the liar lies in JSON only)
    assert proven
    run.answered_in("json", 3)
    run.teardown()
    assert run.left == set()
    assert "1900001" in simulator.images.numbers()
    assert "1900001" not in run.log.deleted
    assert run.log.recovered  # the JSON answers' images, found by name
    assert sorted(run.log.deleted) == sorted(proven + run.log.recovered)


@pytest.mark.parametrize("fault", ["json-wrapper-from-table", "xml-wrapper-from-table"])
def test_unreadable_success_bodies_are_recovered_or_reported(
        stack: ExitStack, tmp_path: Path, fault: str) -> None:
    simulator = Watched(fault=fault)
    run = Run(simulator, stack, tmp_path)
    for cls in ("mixed", "name-3-and-30", "format-given"):
        run.session.exercise(valid_probes(run.session.account, cls), "t", max_examples=8)
    made = simulator.images.ever_created
    assert made > 0
    run.teardown()
    left = run.left
    # Every image the run made is deleted (found by its unique name) or named in the
    # report: never "0 left behind" while images remain.
    assert run.log.recovered
    assert len(run.log.deleted) + len(run.log.possibly) == made
    assert left == set(run.log.possibly)
    assert left  # the 3-character names: found, but not provably the run's
    assert all("too short to carry the run's tag" in why for why in run.log.possibly.values())
    assert run.log.unknown == []
    assert run.log.verdict == "failed"
    resources = run.log.summary()["resources"]
    assert set(resources["possibly_created"]) == left


def test_lost_answers_are_found_by_unique_name_and_short_names_are_left_to_a_person(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Watched()
    run = Run(simulator, stack, tmp_path, loopback=True)
    run.unanswered(held=True)
    for cls in ("base-only", "name-3-and-30"):
        run.session.exercise(valid_probes(run.session.account, cls), "t", max_examples=6)
    assert run.log.totals["timed_out"] > 0
    run.unanswered(held=False)
    simulator.idle()  # every create the client gave up on has finished on the server
    made = simulator.images.ever_created
    run.teardown()
    short = {n for n, why in run.log.possibly.items() if "too short" in why}
    assert short  # the 3-character names could not carry the run's tag
    assert run.left == set(run.log.possibly)  # those, and only those, are still there
    assert len(run.log.deleted) + len(run.log.possibly) == made
    assert run.log.verdict == "failed"


def test_a_lost_create_that_finishes_after_the_first_look_is_still_found_and_deleted(
        stack: ExitStack, tmp_path: Path) -> None:
    # Ctrl-C, a timeout or an outage while a create is in flight: the service may finish it
    # after teardown's first look by name. Only the last of LOST_LOOKS may say "none".
    simulator = Watched(replace(default_scenario(), image_gone_after_looks=0))
    run = Run(simulator, stack, tmp_path)
    custody = run.session.custody
    assert custody is not None
    attempt = custody.begin(f"late-{TAG}001", "KR", unique=True)  # sent; no answer came
    looks: list[float] = []

    def finishes_late(seconds: float) -> None:
        if not looks:
            simulator.images.create(attempt.name, None, ())
        looks.append(seconds)

    report = settle(run.target, custody.state(), run.ledger,
                    waiting=Waiting(seconds=5.0, poll=0.0, sleep=finishes_late))
    assert looks  # teardown looked again
    assert report.recovered == report.deleted != []
    assert run.left == set()
    assert not run.ledger.state().owes


def test_an_image_made_before_the_request_is_never_taken_for_the_runs(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Watched(replace(default_scenario(), image_gone_after_looks=0))  # gone at once
    run = Run(simulator, stack, tmp_path, loopback=True)
    run.unanswered(held=True)
    run.valid("base-only", examples=3)
    run.unanswered(held=False)
    simulator.idle()  # the creates the client gave up on have all finished
    lost = list(run.session.custody.pending.values()) if run.session.custody else []
    assert lost
    # Someone made an image under each lost name an hour before the request was sent, and
    # after the inventory was taken; the run's own images of those names were never made.
    for number in run.left:
        simulator.images.delete([number])
    old = {simulator.colleague_makes(a.name, ago=timedelta(hours=1)).number for a in lost}
    run.teardown()
    assert old <= simulator.images.numbers()
    assert run.log.deleted == []
    assert run.log.possibly == {}


def test_deletion_waits_for_terminating_images(stack: ExitStack, tmp_path: Path) -> None:
    scenario = replace(default_scenario(), image_gone_after_looks=3)
    run = Run(Watched(scenario), stack, tmp_path)
    run.valid("base-only", examples=3)
    run.teardown(wait=0)
    assert sorted(run.log.deleted) == sorted(run.log.created)  # terminating counts as deleted
    assert run.log.leaks == {}
    assert run.log.verdict == "passed"


def test_an_image_still_listed_after_deletion_is_a_leak(stack: ExitStack, tmp_path: Path) -> None:
    run = Run(Unkillable(), stack, tmp_path)
    run.valid("base-only", examples=2)
    run.teardown(wait=0)
    assert set(run.log.leaks) == set(run.log.created) != set()
    assert all("still listed (status CREAT, operation NULL)" in why
               for why in run.log.leaks.values())
    assert run.log.verdict == "failed"


def test_an_accepted_bad_signature_makes_an_image_that_is_deleted(
        stack: ExitStack, tmp_path: Path) -> None:
    run = Run(Watched(fault="auth-accepts-wrong"), stack, tmp_path)
    failure = run.session.auth("wrong", "t")
    assert failure is not None
    assert len(run.log.created) == 1
    run.teardown()
    assert run.log.deleted == run.log.created
    assert run.left == set()


def test_the_budget_bounds_every_image_made_even_those_no_one_meant(
        stack: ExitStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.sim.actions.judge",
                        lambda params, account: Verdict(Outcome.ACCEPT))
    simulator = Watched()
    run = Run(simulator, stack, tmp_path, max_creates=5)
    mark = run.session.budget_mark()
    for rule in ("SEED-R5", "SEED-R7", "SEED-R8", "SEED-R9", "SEED-R2", "SEED-R3"):
        failure = run.session.exercise(breaking_probes(run.session.account, rule), "t")
        assert failure is not None  # found, and shrunk as far as the budget allowed
        assert simulator.images.ever_created <= 5
        if run.session.starved_since(mark):
            break
    assert run.session.starved_since(mark)  # each rule's breakers made images: budget spent
    assert simulator.images.ever_created == 5
    run.valid("base-only", examples=5)  # nothing more is sent at the ceiling
    assert simulator.images.ever_created == 5
    run.teardown()
    assert run.left == set()


def test_an_exception_while_judging_is_a_harness_error_never_a_pass(
        stack: ExitStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        del args
        raise RuntimeError("a bug in the harness's checks")

    simulator = Watched()
    run = Run(simulator, stack, tmp_path)
    monkeypatch.setattr("harness.run.session.check_answer", broken)
    fault = run.session.exercise(valid_probes(run.session.account, "base-only"), "t")
    assert fault is not None
    assert "RuntimeError: a bug in the harness's checks" in fault.render()
    assert run.log.verdict == "error"
    assert run.log.summary()["harness_errors"][0]["error"].startswith("RuntimeError")
    creates = [s for s in simulator.seen if "createServerImageFromSnapshot" in s]
    assert len(creates) == 1  # stopped at once, not shrunk
    run.teardown()
    assert run.log.deleted == run.log.created != []  # its image was still accounted for


def test_an_answer_nested_too_deep_is_refused_as_a_violation(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Deep()
    run = Run(simulator, stack, tmp_path)
    failure = run.session.exercise(valid_probes(run.session.account, "base-only"), "t")
    assert isinstance(failure, Failure)
    assert (failure.violation.rule, failure.violation.check) == ("SEED-S1", "response_schema")
    assert "nested deeper than 64 levels; not read" in failure.violation.message
    assert run.log.verdict == "failed"
    run.teardown()
    assert run.log.unknown  # a success nobody could read: the image it may have made


class _Repeating(Watched):
    """getServerImageList ignores pageNo: every page is the first, and totalRows says more."""

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        if "/getServerImageList" in target:
            target = re.sub(r"pageNo=[0-9]+", "pageNo=1", target)
        answer = super().handle(method, target, headers, body)
        if "/getServerImageList" in target and answer.status == 200 and b"{" in answer.body[:1]:
            data = json.loads(answer.body)
            data["getServerImageListResponse"]["totalRows"] = 5000
            return SimResponse(200, answer.headers, json.dumps(data).encode())
        return answer


def test_the_inventory_is_every_page_or_the_run_does_not_start() -> None:
    names = tuple(f"existing-{i:04}" for i in range(2345))
    scenario = replace(default_scenario(), verify_signatures=False, account=replace(
        default_scenario().account, image_names=frozenset(names)))
    with simulated(DEFAULT_BASE_URL, Simulator(scenario)):
        target = HttpTarget(DEFAULT_BASE_URL, scenario.credentials, name="live")
        account = discover(target)
    assert len(account.inventory) == 2345 + len(PUBLIC_IMAGES)  # three pages of at most 1000
    with simulated(DEFAULT_BASE_URL, _Repeating(scenario)):
        target = HttpTarget(DEFAULT_BASE_URL, scenario.credentials, name="live")
        with pytest.raises(TargetError, match=r"page 2 repeated earlier rows: 1000 of the 5000"):
            discover(target)


def test_a_gateway_timeout_on_a_create_is_a_lost_answer(stack: ExitStack, tmp_path: Path) -> None:
    simulator = TimesOutAtTheGateway()
    run = Run(simulator, stack, tmp_path)
    run.valid("base-only", examples=3)  # a 504 is the gateway's: never a violation
    made = simulator.images.ever_created
    assert made > 0
    run.teardown()
    assert run.left == set()
    assert len(run.log.recovered) == made
