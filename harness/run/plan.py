"""The budget plan: what a live run's --max-creates buys, in order, decided before it creates.

(a) The covering set: every accepting clause and class in at most three creates. (b) Every
refusing clause's breaker: nothing on a correct service, since a refused create's unit comes
back once the inventory shows no image, but it needs units in flight. (c) An isolation
reserve, enough to take the widest covering request apart (`isolate.creates_needed`), at
most half the budget. (b) and (c) share the *kept* units, never spent on (a) or (d).
(d) Generated examples of the tests whose requests create, one example at a time: the
GET-and-POST pair first (REQ-2 is checked nowhere else), then the valid classes (those that
stand for rules not yet stood for first), schemathesis' positive cases, the open cases, the
wire fuzz, until the budget is spent or each test has its profile's examples.

A test's quota is the images its examples may make: accepted requests beyond it are not
sent ("not planned"), so a test of the plan is never cut short by it. A run with no budget
(the simulator) has no plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from harness.contract.account import Account
from harness.contract.rules import OPEN_CASES
from harness.core.errors import ConfigError
from harness.run.covering import covering_set
from harness.run.isolate import creates_needed
from harness.strategies.valid import VALID_CLASSES
from harness.strategies.wirefuzz import WIRE_KINDS

__all__ = ["AGREE_EXAMPLES", "COVER", "CREATING", "NEGATIVE_EXAMPLES", "Plan", "capped",
           "make_plan", "plan_for", "suite_tests", "test_key"]

COVER = 3
"""Creates of the covering set (`harness.run.covering`)."""
CREATING: tuple[tuple[str, int], ...] = (
    ("test_get_and_post_agree", 2),
    ("test_valid_request_is_accepted", 1),
    ("test_schemathesis_cases_keep_the_contract", 1),
    ("test_open_case_is_a_finding", 1),
    ("test_wire_fuzz_never_gets_5xx", 1),
    ("test_recorded_failure_is_fixed", 1),
)
"""Tests whose requests may create, in the order the plan serves them (REQ-2's pair first:
nothing else checks it), and creates an example costs (a GET-and-POST pair is two)."""
_UNITS = dict(CREATING)
_ONLY_CREATES = frozenset({"test_valid_request_is_accepted", "test_get_and_post_agree"})
"""Tests every example of which creates: their examples are their quota."""


AGREE_EXAMPLES = 20
"""Examples of test_get_and_post_agree at most (each a GET and a POST)."""
NEGATIVE_EXAMPLES = 10
"""Examples of schemathesis' negative mode at most (it draws about 5 cases a second)."""


def capped(key: str, examples: int) -> int:
    """The examples a test draws under a profile of `examples` (its own cap applied)."""
    if _function(key) == "test_get_and_post_agree":
        return min(examples, AGREE_EXAMPLES)
    if _function(key) == "test_schemathesis_cases_keep_the_contract" and "negative" in key:
        return min(examples, NEGATIVE_EXAMPLES)
    return examples


def suite_tests() -> list[str]:
    """The creating tests of the whole conformance suite, as a run collects them."""
    return [*(f"test_valid_request_is_accepted[{c}]" for c in VALID_CLASSES),
            "test_get_and_post_agree",
            *(f"test_schemathesis_cases_keep_the_contract[{method}-{mode}]"
              for mode in ("positive", "negative") for method in ("GET", "POST")),
            *(f"test_open_case_is_a_finding[{case}]" for case in OPEN_CASES),
            *(f"test_wire_fuzz_never_gets_5xx[{kind}]" for kind in WIRE_KINDS)]


def test_key(test: str) -> str:
    """`harness/suite/test_contract.py::test_x[p]` -> `test_x[p]` (a plan's key)."""
    return test.rpartition("::")[2]


def _function(key: str) -> str:
    return key.partition("[")[0]


@dataclass(frozen=True)
class Plan:
    """What the budget buys: the covering set, the kept units, and each test's quota."""

    budget: int
    cover: int
    kept: int
    isolation: int
    """Creates an isolation of the widest covering request needs (part of `kept`)."""
    quotas: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Test key -> images its generated examples may make."""

    @property
    def generated(self) -> int:
        """Creates planned for generated examples."""
        return sum(self.quotas.values())

    @property
    def planned(self) -> int:
        """Creates a correct service gets: the covering set and the generated examples."""
        return self.cover + self.generated

    @property
    def valid_limit(self) -> int:
        """How many units requests expected to create may hold (the kept ones excluded)."""
        return self.budget - self.kept

    def quota(self, test: str) -> int | None:
        """The images `test` may make; None for a test the plan does not know (a user's)."""
        key = test_key(test)
        if _function(key) not in _UNITS:
            return None
        return self.quotas.get(key, 0)

    def examples(self, test: str) -> int | None:
        """How many examples a test that only creates may draw (None: not such a test)."""
        key = test_key(test)
        if _function(key) not in _ONLY_CREATES:
            return None
        return self.quotas.get(key, 0) // _UNITS[_function(key)]

    def unplanned(self) -> list[str]:
        """Creating tests the budget bought no generated example of."""
        return [key for key, quota in self.quotas.items() if quota == 0]

    def lines(self) -> list[str]:
        """The plan for a person, in the order it is spent."""
        served = sorted(k for k, q in self.quotas.items() if q)
        left = self.unplanned()
        breakers = (f"refused, units back once the inventory shows no image (uses the"
                    f" {self.kept} kept)")
        isolation = (f"{min(self.isolation, self.kept)} of the kept, to take a refused valid"
                     " request apart")
        generated = (f"{self.generated} create(s) over {len(served)} test(s)"
                     + (f"; not bought for {len(left)} (more --max-creates buys them)"
                        if left else ""))
        head = (f"budget plan for --max-creates {self.budget}: {self.planned} creates planned"
                f" on a correct service, {self.kept} kept back")
        return [head,
                f"  (a) covering set: {self.cover} create(s), every class and boundary",
                f"  (b) every rule's breaker: {breakers}",
                f"  (c) isolation reserve: {isolation}",
                f"  (d) generated examples: {generated}"]

    def as_dict(self) -> dict[str, Any]:
        """The plan as summary.json records it."""
        return {"budget": self.budget, "cover": self.cover, "kept": self.kept,
                "isolation": self.isolation, "generated": self.generated,
                "planned": self.planned, "quotas": dict(sorted(self.quotas.items()))}


def _rules_first(keys: list[str]) -> list[str]:
    """The valid classes reordered so that the first ones between them stand for every rule.

    Each next class is the one that adds most rules not yet stood for (collection order
    among equals): a budget that buys one example of a few classes still has a valid
    request standing for each rule, which is what blames a refusing service on its rule.
    """
    valid = [k for k in keys if _function(k) == "test_valid_request_is_accepted"]
    rules = {k: set(VALID_CLASSES.get(k.partition("[")[2].rstrip("]"), ((), None))[0])
             for k in valid}
    ordered: list[str] = []
    shown: set[str] = set()
    left = list(valid)
    while left:
        best = max(left, key=lambda k: len(rules[k] - shown))  # the first of the best
        ordered.append(best)
        shown |= rules[best]
        left.remove(best)
    place = iter(ordered)
    return [next(place) if k in rules else k for k in keys]


def make_plan(budget: int, tests: Iterable[str], *, isolation: int,
              max_examples: Callable[[str], int]) -> Plan:
    """The plan for `budget` creates and the selected `tests` (see the module docstring).

    `isolation`: creates an isolation of the widest covering request needs; `max_examples`:
    a test key's examples under the profile (its quota never exceeds what it would draw).
    """
    keys = list(dict.fromkeys(test_key(t) for t in tests))
    covering = "test_covering_set_is_accepted" in keys
    cover = max(0, min(COVER, budget - 1)) if covering else 0  # a unit stays for a breaker
    # Isolation gets at most half the budget: it is spent only when a valid request is
    # refused, and a budget too small for it still buys generated examples.
    floor = 1 if budget else 0
    kept = min(budget - cover, max(budget // 5, min(isolation, budget // 2), floor))
    left = budget - cover - kept
    creating = [key for key in keys if _function(key) in _UNITS]
    order = {name: rank for rank, (name, _) in enumerate(CREATING)}
    creating.sort(key=lambda key: order[_function(key)])  # stable: collection order within
    creating = _rules_first(creating)
    quotas = dict.fromkeys(creating, 0)
    while left > 0:
        given = False
        for key in creating:
            units = _UNITS[_function(key)]
            cap = max_examples(key) * units
            if units <= left and quotas[key] + units <= cap:
                quotas[key] += units
                left -= units
                given = True
        if not given:
            break
    return Plan(budget, cover, kept, isolation, MappingProxyType(quotas))


def plan_for(budget: int, account: Account, tests: Iterable[str] | None,
             examples: int) -> Plan:
    """The plan for `budget` creates on `account` over `tests` (None: the whole suite).

    Its isolation reserve is what taking the widest covering request apart costs; a test
    draws at most `examples` (the profile's) examples.
    """
    try:
        isolation = max(creates_needed(c.probe.params, account) for c in covering_set(account))
    except ConfigError:
        isolation = 0  # no covering set: the run says why when it tries
    chosen = (["test_covering_set_is_accepted", *suite_tests()] if tests is None
              else list(tests))
    return make_plan(budget, chosen, isolation=isolation,
                     max_examples=lambda key: capped(key, examples))
