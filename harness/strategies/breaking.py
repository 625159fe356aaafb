"""For each clause a request can break, valid requests with that clause broken, alone.

A breaker edits a valid request's wire parameters in one of the ways a clause forbids
(`harness.contract.clauses`); the oracle then confirms the result is a reject that names
that clause and nothing beyond the clauses it must travel with (SEED-R5.2 with SEED-R9.3,
SEED-R6.1 with SEED-R8.3). A rule's probes are its clauses' probes, one clause drawn per
probe, so no clause goes unbroken. SEED-R10 has no breaker: any other format is the open
case U9. A clause that needs what the account lacks (a XEN snapshot, a non-bootable one, a
snapshot bigger than the smallest size) is left out of its rule's probes; asked for alone,
it raises `ConfigError` saying so, and so does a rule left with none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from harness.contract.account import GIB, Account, Snapshot
from harness.contract.clauses import CLAUSES, rule_of
from harness.contract.keys import entry_key, parse_entry_key
from harness.contract.model import Params
from harness.contract.oracle import Outcome
from harness.contract.probe import Probe
from harness.contract.rules import DESCRIPTION_MAX_BYTES, NAME_MAX
from harness.core.errors import ConfigError
from harness.strategies.edit import base_index, drop, entry_count, put, put_top
from harness.strategies.edited import edited_probes
from harness.strategies.valid import usable_snapshots

__all__ = ["BREAKABLE", "CLAUSE_BREAKERS", "breaking_probes"]

Draw = Any
Breaker = Callable[[Draw, Params, Account], Params]


def _additional(draw: Draw, params: Params) -> int:
    base = base_index(params)
    others = [n for n in range(1, entry_count(params) + 1) if n != base]
    return int(draw(st.sampled_from(others)))


def _new_fields(n: int, order: int, size: str = "100", vtype: str = "CB1") -> Params:
    """The four parameters of entry `n` as a new empty storage."""
    return ((entry_key(n, "order"), str(order)), (entry_key(n, "blockStorageSize"), size),
            (entry_key(n, "blockStorageVolumeTypeCode"), vtype),
            (entry_key(n, "emptyBlockStorage"), "true"))


def _new_entry(params: Params, order: int, size: str = "100", vtype: str = "CB1") -> Params:
    """`params` with one more entry, a new empty storage, after the last."""
    return (*params, *_new_fields(entry_count(params) + 1, order, size, vtype))


def _free_order(params: Params) -> int:
    used = {v for k, v in params if k.endswith(".order")}
    return next(o for o in range(1, 21) if str(o) not in used)


def _name(params: Params, draw: Draw, names: st.SearchStrategy[str]) -> Params:
    return put_top(params, "serverImageName", draw(names))


_OK = "abcdefghij"
_TOO_SHORT_OR_LONG = st.one_of(st.text(_OK, min_size=1, max_size=2),
                               st.text(_OK, min_size=NAME_MAX + 1, max_size=NAME_MAX + 20))
_BAD_CHARACTER = st.builds(lambda a, c, b: a + c + b, st.text(_OK, min_size=1, max_size=5),
                           st.sampled_from(("_", ".", " ", "é", "名", "!", "\u200b")),
                           st.text(_OK, min_size=1, max_size=5))
_BAD_FIRST = st.builds(lambda c, t: c + t, st.sampled_from("09Z"),
                       st.text(_OK, min_size=3, max_size=10))
_BAD_LAST = st.builds(lambda t, c: t + c, st.text(_OK, min_size=3, max_size=10),
                      st.sampled_from("-Z"))


def r1_2(draw: Draw, params: Params, account: Account) -> Params:
    code = draw(st.sampled_from(("XX", "kr", "KR1", "ZZZ", "GLOBAL")).filter(
        lambda c: c not in account.regions))
    return put_top(params, "regionCode", code)


def r2_1(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return tuple((k, v) for k, v in params if k != "serverImageName")


def r2_2(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _name(params, draw, _TOO_SHORT_OR_LONG)


def r2_3(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _name(params, draw, _BAD_CHARACTER)


def r2_4(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _name(params, draw, _BAD_FIRST)


def r2_5(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _name(params, draw, _BAD_LAST)


def r3_2(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    unit = draw(st.sampled_from(("a", "é", "説", "\U0001f600")))
    extra = draw(st.integers(1, 300))
    count = -(-(DESCRIPTION_MAX_BYTES + extra) // len(unit.encode()))
    return put_top(params, "serverImageDescription", unit * count)


def _with_additional(draw: Draw, params: Params) -> tuple[Params, int]:
    """The parameters with at least one additional storage, and the N of one of them."""
    params = _new_entry(params, _free_order(params)) if entry_count(params) < 2 else params
    return params, _additional(draw, params)


def r4_1(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    params, target = _with_additional(draw, params)
    return drop(params, target, "order")


def r4_2(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    params, target = _with_additional(draw, params)
    return put(params, target, "order", draw(st.sampled_from(("one", "1.5", "0x1", "1e1"))))


def r4_3(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    if draw(st.booleans()):  # no list at all
        return tuple((k, v) for k, v in params if parse_entry_key(k) is None)
    return put(params, base_index(params), "order", str(_free_order(params)))


def r4_4(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    base = base_index(params)
    n = entry_count(params) + 1
    snap = next(v for k, v in params if k == entry_key(base, "snapshotInstanceNo"))
    return put(put(params, n, "order", "0"), n, "snapshotInstanceNo", snap)


def r4_5(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    params, target = _with_additional(draw, params)
    return put(params, target, "order", draw(st.sampled_from(("-1", "21", "99", str(2**31)))))


def r4_6(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    base = base_index(params)
    kept = [(k, v, parse_entry_key(k)) for k, v in params]
    params = tuple((k if parsed is None else entry_key(1, parsed.field), v)
                   for k, v, parsed in kept if parsed is None or parsed.label == str(base))
    # One entry too many: the last one's order is one too high.
    return (*params, *(p for order in range(1, account.limits.max_order + 2)
                       for p in _new_fields(order + 1, order)))


def _unknown_snapshot(draw: Draw, account: Account) -> str:
    return str(draw(st.integers(1, 10**9).map(str).filter(
        lambda n: account.snapshot(n) is None)))


def _non_bootable(account: Account) -> list[Snapshot]:
    return [s for s in account.snapshots if not s.bootable and s.kvm and s.available]


def _xen(account: Account) -> list[Snapshot]:
    return [s for s in account.snapshots if not s.kvm and s.bootable and s.available]


def _big(account: Account) -> list[Snapshot]:
    """Usable snapshots larger than a CB1 storage's smallest size (SEED-R7.2 can bite)."""
    return [s for s in usable_snapshots(account)
            if s.size_bytes > account.limits.for_type("CB1").min_gb * GIB]


def r5_1(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return drop(params, base_index(params), "snapshotInstanceNo")


def r5_2(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    params = _new_entry(params, _free_order(params))
    return put(params, entry_count(params), "emptyBlockStorage", "false")


def r5_3(draw: Draw, params: Params, account: Account) -> Params:
    unknown = _unknown_snapshot(draw, account)
    if draw(st.booleans()):
        return put(params, base_index(params), "snapshotInstanceNo", unknown)
    n = entry_count(params) + 1
    params = put(params, n, "order", str(_free_order(params)))
    params = put(params, n, "snapshotInstanceNo", unknown)
    return put(params, n, "emptyBlockStorage", "false")


def r5_4(draw: Draw, params: Params, account: Account) -> Params:
    snap = draw(st.sampled_from(_non_bootable(account)))
    base = base_index(params)
    return drop(put(params, base, "snapshotInstanceNo", snap.instance_no), base,
                "blockStorageSize")


def r6_1(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    n = entry_count(params) + 1
    params = put(params, n, "order", str(_free_order(params)))
    params = put(params, n, "blockStorageSize", "100")
    return put(params, n, "emptyBlockStorage", "true")


def _on_new(draw: Draw, params: Params, field: str, values: tuple[str, ...] | None) -> Params:
    """A new, well-formed storage with `field` set to one of `values` (None: left out)."""
    params = _new_entry(params, _free_order(params))
    n = entry_count(params)
    return drop(params, n, field) if values is None else put(params, n, field,
                                                             draw(st.sampled_from(values)))


def r7_1(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _on_new(draw, params, "blockStorageSize", ("ten", "10.5", "1e2", "0x10"))


def r7_2(draw: Draw, params: Params, account: Account) -> Params:
    base = base_index(params)
    snap = draw(st.sampled_from(_big(account)))
    params = put(params, base, "snapshotInstanceNo", snap.instance_no)
    return put(params, base, "blockStorageSize", str(account.limits.for_type("CB1").min_gb))


def r7_3(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _on_new(draw, params, "blockStorageSize", None)


def r7_4(draw: Draw, params: Params, account: Account) -> Params:
    limits = account.limits.for_type("CB1")
    outside = [str(draw(st.integers(-10, limits.min_gb - 1))),
               str(limits.max_gb + limits.step_gb * draw(st.integers(1, 100)))]
    if limits.step_gb > 1:
        outside.append(str(limits.min_gb + draw(st.integers(1, limits.step_gb - 1))))
    return _on_new(draw, params, "blockStorageSize", tuple(outside))


def r8_1(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _on_new(draw, params, "blockStorageVolumeTypeCode",
                   ("CB3", "cb1", "SSD", "FB 1", "HDD"))


def r8_2(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return put(params, base_index(params), "blockStorageVolumeTypeCode",
               draw(st.sampled_from(("CB1", "FB2"))))


def r9_1(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _on_new(draw, params, "emptyBlockStorage", ("yes", "1", "0", "ture", "on"))


def r9_3(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    """The issue's own case: false on a storage with a type and a size but no snapshot."""
    return _on_new(draw, params, "emptyBlockStorage", ("false",))


def r9_4(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return put(params, base_index(params), "emptyBlockStorage",
               draw(st.sampled_from(("true", "false"))))


def r11_1(draw: Draw, params: Params, account: Account) -> Params:
    snap = draw(st.sampled_from(_xen(account)))
    if draw(st.booleans()):
        return drop(put(params, base_index(params), "snapshotInstanceNo", snap.instance_no),
                    base_index(params), "blockStorageSize")
    n = entry_count(params) + 1
    params = put(params, n, "order", str(_free_order(params)))
    params = put(params, n, "snapshotInstanceNo", snap.instance_no)
    return put(params, n, "emptyBlockStorage", "false")


CLAUSE_BREAKERS: dict[str, Breaker] = {
    "SEED-R1.2": r1_2, "SEED-R2.1": r2_1, "SEED-R2.2": r2_2, "SEED-R2.3": r2_3,
    "SEED-R2.4": r2_4, "SEED-R2.5": r2_5, "SEED-R3.2": r3_2, "SEED-R4.1": r4_1,
    "SEED-R4.2": r4_2, "SEED-R4.3": r4_3, "SEED-R4.4": r4_4, "SEED-R4.5": r4_5,
    "SEED-R4.6": r4_6, "SEED-R5.1": r5_1, "SEED-R5.2": r5_2, "SEED-R5.3": r5_3,
    "SEED-R5.4": r5_4, "SEED-R6.1": r6_1, "SEED-R7.1": r7_1, "SEED-R7.2": r7_2,
    "SEED-R7.3": r7_3, "SEED-R7.4": r7_4, "SEED-R8.1": r8_1, "SEED-R8.2": r8_2,
    "SEED-R8.3": r6_1, "SEED-R9.1": r9_1, "SEED-R9.3": r9_3, "SEED-R9.4": r9_4,
    "SEED-R11.1": r11_1,
}
"""One breaker per clause a request can break (SEED-R8.3's is SEED-R6.1's: a new storage
with neither a snapshot nor a type breaks both, and there is no other way)."""
BREAKABLE: tuple[str, ...] = tuple(dict.fromkeys(rule_of(c) for c in CLAUSE_BREAKERS))
"""Rules a request can break (SEED-R10 cannot: any other format is U9)."""

_NEEDS: dict[str, tuple[Callable[[Account], list[Snapshot]], str]] = {
    "SEED-R5.4": (_non_bootable, "non-bootable KVM snapshot in status CREAT"),
    "SEED-R7.2": (_big, "usable snapshot larger than the smallest CB1 size"),
    "SEED-R11.1": (_xen, "bootable XEN snapshot in status CREAT"),
}


def _missing(clause: str, account: Account) -> str | None:
    """What the account lacks for `clause`'s breaker, or None."""
    if not usable_snapshots(account):
        return "the account has no bootable, KVM, CREAT snapshot to build on"
    if clause not in _NEEDS:
        return None
    find, what = _NEEDS[clause]
    return None if find(account) else f"the account has no {what}"


def _clause_probes(account: Account, clause: str) -> st.SearchStrategy[Probe]:
    return edited_probes(account, CLAUSE_BREAKERS[clause], label=f"break:{clause}",
                         target=clause, outcome=Outcome.REJECT, additional=(0, 3),
                         alongside=CLAUSES[clause].with_)


def breaking_probes(account: Account, rule: str) -> st.SearchStrategy[Probe]:
    """Probes that break `rule` (a rule, one clause drawn per probe, or one clause).

    The oracle confirms each is a reject naming the clause, and no clause beyond those it
    must travel with.
    """
    if rule in CLAUSE_BREAKERS:
        missing = _missing(rule, account)
        if missing:
            raise ConfigError(f"{rule} cannot be exercised: {missing}")
        return _clause_probes(account, rule)
    if rule not in BREAKABLE:
        raise ConfigError(f"{rule!r} cannot be broken by a request; breakable rules:"
                          f" {', '.join(BREAKABLE)}; clauses: {', '.join(CLAUSE_BREAKERS)}")
    clauses = [c for c in CLAUSE_BREAKERS if rule_of(c) == rule]
    lacks = {c: _missing(c, account) for c in clauses}
    possible = [c for c in clauses if lacks[c] is None]
    if not possible:
        raise ConfigError(f"{rule} cannot be exercised: {lacks[clauses[0]]}")
    return st.one_of(*(_clause_probes(account, c) for c in possible))
