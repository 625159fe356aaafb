"""Requests in each case the seed leaves open (U1..U10, UH1..UH4), sent only as findings.

Each case edits a valid request so that the oracle answers unspecified and names the
case; whatever the service then does is recorded, never failed (except a 5xx).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from harness.contract.account import Account
from harness.contract.keys import entry_key, parse_entry_key
from harness.contract.model import Params
from harness.contract.oracle import Outcome
from harness.contract.probe import Probe
from harness.contract.rules import OPEN_CASES
from harness.core.errors import ConfigError
from harness.strategies.edit import base_index, drop, entry_count, put, put_top
from harness.strategies.edited import edited_probes
from harness.strategies.valid import usable_snapshots

__all__ = ["open_case_probes"]

Draw = Any


def _attach_entry(params: Params, order: int, snap: str, empty: str | None) -> Params:
    n = entry_count(params) + 1
    params = put(put(params, n, "order", str(order)), n, "snapshotInstanceNo", snap)
    return put(params, n, "emptyBlockStorage", empty) if empty is not None else params


def _new_entry(params: Params, order: int, empty: str | None = "true") -> Params:
    n = entry_count(params) + 1
    params = put(params, n, "order", str(order))
    params = put(put(params, n, "blockStorageSize", "100"), n, "blockStorageVolumeTypeCode", "CB1")
    return put(params, n, "emptyBlockStorage", empty) if empty is not None else params


def _next_order(params: Params) -> int:
    return sum(1 for k, _ in params if k.endswith(".order"))


def _snap(draw: Draw, account: Account) -> str:
    return str(draw(st.sampled_from(usable_snapshots(account))).instance_no)


def _renumber(params: Params, labels: list[str]) -> Params:
    mapping = {str(i): label for i, label in enumerate(labels, start=1)}
    out = []
    for key, value in params:
        parsed = parse_entry_key(key)
        if parsed is None:
            out.append((key, value))
        else:
            out.append((entry_key(mapping.get(parsed.label, parsed.label), parsed.field), value))
    return tuple(out)


def u1(draw: Draw, params: Params, account: Account) -> Params:
    if draw(st.booleans()):
        return _attach_entry(params, _next_order(params), _snap(draw, account), None)
    return _new_entry(params, _next_order(params), None)


def u2(draw: Draw, params: Params, account: Account) -> Params:
    n = entry_count(params) + 1
    params = _new_entry(params, _next_order(params))
    return put(params, n, "snapshotInstanceNo", _snap(draw, account))


def u3(draw: Draw, params: Params, account: Account) -> Params:
    snap = draw(st.sampled_from([s for s in account.snapshots if not s.bootable]))
    return _attach_entry(params, _next_order(params), snap.instance_no, "false")


def u4(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    middle = draw(st.text("ABCXYZ", min_size=1, max_size=5))
    return put_top(params, "serverImageName", f"img{middle}1")


def u5(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    return _new_entry(params, draw(st.integers(_next_order(params) + 1, 20)))


def u6(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    order = _next_order(params)
    return _new_entry(_new_entry(params, order), order)


def u7(draw: Draw, params: Params, account: Account) -> Params:
    params = _new_entry(params, _next_order(params))
    count = entry_count(params)
    labels = draw(st.sampled_from([
        [*[str(i + 1) for i in range(count)][:-1], str(count + 1)],  # a gap
        [str(i) for i in range(count)],                              # from 0
        [*[str(i + 1) for i in range(count)][:-1], "x"],             # not a number
        [f"0{i + 1}" for i in range(count)],                         # leading zeros
    ]))
    del account
    return _renumber(params, labels)


def u8(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    extra = draw(st.sampled_from([("blockStorageList.1.noBlockStorage", "true"),
                                  ("dryRun", "true"), ("serverImageType", "SELF")]))
    return (*params, extra)


def u9(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    value = draw(st.sampled_from(("yaml", "JSON", "XML", "", "csv")))
    kept = tuple((k, v) for k, v in params if k != "responseFormatType")
    return (*kept, ("responseFormatType", value))


def u10(draw: Draw, params: Params, account: Account) -> Params:
    return put_top(params, "serverImageName", draw(st.sampled_from(sorted(account.image_names))))


def uh1(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    key, value = draw(st.sampled_from([p for p in params if p[0] != "responseFormatType"]))
    return (*params, (key, value))


def uh2(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    params = _new_entry(params, _next_order(params))
    return put(params, entry_count(params), "emptyBlockStorage",
               draw(st.sampled_from(("True", "TRUE", "tRUE"))))


def uh3(draw: Draw, params: Params, account: Account) -> Params:
    snap = draw(st.sampled_from([s for s in account.snapshots
                                 if not s.available and s.bootable and s.kvm]))
    base = base_index(params)
    return drop(put(params, base, "snapshotInstanceNo", snap.instance_no), base,
                "blockStorageSize")


def uh4(draw: Draw, params: Params, account: Account) -> Params:  # noqa: ARG001
    if draw(st.booleans()):
        return put_top(params, "regionCode", "")
    return put(params, base_index(params), "blockStorageVolumeTypeCode", "")


CASES: dict[str, Callable[[Draw, Params, Account], Params]] = {
    "U1": u1, "U2": u2, "U3": u3, "U4": u4, "U5": u5, "U6": u6, "U7": u7, "U8": u8, "U9": u9,
    "U10": u10, "UH1": uh1, "UH2": uh2, "UH3": uh3, "UH4": uh4,
}


def _needs(case: str, account: Account) -> str | None:
    if case == "U3" and not any(not s.bootable for s in account.snapshots):
        return "the account has no non-bootable snapshot"
    if case == "U10" and not account.image_names:
        return "the account has no existing image name"
    if case == "UH3" and not any(not s.available and s.bootable and s.kvm
                                 for s in account.snapshots):
        return "the account has no bootable KVM snapshot that is still INIT"
    return None


def open_case_probes(account: Account, case: str) -> st.SearchStrategy[Probe]:
    """Probes in open case `case`; the oracle confirms each is unspecified and names it."""
    if case not in CASES:
        raise ConfigError(f"unknown open case {case!r}; expected one of {', '.join(OPEN_CASES)}")
    missing = _needs(case, account)
    if missing:
        raise ConfigError(f"{case} cannot be exercised: {missing}")
    return edited_probes(account, CASES[case], label=f"open:{case}", target=case,
                         outcome=Outcome.UNSPECIFIED, additional=(0, 2))
