"""Generation: valid classes accept, breakers break their rule, open cases open."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from harness.contract.account import GIB, Account, Snapshot
from harness.contract.clauses import CLAUSES, rule_of
from harness.contract.model import CreateImageRequest
from harness.contract.oracle import Outcome, judge
from harness.contract.probe import Probe
from harness.contract.rules import OPEN_CASES
from harness.contract.wire import decode, decode_request
from harness.core.errors import ConfigError
from harness.sim.scenario import sample_account
from harness.strategies.breaking import BREAKABLE, CLAUSE_BREAKERS, breaking_probes
from harness.strategies.open_cases import open_case_probes
from harness.strategies.valid import VALID_CLASSES, _evenly, usable_snapshots, valid_probes
from harness.strategies.wirefuzz import WIRE_KINDS, wire_probes

ACCOUNT = sample_account()
FEW = settings(max_examples=25, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _run(strategy: st.SearchStrategy[Probe], check: object) -> list[Probe]:
    seen: list[Probe] = []

    @FEW
    @given(strategy)
    def inner(probe: Probe) -> None:
        seen.append(probe)
        check(probe)  # type: ignore[operator]

    inner()
    return seen


@pytest.mark.parametrize("cls", VALID_CLASSES)
def test_valid_classes_are_accepted(cls: str) -> None:
    def check(probe: Probe) -> None:
        verdict = judge(probe.params, ACCOUNT)
        assert verdict.outcome is Outcome.ACCEPT, str(verdict)
        assert probe.request is not None
        assert decode_request(probe.wire) == probe.request
        assert probe.label == f"valid:{cls}"

    _run(valid_probes(ACCOUNT, cls), check)


def _requests(cls: str) -> list[CreateImageRequest]:
    return [p.request for p in _run(valid_probes(ACCOUNT, cls), lambda p: None)
            if p.request is not None]


def test_boundary_classes_hold_their_boundaries() -> None:
    assert {len(r.server_image_name or "") for r in _requests("name-3-and-30")} <= {3, 30}
    assert all(r.description is not None and len(r.description.encode()) == 1000
               for r in _requests("description-1000-bytes"))
    assert all(len(r.block_storages) == 21 and max(s.order or 0 for s in r.block_storages) == 20
               for r in _requests("order-20-and-21-entries"))
    snaps = {s.instance_no: s for s in ACCOUNT.snapshots}
    for request in _requests("size-equal-to-snapshot"):
        (base,) = request.block_storages
        assert base.size_gb is not None
        assert base.snapshot_instance_no is not None
        assert base.size_gb * 2**30 == snaps[base.snapshot_instance_no].size_bytes


@pytest.mark.parametrize(("cls", "wanted"), [
    ("name-3-and-30", lambda p: len(p.request.server_image_name) == 3),
    ("name-3-and-30", lambda p: len(p.request.server_image_name) == 30),
    ("description-1000-bytes", lambda p: len(p.request.description) < 1000),
    ("mixed", lambda p: p.method == "GET"),
    ("mixed", lambda p: p.method == "POST"),
    ("mixed", lambda p: p.response_format == "json"),
    ("mixed", lambda p: p.request.response_format is None),
    ("mixed", lambda p: any(s.empty for s in p.request.block_storages)),
    ("mixed", lambda p: any(s.empty is False and s.size_gb for s in p.request.block_storages)),
    ("mixed", lambda p: any(s.empty is False and s.size_gb is None and s.volume_type
                            for s in p.request.block_storages)),
    ("mixed", lambda p: p.request.block_storages[0].order == 0
     and p.request.block_storages[0].size_gb is not None),
])
def test_classes_reach_each_variant(cls: str, wanted: object) -> None:
    # find() searches until an example satisfies the condition, or gives up loudly.
    find(valid_probes(ACCOUNT, cls), wanted,  # type: ignore[arg-type]
         settings=settings(database=None, derandomize=True, max_examples=500,
                           phases=[Phase.generate]))


def _breaks_its_clause_alone(probe: Probe) -> None:
    verdict = judge(probe.params, ACCOUNT)
    assert verdict.outcome is Outcome.REJECT
    assert probe.clause is not None
    assert probe.clause in verdict.clauses, str(verdict)
    assert set(verdict.clauses) <= {probe.clause, *CLAUSES[probe.clause].with_}, str(verdict)
    assert probe.rules == (rule_of(probe.clause),)
    assert probe.label == f"break:{probe.clause}"


@pytest.mark.parametrize("rule", BREAKABLE)
def test_breakers_break_their_rule_one_clause_at_a_time(rule: str) -> None:
    seen: set[str] = set()

    def check(probe: Probe) -> None:
        _breaks_its_clause_alone(probe)
        assert rule_of(probe.clause or "") == rule
        seen.add(probe.clause or "")

    _run(breaking_probes(ACCOUNT, rule), check)
    assert seen  # and each clause has its own test below


@pytest.mark.parametrize("clause", sorted(CLAUSE_BREAKERS))
def test_each_clause_has_a_breaker_that_breaks_it_alone(clause: str) -> None:
    def check(probe: Probe) -> None:
        _breaks_its_clause_alone(probe)
        assert probe.clause == clause

    _run(breaking_probes(ACCOUNT, clause), check)


def test_every_refusing_clause_is_broken_alone_or_with_named_companions() -> None:
    """Broken alone, or only with the clauses named in `with_`; none left unbroken."""
    assert set(CLAUSE_BREAKERS) == {c.id for c in CLAUSES.values() if c.refuses}
    assert set(BREAKABLE) == {c.rule for c in CLAUSES.values() if c.refuses}


@pytest.mark.parametrize("case", OPEN_CASES)
def test_open_case_probes_are_unspecified(case: str) -> None:
    def check(probe: Probe) -> None:
        verdict = judge(probe.params, ACCOUNT)
        assert verdict.outcome is Outcome.UNSPECIFIED
        assert case in verdict.cases

    _run(open_case_probes(ACCOUNT, case), check)


@pytest.mark.parametrize("kind", WIRE_KINDS)
def test_wire_probes_send_exactly_their_raw_wire(kind: str) -> None:
    def check(probe: Probe) -> None:
        assert probe.raw is not None
        assert probe.wire == probe.raw
        assert probe.params == decode(probe.raw)
        assert probe.label == f"wire:{kind}"

    _run(wire_probes(ACCOUNT, kind), check)


def _account_without(predicate: object) -> Account:
    kept = tuple(s for s in ACCOUNT.snapshots if not predicate(s))  # type: ignore[operator]
    return replace(ACCOUNT, snapshots=kept, image_names=frozenset())


@pytest.mark.parametrize(("make", "message"), [
    (lambda: breaking_probes(_account_without(lambda s: s.hypervisor == "XEN"), "SEED-R11"),
     "no bootable XEN snapshot"),
    (lambda: breaking_probes(ACCOUNT, "SEED-R10"), "cannot be broken by a request"),
    (lambda: open_case_probes(_account_without(lambda s: not s.bootable), "U3"),
     "no non-bootable snapshot"),
    (lambda: open_case_probes(_account_without(lambda s: False), "U10"), "no existing image"),
    (lambda: valid_probes(_account_without(lambda s: True), "mixed"), "no bootable, KVM"),
    (lambda: valid_probes(ACCOUNT, "huge"), "unknown valid class"),
])
def test_what_an_account_cannot_support_is_said(make: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make()  # type: ignore[operator]


@pytest.mark.parametrize("bootable", [True, False])
@pytest.mark.parametrize("hypervisor", ["KVM", "XEN"])
@pytest.mark.parametrize("status", ["CREAT", "INIT"])
def test_a_usable_snapshot_is_bootable_kvm_and_available(bootable: bool, hypervisor: str,
                                                          status: str) -> None:
    snap = Snapshot("7", 10 * GIB, bootable, hypervisor, status)
    assert snap.usable == (bootable and hypervisor == "KVM" and status == "CREAT")
    account = Account((snap,))
    assert usable_snapshots(account) == ((snap,) if snap.usable else ())
    verdict = judge(decode("serverImageName=img-7&blockStorageList.1.order=0"
                           "&blockStorageList.1.snapshotInstanceNo=7"), account)
    assert (verdict.outcome is Outcome.ACCEPT) == snap.usable


def test_a_breakers_verdict_is_reused_only_for_its_own_parameters_and_account() -> None:
    """Judged once: the verdict rides on the probe; an edit or another account re-asks."""
    probe = find(breaking_probes(ACCOUNT, "SEED-R7"), lambda _: True,
                 settings=settings(database=None, derandomize=True))
    verdict = probe.verdict_for(ACCOUNT)
    assert verdict is not None
    assert verdict == judge(probe.params, ACCOUNT)
    assert probe.verdict_for(replace(ACCOUNT)) is None  # an equal account, not the same one
    renamed = replace(probe, params=(("serverImageName", "img-x"), *probe.params[1:]))
    assert renamed.verdict_for(ACCOUNT) is None
    assert probe.with_method("POST").verdict_for(ACCOUNT) == verdict


def test_evenly_draws_each_kind_equally_often_however_many_values_it_has() -> None:
    """One choice per entry: the kinds interleaved, shorter ones repeated, the first first."""
    merged = _evenly(["plain"], ["s1", "s2", "s3"], [], ["x1", "x2"])
    assert merged[0] == "plain"  # what shrinking goes to
    assert merged.count("plain") == 3
    assert sum(v.startswith("s") for v in merged) == 3
    assert sum(v.startswith("x") for v in merged) == 3
    assert set(merged) == {"plain", "s1", "s2", "s3", "x1", "x2"}  # every value is drawable
    assert _evenly([], []) == []


def test_a_mixed_request_shrinks_to_plain_attached_snapshots() -> None:
    found = find(valid_probes(ACCOUNT, "mixed"),
                 lambda p: p.request is not None and len(p.request.block_storages) >= 3,
                 settings=settings(database=None, derandomize=True))
    assert found.request is not None
    base, *rest = sorted(found.request.block_storages, key=lambda s: s.order or 0)
    assert base.size_gb is None
    assert all(s.empty is False and s.size_gb is None and s.volume_type is None
               for s in rest), rest
