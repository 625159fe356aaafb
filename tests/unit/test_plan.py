"""The budget plan: what --max-creates buys, in order, and each creating test's quota."""

from __future__ import annotations

import os
import subprocess
import sys

from harness.run.plan import COVER, CREATING, Plan, capped, make_plan, suite_tests
from harness.strategies.valid import VALID_CLASSES

SUITE = ["harness/suite/test_contract.py::test_covering_set_is_accepted",
         *(f"harness/suite/test_contract.py::{key}" for key in suite_tests())]
VALID = [f"test_valid_request_is_accepted[{c}]" for c in VALID_CLASSES]


def _plan(budget: int, tests: list[str] = SUITE, isolation: int = 10,
          examples: int = 50) -> Plan:
    return make_plan(budget, tests, isolation=isolation,
                     max_examples=lambda key: capped(key, examples))


def test_the_default_budget_buys_the_covering_set_a_reserve_and_one_example_a_class() -> None:
    plan = _plan(25)
    assert (plan.cover, plan.kept, plan.generated, plan.planned) == (COVER, 10, 12, 15)
    assert plan.valid_limit == 15
    bought = [key for key, quota in plan.quotas.items() if quota]
    assert bought[0] == "test_get_and_post_agree"  # REQ-2's pair first, then ten classes
    assert len(bought) == 11
    stood_for = {r for key in bought[1:] for r in VALID_CLASSES[key[31:-1]][0]}
    assert stood_for == {r for rules, _ in VALID_CLASSES.values() for r in rules}
    assert plan.examples("x.py::test_get_and_post_agree") == 1  # one GET and one POST
    assert plan.examples(f"x.py::{bought[1]}") == 1
    assert plan.examples(f"x.py::{next(v for v in VALID if v not in bought)}") == 0
    assert plan.quota("x.py::test_open_case_is_a_finding[U1]") == 0
    assert plan.quota("x.py::test_broken_rule_is_rejected[SEED-R2]") is None  # refuses only
    assert plan.quota("my_tests.py::test_mine") is None  # a user's own test: no quota
    assert "budget plan for --max-creates 25: 15 creates planned" in plan.lines()[0]
    assert plan.as_dict()["planned"] == 15


def test_more_budget_buys_more_examples_never_fewer_breakers_or_less_reserve() -> None:
    small, large = _plan(25), _plan(200)
    assert large.kept >= small.kept
    assert all(large.quotas[k] >= small.quotas[k] for k in small.quotas)
    assert large.quotas["test_get_and_post_agree"] % 2 == 0  # a GET and a POST an example
    assert large.generated == 200 - large.cover - large.kept
    capped_plan = _plan(10_000, examples=3)
    assert all(q <= 3 * (2 if k == "test_get_and_post_agree" else 1)
               for k, q in capped_plan.quotas.items())  # never past the profile's examples


def test_a_tiny_budget_keeps_a_unit_for_breakers_and_the_covering_set_only_when_selected(
) -> None:
    tiny = _plan(2)
    assert (tiny.cover, tiny.kept, tiny.generated) == (1, 1, 0)
    assert (_plan(1).cover, _plan(1).kept) == (0, 1)
    assert (_plan(0).cover, _plan(0).kept, _plan(0).generated) == (0, 0, 0)
    without = _plan(25, tests=[t for t in SUITE if "covering" not in t])
    assert without.cover == 0
    assert without.generated == 15
    narrow = _plan(6, tests=[f"x.py::{v}" for v in VALID])
    assert (narrow.kept, narrow.generated) == (3, 3)  # isolation: at most half the budget


def test_the_plan_knows_every_creating_test_the_suite_collects() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "PYTEST_"))}
    listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                             "--pyargs", "harness.suite", "-p", "no:cacheprovider"],
                            capture_output=True, text=True, env=env, timeout=300, check=False)
    collected = {line.rpartition("::")[2] for line in listed.stdout.splitlines()
                 if "::" in line}
    names = {name for name, _ in CREATING} - {"test_recorded_failure_is_fixed"}  # cassette
    creating = {key for key in collected if key.partition("[")[0] in names}
    assert creating == set(suite_tests())
