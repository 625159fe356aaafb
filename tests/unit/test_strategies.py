"""Generation: valid classes accept, breakers break their rule, open cases open."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.account import Account
from harness.errors import ConfigError
from harness.oracle import Outcome, judge
from harness.rules import OPEN_CASES
from harness.scenario import sample_account
from harness.strategies.breaking import BREAKABLE, breaking_probes
from harness.strategies.open_cases import open_case_probes
from harness.strategies.probe import Probe
from harness.strategies.valid import VALID_CLASSES, valid_probes
from harness.strategies.wirefuzz import WIRE_KINDS, wire_probes
from harness.wire import decode, decode_request

ACCOUNT = sample_account()
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.filter_too_much])


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


def test_valid_classes_reach_their_boundaries() -> None:
    seen = [p.request for cls in ("name-3-and-30", "description-1000-bytes",
                                  "order-20-and-21-entries", "size-equal-to-snapshot")
            for p in _run(valid_probes(ACCOUNT, cls), lambda p: None)]
    requests = [r for r in seen if r is not None]
    assert {len(r.server_image_name or "") for r in requests} >= {3, 30}
    described = [r.description for r in requests if r.description is not None]
    assert any(len(d.encode()) == 1000 and len(d) < 1000 for d in described)
    assert any(len(r.block_storages) == 21 for r in requests)
    assert any(max(s.order or 0 for s in r.block_storages) == 20 for r in requests)
    snaps = {s.instance_no: s for s in ACCOUNT.snapshots}
    assert any(s.size_gb is not None and s.snapshot_instance_no is not None
               and s.size_gb * 2**30 == snaps[s.snapshot_instance_no].size_bytes
               for r in requests for s in r.block_storages)


def test_methods_and_formats_vary() -> None:
    probes = _run(valid_probes(ACCOUNT, "mixed"), lambda p: None)
    assert {p.method for p in probes} == {"GET", "POST"}
    assert {p.response_format for p in probes} == {"xml", "json"}


@pytest.mark.parametrize("rule", BREAKABLE)
def test_breakers_break_their_rule(rule: str) -> None:
    def check(probe: Probe) -> None:
        verdict = judge(probe.params, ACCOUNT)
        assert verdict.outcome is Outcome.REJECT
        if rule == "SEED-R6":  # never alone: see harness.strategies.breaking
            assert rule in verdict.rules
        else:
            assert verdict.rules == (rule,), str(verdict)
        assert probe.rules == (rule,)

    _run(breaking_probes(ACCOUNT, rule), check)


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
