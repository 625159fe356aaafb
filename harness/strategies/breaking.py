"""For each seed rule, valid requests with that rule broken and every other rule kept.

A breaker edits a valid request's wire parameters in one of the ways the seed forbids;
the oracle then confirms the result is a reject that names the rule. SEED-R6 cannot be
broken alone (an entry with neither a snapshot nor a type always also lacks what R5, R8 or
R9 require), so its probes name the companions. SEED-R10 has no breaker: any other format
is the open case U9. A breaker that needs what the account lacks (a XEN snapshot, a
non-bootable one) raises `ConfigError` saying so, and the run skips that rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from harness.contract.account import GIB, Account
from harness.contract.keys import entry_key, parse_entry_key
from harness.contract.model import Params
from harness.contract.oracle import Outcome
from harness.contract.probe import Probe
from harness.contract.rules import DESCRIPTION_MAX_BYTES, NAME_MAX
from harness.core.errors import ConfigError
from harness.strategies.edit import base_index, drop, entry_count, put, put_top
from harness.strategies.edited import edited_probes
from harness.strategies.valid import usable_snapshots

__all__ = ["BREAKABLE", "breaking_probes"]

Draw = Any
Breaker = Callable[[Draw, Params, Account], Params]


def _additional(draw: Draw, params: Params) -> int:
    base = base_index(params)
    others = [n for n in range(1, entry_count(params) + 1) if n != base]
    return int(draw(st.sampled_from(others)))


def _new_entry(params: Params, order: int, size: str = "100", vtype: str = "CB1") -> Params:
    n = entry_count(params) + 1
    params = put(params, n, "order", str(order))
    params = put(params, n, "blockStorageSize", size)
    params = put(params, n, "blockStorageVolumeTypeCode", vtype)
    return put(params, n, "emptyBlockStorage", "true")


def _free_order(params: Params) -> int:
    used = {v for k, v in params if k.endswith(".order")}
    return next(o for o in range(1, 21) if str(o) not in used)


def r1(draw: Draw, params: Params, account: Account) -> Params:
    code = draw(st.sampled_from(("XX", "kr", "KR1", "ZZZ", "GLOBAL")).filter(
        lambda c: c not in account.regions))
    return put_top(params, "regionCode", code)


def r2(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    ok = "abcdefghij"
    name = draw(st.one_of(
        st.text(ok, min_size=1, max_size=2),                                  # too short
        st.text(ok, min_size=NAME_MAX + 1, max_size=NAME_MAX + 20),           # too long
        st.builds(lambda c, t: c + t, st.sampled_from("0-9Z"), st.text(ok, min_size=3,
                                                                        max_size=10)),
        st.builds(lambda t: t + "-", st.text(ok, min_size=3, max_size=10)),   # '-' last
        st.builds(lambda a, c, b: a + c + b, st.text(ok, min_size=1, max_size=5),
                  st.sampled_from(("_", ".", " ", "é", "名", "!", "\u200b")),
                  st.text(ok, min_size=1, max_size=5)),
    ))
    return put_top(params, "serverImageName", name)


def r3(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    unit = draw(st.sampled_from(("a", "é", "説", "\U0001f600")))
    extra = draw(st.integers(1, 300))
    count = -(-(DESCRIPTION_MAX_BYTES + extra) // len(unit.encode()))
    return put_top(params, "serverImageDescription", unit * count)


def r4(draw: Draw, params: Params, account: Account) -> Params:
    base = base_index(params)
    kind = draw(st.sampled_from(["range", "not-int", "two-bases", "no-base", "missing",
                                 "too-many"]))
    if kind == "two-bases":
        n = entry_count(params) + 1
        snap = next(v for k, v in params if k == entry_key(base, "snapshotInstanceNo"))
        return put(put(params, n, "order", "0"), n, "snapshotInstanceNo", snap)
    if kind == "no-base":
        return put(params, base, "order", str(draw(st.integers(21, 99))))
    if kind == "too-many":
        kept = [(k, v, parse_entry_key(k)) for k, v in params]
        params = tuple((k if parsed is None else entry_key(1, parsed.field), v)
                       for k, v, parsed in kept if parsed is None or parsed.label == str(base))
        for order in [*range(1, account.limits.max_order + 1), account.limits.max_order]:
            params = _new_entry(params, order)
        return params
    params = _new_entry(params, _free_order(params)) if entry_count(params) < 2 else params
    target = _additional(draw, params)
    if kind == "range":
        value = draw(st.sampled_from(("-1", "21", "99", str(2**31))))
        return put(params, target, "order", value)
    if kind == "not-int":
        return put(params, target, "order", draw(st.sampled_from(("one", "1.5", "0x1", "1e1"))))
    return drop(params, target, "order")


def r5(draw: Draw, params: Params, account: Account) -> Params:
    base = base_index(params)
    unknown = draw(st.integers(1, 10**9).map(str).filter(lambda n: account.snapshot(n) is None))
    choices = ["unknown-base", "unknown-attached"]
    non_bootable = [s for s in account.snapshots if not s.bootable and s.kvm and s.available]
    if non_bootable:
        choices.append("non-bootable-base")
    kind = draw(st.sampled_from(choices))
    if kind == "unknown-base":
        return put(params, base, "snapshotInstanceNo", unknown)
    if kind == "non-bootable-base":
        snap = draw(st.sampled_from(non_bootable))
        return drop(put(params, base, "snapshotInstanceNo", snap.instance_no), base,
                    "blockStorageSize")
    n = entry_count(params) + 1
    params = put(params, n, "order", str(_free_order(params)))
    params = put(params, n, "snapshotInstanceNo", unknown)
    return put(params, n, "emptyBlockStorage", "false")


def r6(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    n = entry_count(params) + 1
    params = put(params, n, "order", str(_free_order(params)))
    params = put(params, n, "blockStorageSize", "100")
    return put(params, n, "emptyBlockStorage", draw(st.sampled_from(("true", "false"))))


def r7(draw: Draw, params: Params, account: Account) -> Params:
    kind = draw(st.sampled_from(["missing", "not-int", "below", "above", "step",
                                 "below-snapshot"]))
    limits = account.limits.for_type("CB1")
    if kind == "below-snapshot":
        big = [s for s in usable_snapshots(account) if s.size_bytes > limits.min_gb * GIB]
        if big:
            base = base_index(params)
            snap = draw(st.sampled_from(big))
            params = put(params, base, "snapshotInstanceNo", snap.instance_no)
            return put(params, base, "blockStorageSize", str(limits.min_gb))
        kind = "below"
    params = _new_entry(params, _free_order(params))
    n = entry_count(params)
    if kind == "missing":
        return drop(params, n, "blockStorageSize")
    if kind == "not-int":
        value = draw(st.sampled_from(("ten", "10.5", "1e2", "0x10")))
    elif kind == "below":
        value = str(draw(st.integers(-10, limits.min_gb - 1)))
    elif kind == "step" and limits.step_gb > 1:
        value = str(limits.min_gb + draw(st.integers(1, limits.step_gb - 1)))
    else:
        value = str(limits.max_gb + limits.step_gb * draw(st.integers(1, 100)))
    return put(params, n, "blockStorageSize", value)


def _base_or_new(draw: Draw, params: Params, field: str, on_base: tuple[str, ...],
                 junk: tuple[str, ...]) -> Params:
    """Put `field` on the base storage (not allowed there), or junk in it on a new storage."""
    if draw(st.booleans()):
        return put(params, base_index(params), field, draw(st.sampled_from(on_base)))
    params = _new_entry(params, _free_order(params))
    return put(params, entry_count(params), field, draw(st.sampled_from(junk)))


def r8(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _base_or_new(draw, params, "blockStorageVolumeTypeCode", ("CB1", "FB2"),
                        ("CB3", "cb1", "SSD", "FB 1", "HDD"))


def r9(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _base_or_new(draw, params, "emptyBlockStorage", ("true", "false"),
                        ("yes", "1", "0", "ture", "on"))


def r11(draw: Draw, params: Params, account: Account) -> Params:
    xen = [s for s in account.snapshots if not s.kvm and s.bootable and s.available]
    snap = draw(st.sampled_from(xen))
    if draw(st.booleans()):
        return drop(put(params, base_index(params), "snapshotInstanceNo", snap.instance_no),
                    base_index(params), "blockStorageSize")
    n = entry_count(params) + 1
    params = put(params, n, "order", str(_free_order(params)))
    params = put(params, n, "snapshotInstanceNo", snap.instance_no)
    return put(params, n, "emptyBlockStorage", "false")


BREAKERS: dict[str, Breaker] = {
    "SEED-R1": r1, "SEED-R2": r2, "SEED-R3": r3, "SEED-R4": r4, "SEED-R5": r5,
    "SEED-R6": r6, "SEED-R7": r7, "SEED-R8": r8, "SEED-R9": r9, "SEED-R11": r11,
}
BREAKABLE: tuple[str, ...] = tuple(BREAKERS)
"""Rules a request can break (SEED-R10 cannot: any other format is U9)."""


def _needs(rule: str, account: Account) -> str | None:
    if not usable_snapshots(account):
        return "the account has no bootable, KVM, CREAT snapshot to build on"
    if rule == "SEED-R11" and not any(not s.kvm and s.bootable and s.available
                                      for s in account.snapshots):
        return "the account has no bootable XEN snapshot in status CREAT"
    return None


def breaking_probes(account: Account, rule: str) -> st.SearchStrategy[Probe]:
    """Probes that break `rule`; the oracle confirms each is a reject naming it."""
    if rule not in BREAKERS:
        raise ConfigError(f"{rule!r} cannot be broken by a request; breakable rules:"
                          f" {', '.join(BREAKABLE)}")
    missing = _needs(rule, account)
    if missing:
        raise ConfigError(f"{rule} cannot be exercised: {missing}")
    return edited_probes(account, BREAKERS[rule], label=f"break:{rule}", target=rule,
                         outcome=Outcome.REJECT, additional=(0, 3))
