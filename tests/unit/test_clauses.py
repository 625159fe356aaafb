"""Every seed rule is split into clauses; the oracle names the clause a request breaks."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import Phase, find, settings
from hypothesis import strategies as st

from harness.checks.response import check_answer
from harness.contract import rulebook
from harness.contract.clauses import CLAUSES, clauses_of, rule_of
from harness.contract.edges import EDGES, edges
from harness.contract.oracle import Outcome, judge
from harness.contract.probe import Probe
from harness.contract.rulebook import View
from harness.contract.rules import RULES
from harness.contract.wire import decode
from harness.core.answer import Answer
from harness.run.covering import covering_set
from harness.run.failures import Failure
from harness.sim.scenario import sample_account
from harness.strategies.valid import VALID_CLASSES, valid_probes

_CLAUSE_ID = re.compile(r"SEED-[RS][0-9]+\.[0-9]+")


def _named_in_rulebook() -> set[str]:
    tree = ast.parse(Path(rulebook.__file__).read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and _CLAUSE_ID.fullmatch(node.value)}


def test_every_rule_and_only_rules_are_split_into_numbered_clauses() -> None:
    assert {clause.rule for clause in CLAUSES.values()} == set(RULES)
    for rule in RULES:
        ids = [clause.id for clause in clauses_of(rule)]
        assert ids == [f"{rule}.{n}" for n in range(1, len(ids) + 1)], rule
    assert rule_of("SEED-R9.3") == "SEED-R9"
    assert all(c.kind == "answers" for c in CLAUSES.values() if c.rule.startswith("SEED-S"))
    assert all(c.kind != "answers" for c in CLAUSES.values() if c.rule.startswith("SEED-R"))


def test_the_rulebook_judges_every_refusing_clause_and_names_no_other() -> None:
    named = _named_in_rulebook()
    assert named <= {c.id for c in CLAUSES.values() if c.refuses}
    assert {c.id for c in CLAUSES.values() if c.refuses} <= named  # none left unjudged


def test_a_clause_travels_only_with_refusing_clauses_that_exist() -> None:
    for clause in CLAUSES.values():
        for other in clause.with_:
            assert CLAUSES[other].refuses, (clause.id, other)
            assert other != clause.id


_BASE = "serverImageName=img-1&blockStorageList.1.order=0&blockStorageList.1.snapshotInstanceNo="
_VALID = _BASE + "1000001"
_NEW = ("&blockStorageList.2.order=1&blockStorageList.2.blockStorageVolumeTypeCode=CB1"
        "&blockStorageList.2.blockStorageSize=100&blockStorageList.2.emptyBlockStorage=true")
_ATTACH = ("&blockStorageList.2.order=1&blockStorageList.2.snapshotInstanceNo=1000003"
           "&blockStorageList.2.emptyBlockStorage=false")
_ADDITIONAL = "".join(  # 21 additional storages, orders 1..21: SEED-R4.5 comes along
    f"&blockStorageList.{n + 1}.order={n}&blockStorageList.{n + 1}"
    f".blockStorageVolumeTypeCode=CB1&blockStorageList.{n + 1}.blockStorageSize=10"
    f"&blockStorageList.{n + 1}.emptyBlockStorage=true" for n in range(1, 22))

# One request per refusing clause, breaking it (and what it must travel with) alone.
BROKEN_ALONE = {
    "SEED-R1.2": _VALID + "&regionCode=XX",
    "SEED-R2.1": _VALID.replace("serverImageName=img-1&", ""),
    "SEED-R2.2": _VALID.replace("img-1", "ab"),
    "SEED-R2.3": _VALID.replace("img-1", "img_1"),
    "SEED-R2.4": _VALID.replace("img-1", "1mg-1"),
    "SEED-R2.5": _VALID.replace("img-1", "img-"),
    "SEED-R3.2": _VALID + "&serverImageDescription=" + "%E8%AA%AC" * 334,
    "SEED-R4.1": _VALID + _NEW.replace("&blockStorageList.2.order=1", ""),
    "SEED-R4.2": _VALID + _NEW.replace("order=1", "order=one"),
    "SEED-R4.3": _VALID.replace("order=0", "order=2"),
    "SEED-R4.4": _VALID + "&blockStorageList.2.order=0&blockStorageList.2.snapshotInstanceNo="
                          "1000002",
    "SEED-R4.5": _VALID + _NEW.replace("order=1", "order=21"),
    "SEED-R4.6": _VALID + _ADDITIONAL,
    "SEED-R5.1": _BASE.removesuffix("&blockStorageList.1.snapshotInstanceNo="),
    "SEED-R5.2": _VALID + _ATTACH.replace("&blockStorageList.2.snapshotInstanceNo=1000003",
                                          "&blockStorageList.2.blockStorageVolumeTypeCode=CB1"
                                          "&blockStorageList.2.blockStorageSize=100"),
    "SEED-R5.3": _BASE + "9999999",
    "SEED-R5.4": _BASE + "1000003&blockStorageList.1.blockStorageSize=100",
    "SEED-R6.1": _VALID + "&blockStorageList.2.order=1&blockStorageList.2.blockStorageSize=100"
                          "&blockStorageList.2.emptyBlockStorage=true",
    "SEED-R7.1": _VALID + _NEW.replace("Size=100", "Size=1e2"),
    "SEED-R7.2": _VALID.replace("1000001", "1000002") + "&blockStorageList.1.blockStorageSize=40",
    "SEED-R7.3": _VALID + _NEW.replace("&blockStorageList.2.blockStorageSize=100", ""),
    "SEED-R7.4": _VALID + _NEW.replace("Size=100", "Size=16390"),
    "SEED-R8.1": _VALID + _NEW.replace("CB1", "SSD"),
    "SEED-R8.2": _VALID + "&blockStorageList.1.blockStorageVolumeTypeCode=CB1",
    "SEED-R8.3": _VALID + _NEW.replace("&blockStorageList.2.blockStorageVolumeTypeCode=CB1", ""),
    "SEED-R9.1": _VALID + _NEW.replace("emptyBlockStorage=true", "emptyBlockStorage=yes"),
    "SEED-R9.3": _VALID + _NEW.replace("emptyBlockStorage=true", "emptyBlockStorage=false"),
    "SEED-R9.4": _VALID + "&blockStorageList.1.emptyBlockStorage=false",
    "SEED-R11.1": _BASE + "1000004",
}


def test_every_refusing_clause_has_a_request_that_breaks_it() -> None:
    assert set(BROKEN_ALONE) == {c.id for c in CLAUSES.values() if c.refuses}


@pytest.mark.parametrize("clause", sorted(BROKEN_ALONE))
def test_the_oracle_names_the_clause_a_request_breaks_and_no_other(clause: str) -> None:
    verdict = judge(decode(BROKEN_ALONE[clause]), sample_account())
    assert verdict.outcome is Outcome.REJECT, verdict
    assert set(verdict.clauses) == {clause, *CLAUSES[clause].with_}, verdict


def test_false_without_a_snapshot_on_a_well_formed_entry_breaks_r9_3() -> None:
    """The issue's example: a volume type and a size present, emptyBlockStorage=false."""
    verdict = judge(decode(BROKEN_ALONE["SEED-R9.3"]), sample_account())
    assert "[SEED-R9.3] emptyBlockStorage=false requires snapshotInstanceNo" in str(verdict)


def test_a_violation_names_the_clause_the_service_let_through() -> None:
    """An invalid request answered 200: the violation, its record and its text name R9.3."""
    params = decode(BROKEN_ALONE["SEED-R9.3"])
    account = sample_account()
    probe = Probe(params, "GET", "break:SEED-R9", ("SEED-R9",))
    verdict = judge(params, account)
    answer = Answer(200, {"Content-Type": "application/xml"},
                    b"<createServerImageFromSnapshotResponse/>")
    (violation,) = [v for v in check_answer(probe, verdict, answer, account).violations
                    if v.check == "status_agrees_with_oracle"]
    assert (violation.rule, violation.clause) == ("SEED-R9", "SEED-R9.3")
    failure = Failure(violation, probe, 1, "t", ())
    assert failure.as_dict()["clause"] == "SEED-R9.3"
    assert failure.as_dict()["clause_says"] == CLAUSES["SEED-R9.3"].says
    assert f"  clause:   SEED-R9.3: {CLAUSES['SEED-R9.3'].says}" in failure.render()


def test_the_readme_lists_every_clause_in_the_seed_s_words() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for clause in CLAUSES.values():
        if clause.rule.startswith("SEED-R"):
            assert f"| {clause.id} | {clause.says} |" in readme, clause.id
        else:
            assert f"{clause.id} ({clause.says})" in readme, clause.id


def test_every_accepting_clause_has_an_edge_and_only_those() -> None:
    assert set(EDGES) == {c.id for c in CLAUSES.values() if c.allows}


@pytest.mark.parametrize("clause", sorted(EDGES))
def test_a_valid_class_stands_on_each_accepting_clause_s_edge(clause: str) -> None:
    """Issue 19, step 3: a valid class per accepting clause, accepted by the oracle."""
    account = sample_account()

    def on_edge(probe: Probe) -> bool:
        verdict = judge(probe.params, account)
        return (verdict.outcome is Outcome.ACCEPT and verdict.view is not None
                and clause in edges(verdict.view))

    classes = st.one_of(*(valid_probes(account, cls) for cls in VALID_CLASSES))
    found = find(classes, on_edge, settings=settings(max_examples=2000, database=None,
                                                     phases=[Phase.generate]))
    assert clause in edges(judge(found.params, account).view or _never())


def _never() -> View:
    raise AssertionError("an accepted request has a view")


@pytest.mark.parametrize(("clause", "wire", "shows"), [
    ("SEED-R2.2", _VALID.replace("img-1", "abc"), True),
    ("SEED-R2.2", _VALID.replace("img-1", "abcd"), False),
    ("SEED-R3.2", _VALID + "&serverImageDescription=" + "a" * 1000, True),
    ("SEED-R3.2", _VALID + "&serverImageDescription=" + "a" * 999, False),
    ("SEED-R7.2", _VALID + "&blockStorageList.1.blockStorageSize=10", True),
    ("SEED-R7.2", _VALID + "&blockStorageList.1.blockStorageSize=20", False),
    ("SEED-R8.4", _VALID + _ATTACH.replace("1000003", "1000002")  # an FB1 snapshot
     + "&blockStorageList.2.blockStorageVolumeTypeCode=CB2", True),
    ("SEED-R8.4", _VALID + _ATTACH.replace("1000003", "1000002")
     + "&blockStorageList.2.blockStorageVolumeTypeCode=FB1", False),
    ("SEED-R9.2", _VALID + _NEW, True),
    ("SEED-R9.2", _VALID, False),
])
def test_an_edge_is_the_edge_and_one_step_in_is_not(clause: str, wire: str,
                                                    shows: bool) -> None:
    verdict = judge(decode(wire), sample_account())
    assert verdict.outcome is Outcome.ACCEPT, verdict
    assert verdict.view is not None
    assert (clause in edges(verdict.view)) is shows


def test_the_covering_set_shows_every_accepting_clause() -> None:
    """A live run's first creates (the covering set) stand on every accepting clause."""
    account = sample_account()
    shown: set[str] = set()
    for cover in covering_set(account):
        verdict = judge(cover.probe.params, account)
        assert verdict.outcome is Outcome.ACCEPT
        assert verdict.view is not None
        shown.update(edges(verdict.view))
    assert shown == set(EDGES)


def _readme_budget_rows() -> dict[int, tuple[set[str], set[str]]]:
    """README's budget table: for each budget, the clauses it says are shown and left out."""
    text = (Path(__file__).parents[2] / "README.md").read_text()
    rows = re.findall(r"^\| (\d)[^|]*\| ([^|]*) \| ([^|]*) \|$", text, flags=re.M)

    def ids(cell: str) -> set[str]:
        return {"SEED-" + n for n in re.findall(r"\bR\d+\.\d+", cell)}
    return {int(budget): (ids(shown), ids(left)) for budget, shown, left in rows}


def test_a_smaller_budget_leaves_out_what_the_readme_says() -> None:
    """The covering set spent one create at a time shows and leaves out what the README says."""
    account = sample_account()
    table = _readme_budget_rows()
    assert sorted(table) == [1, 2, 3]
    shown: set[str] = set()
    for budget, cover in enumerate(covering_set(account), start=1):
        verdict = judge(cover.probe.params, account)
        assert verdict.view is not None
        new = set(edges(verdict.view)) - shown
        shown |= new
        said_shown, said_left = table[budget]
        assert said_shown == new
        assert said_left == set(EDGES) - shown
