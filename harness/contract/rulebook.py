"""One small function per seed rule, each yielding the breaches and open cases it finds.

Every breach names the clause it breaks (`harness.contract.clauses`: SEED-R9.3, not just
SEED-R9), so what a service missed is said promise by promise.

Every function takes one `Reading` of the wire and the `Account`, and is lenient where
the seed is silent: an open case (U1..U10, UH1..UH4) is reported, never counted as a
breach, and checks that only make sense under one answer to it are skipped. That keeps
every breach definite: a service that keeps the contract must reject the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from harness.contract.account import GIB, Account, Snapshot
from harness.contract.reading import Entry, Reading
from harness.contract.rules import (
    DESCRIPTION_MAX_BYTES,
    LIST_PREFIX,
    NAME_ALLOWED,
    NAME_MAX,
    NAME_MIN,
    RESPONSE_FORMATS,
    VOLUME_TYPES,
    Breach,
    OpenCase,
)

__all__ = ["RULEBOOK", "Found", "Storage", "View"]

Found = Breach | OpenCase
"""What a rule yields: a breach, or an open case (never a `Finding`: that is the checks')."""
RuleFn = Callable[["View"], Iterator[Found]]
Kind = Literal["base", "new", "attach", "undecided", "unknown"]

_INTEGER = re.compile(r"[+-]?[0-9]{1,30}", re.ASCII)
_BOOLEAN_CASES = {"true": True, "false": False}


def _integer(raw: str | None) -> int | None:
    return int(raw) if raw is not None and _INTEGER.fullmatch(raw) else None


def _present(entry: Entry, field: str) -> str | None:
    """The field's value, or None when it is absent or empty (empty values are UH4)."""
    value = entry.fields.get(field)
    return value or None


@dataclass(frozen=True, slots=True)
class Storage:
    """An entry as the rules see it: parsed order, what it asks for, and its snapshot."""

    entry: Entry
    order: int | None
    kind: Kind
    snapshot_no: str | None
    volume_type: str | None
    empty: bool | None

    def path(self, field: str) -> str:
        """The wire key of one of this entry's fields."""
        return self.entry.path(field)


@dataclass(frozen=True, slots=True)
class View:
    """One reading of a request against one account, its entries classified once.

    What every rule reads; the oracle builds one per reading and hands the first to its
    verdict, so the checks and the report never read or classify the request again.
    """

    reading: Reading
    account: Account
    storages: tuple[Storage, ...]

    @classmethod
    def of(cls, reading: Reading, account: Account) -> View:
        """Classify each entry: base (order 0), new empty, attached snapshot, undecided (U1)."""
        return cls(reading, account, tuple(_classify(reading, account)))


def _classify(reading: Reading, account: Account) -> list[Storage]:
    result = []
    for entry in reading.entries:
        order = _integer(entry.fields.get("order"))
        snapshot_no = _present(entry, "snapshotInstanceNo")
        empty_raw = _present(entry, "emptyBlockStorage")
        empty = _BOOLEAN_CASES.get(empty_raw.lower()) if empty_raw else None
        kind: Kind
        if order is None or not 0 <= order <= account.limits.max_order:
            kind = "unknown"
        elif order == 0:
            kind = "base"
        elif snapshot_no is None and empty is not False:
            kind = "new"  # without a snapshot, a new storage is the only thing it can be
        elif empty is False:
            kind = "attach"
        else:
            kind = "undecided"  # a snapshot, and emptyBlockStorage absent (U1) or true (U2)
        result.append(Storage(entry, order, kind, snapshot_no,
                              _present(entry, "blockStorageVolumeTypeCode"), empty))
    return result


def _used_snapshots(view: View) -> Iterator[tuple[Storage, Snapshot]]:
    """Snapshots the request certainly uses: on the base and on attached storages."""
    for storage in view.storages:
        if storage.kind in ("base", "attach") and storage.snapshot_no is not None:
            snap = view.account.snapshot(storage.snapshot_no)
            if snap is not None:
                yield storage, snap


def seed_r1_region(view: View) -> Iterator[Found]:
    """SEED-R1: regionCode, when sent, is a region of getRegionList."""
    region = view.reading.top.get("regionCode")
    if region and region not in view.account.regions:
        yield Breach("SEED-R1.2", "regionCode",
                     f"regionCode={region!r} is not a region of getRegionList;"
                     f" expected one of {', '.join(view.account.regions)}")


def seed_r2_name(view: View) -> Iterator[Found]:
    """SEED-R2: 3 to 30 letters, digits and '-', lowercase first, lowercase or digit last."""
    name = view.reading.top.get("serverImageName")
    path = "serverImageName"
    if name is None:
        yield Breach("SEED-R2.1", path, "serverImageName is required")
        return
    problems: list[tuple[str, str]] = []
    if not NAME_MIN <= len(name) <= NAME_MAX:
        length = f"is {len(name)} characters long; expected {NAME_MIN} to {NAME_MAX}"
        problems.append(("SEED-R2.2", length))
    bad = "".join(sorted({ch for ch in name if not NAME_ALLOWED.fullmatch(ch)}))
    if bad:
        allowed = f"contains {bad!r}; only letters, digits and '-' are allowed"
        problems.append(("SEED-R2.3", allowed))
    if name and not ("a" <= name[0] <= "z"):
        problems.append(("SEED-R2.4", f"starts with {name[0]!r}; the first character must be a-z"))
    if name and not ("a" <= name[-1] <= "z" or "0" <= name[-1] <= "9"):
        last = f"ends with {name[-1]!r}; the last character must be a-z or 0-9"
        problems.append(("SEED-R2.5", last))
    for clause, problem in problems:
        yield Breach(clause, path, f"serverImageName={name!r} {problem}")
    if not problems and any("A" <= ch <= "Z" for ch in name):
        yield OpenCase("U4", path, f"serverImageName={name!r} has upper-case letters inside")
    if not problems and name in view.account.image_names:
        yield OpenCase("U10", path, f"serverImageName={name!r} is already in use")


def seed_r3_description(view: View) -> Iterator[Found]:
    """SEED-R3: the description is at most 1000 bytes (UTF-8), whatever its characters."""
    text = view.reading.top.get("serverImageDescription")
    if text is None:
        return
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > DESCRIPTION_MAX_BYTES:
        yield Breach("SEED-R3.2", "serverImageDescription",
                     f"serverImageDescription is {size} bytes in UTF-8 ({len(text)} characters);"
                     f" at most {DESCRIPTION_MAX_BYTES} bytes are allowed")


def seed_r4_order(view: View) -> Iterator[Found]:
    """SEED-R4: an integer order on every entry, exactly one 0, others 1..20, at most 21."""
    limits = view.account.limits
    if not view.reading.entries:
        yield Breach("SEED-R4.3", f"{LIST_PREFIX}.1.order",
                     "no blockStorageList entry is sent; the base storage (order 0) is required")
        return
    if len(view.reading.entries) > limits.max_entries:
        yield Breach("SEED-R4.6", LIST_PREFIX,
                     f"{len(view.reading.entries)} entries are sent; at most {limits.max_entries}"
                     " are allowed, the base storage included")
    orders: dict[int, list[str]] = {}
    for entry in view.reading.entries:
        raw = entry.fields.get("order")
        order = _integer(raw)
        if raw is None or raw == "":
            yield Breach("SEED-R4.1", entry.path("order"), "order is required for every entry")
        elif order is None:
            yield Breach("SEED-R4.2", entry.path("order"), f"order={raw!r} is not an integer")
        elif not 0 <= order <= limits.max_order:
            yield Breach("SEED-R4.5", entry.path("order"),
                         f"order={raw!r} is out of range; the base storage is 0 and"
                         f" additional storages are 1 to {limits.max_order}")
        else:
            orders.setdefault(order, []).append(entry.path("order"))
    bases = orders.get(0, [])
    if not bases:
        yield Breach("SEED-R4.3", f"{LIST_PREFIX}.1.order",
                     "no entry has order 0; exactly one base storage is required")
    if len(bases) > 1:
        yield Breach("SEED-R4.4", bases[1],
                     f"{' and '.join(bases)} are all 0; exactly one base storage is allowed")
    for order, paths in sorted(orders.items()):
        if order and len(paths) > 1:
            yield OpenCase("U6", paths[1], f"order {order} is used by {', '.join(paths)}")
    if bases and sorted(orders) != list(range(len(orders))):
        yield OpenCase("U5", LIST_PREFIX, f"the orders {sorted(orders)} have gaps")


def seed_r5_snapshot(view: View) -> Iterator[Found]:
    """SEED-R5: a snapshot on the base and on attached storages; it exists and is bootable."""
    for storage in view.storages:
        if storage.kind not in ("base", "attach"):
            continue
        path = storage.path("snapshotInstanceNo")
        if storage.snapshot_no is None:
            clause, what = (("SEED-R5.1", "the base storage") if storage.kind == "base"
                            else ("SEED-R5.2", "an attached storage"))
            yield Breach(clause, path, f"snapshotInstanceNo is required on {what}")
            continue
        snap = view.account.snapshot(storage.snapshot_no)
        if snap is None:
            yield Breach("SEED-R5.3", path,
                         f"snapshotInstanceNo={storage.snapshot_no!r} is not a snapshot of"
                         " getBlockStorageSnapshotInstanceList")
        elif not snap.bootable and storage.kind == "base":
            yield Breach("SEED-R5.4", path,
                         f"snapshot {snap.instance_no} has isBootable=false; only bootable"
                         " snapshots may be used")
        elif not snap.bootable:
            yield OpenCase("U3", path,
                           f"snapshot {snap.instance_no} has isBootable=false and is attached"
                           " as an additional storage")


def seed_r6_snapshot_or_type(view: View) -> Iterator[Found]:
    """SEED-R6: every entry carries snapshotInstanceNo or blockStorageVolumeTypeCode."""
    for storage in view.storages:
        if storage.snapshot_no is None and storage.volume_type is None:
            yield Breach("SEED-R6.1", storage.entry.path("snapshotInstanceNo"),
                         "the entry has neither snapshotInstanceNo nor"
                         " blockStorageVolumeTypeCode; at least one is required")


def seed_r7_size(view: View) -> Iterator[Found]:
    """SEED-R7: integer GB, required for new storages, >= the snapshot, within type limits."""
    for storage in view.storages:
        raw = _present(storage.entry, "blockStorageSize")
        path = storage.path("blockStorageSize")
        if raw is None:
            if storage.kind == "new":
                yield Breach("SEED-R7.3", path, "blockStorageSize is required for a new storage")
            continue
        size = _integer(raw)
        if size is None:
            yield Breach("SEED-R7.1", path, f"blockStorageSize={raw!r} is not an integer (GB)")
            continue
        snap = (view.account.snapshot(storage.snapshot_no)
                if storage.snapshot_no and storage.kind in ("base", "attach") else None)
        type_code = storage.volume_type or (snap.volume_type if snap else None)
        if type_code is not None and type_code not in VOLUME_TYPES:
            type_code = None  # SEED-R8 reports it; judge the size by the loosest limits
        limits = view.account.limits.for_type(type_code)
        if not limits.allows(size):
            named = type_code or "any volume type"
            yield Breach("SEED-R7.4", path,
                         f"blockStorageSize={raw!r} is outside the limits of {named}:"
                         f" {limits.describe()}")
        if snap is not None and size * GIB < snap.size_bytes:
            yield Breach("SEED-R7.2", path,
                         f"blockStorageSize={raw!r} GB is smaller than snapshot"
                         f" {snap.instance_no} ({snap.size_bytes} bytes, {snap.size_gb} GB)")


def seed_r8_volume_type(view: View) -> Iterator[Found]:
    """SEED-R8: CB1, CB2, FB1 or FB2; never on the base; required for new storages."""
    for storage in view.storages:
        path = storage.path("blockStorageVolumeTypeCode")
        code = storage.volume_type
        if code is None:
            if storage.kind == "new":
                yield Breach("SEED-R8.3", path,
                             "blockStorageVolumeTypeCode is required for a new storage;"
                             f" expected one of {', '.join(VOLUME_TYPES)}")
        elif storage.kind == "base":
            yield Breach("SEED-R8.2", path,
                         f"blockStorageVolumeTypeCode={code!r} is not allowed on the base storage")
        elif code not in VOLUME_TYPES:
            yield Breach("SEED-R8.1", path,
                         f"blockStorageVolumeTypeCode={code!r} is not one of"
                         f" {', '.join(VOLUME_TYPES)}")


def seed_r9_empty(view: View) -> Iterator[Found]:
    """SEED-R9: a boolean; never on the base; false needs snapshotInstanceNo (see R5)."""
    for storage in view.storages:
        raw = _present(storage.entry, "emptyBlockStorage")
        path = storage.path("emptyBlockStorage")
        if raw is None:
            if storage.kind in ("new", "undecided") and "emptyBlockStorage" not in (
                storage.entry.fields
            ):
                yield OpenCase("U1", path,
                               "an additional storage without emptyBlockStorage: the default"
                               " is not documented")
            continue
        if storage.kind == "base":
            yield Breach("SEED-R9.4", path,
                         f"emptyBlockStorage={raw!r} is not allowed on the base storage")
        elif raw.lower() not in _BOOLEAN_CASES:
            yield Breach("SEED-R9.1", path, f"emptyBlockStorage={raw!r} is not true or false")
        elif raw not in _BOOLEAN_CASES:
            yield OpenCase("UH2", path, f"emptyBlockStorage={raw!r} is not spelled true/false")
        if storage.kind == "attach" and storage.snapshot_no is None:
            yield Breach("SEED-R9.3", path,
                         "emptyBlockStorage=false requires snapshotInstanceNo")
        if storage.kind == "undecided" and storage.empty is True:
            yield OpenCase("U2", path,
                           f"emptyBlockStorage={raw!r} comes with snapshotInstanceNo="
                           f"{storage.snapshot_no!r}")


def seed_r10_format(view: View) -> Iterator[Found]:
    """SEED-R10: responseFormatType is xml or json; anything else is open (U9)."""
    fmt = view.reading.top.get("responseFormatType")
    if fmt is not None and fmt not in RESPONSE_FORMATS:
        yield OpenCase("U9", "responseFormatType",
                       f"responseFormatType={fmt!r} is not xml or json")


def seed_r11_kvm(view: View) -> Iterator[Found]:
    """SEED-R11: every snapshot used is KVM-based; a XEN snapshot cannot be used."""
    for storage, snap in _used_snapshots(view):
        if not snap.kvm:
            yield Breach("SEED-R11.1", storage.path("snapshotInstanceNo"),
                         f"snapshot {snap.instance_no} runs on {snap.hypervisor}; only"
                         " KVM-based snapshots can be used")


def open_uh3_unavailable(view: View) -> Iterator[Found]:
    """UH3: a snapshot that is still being created (status other than CREAT)."""
    for storage, snap in _used_snapshots(view):
        if not snap.available:
            yield OpenCase("UH3", storage.path("snapshotInstanceNo"),
                           f"snapshot {snap.instance_no} has status {snap.status}, not CREAT")


def open_uh4_empty_values(view: View) -> Iterator[Found]:
    """UH4: an optional or conditional parameter sent with an empty value."""
    for key in ("regionCode",):
        if view.reading.top.get(key) == "":
            yield OpenCase("UH4", key, f"{key} is sent empty")
    for entry in view.reading.entries:
        for field, value in entry.fields.items():
            if value == "" and field != "order":
                yield OpenCase("UH4", entry.path(field), f"{entry.path(field)} is sent empty")


RULEBOOK: tuple[RuleFn, ...] = (
    seed_r1_region,
    seed_r2_name,
    seed_r3_description,
    seed_r4_order,
    seed_r5_snapshot,
    seed_r6_snapshot_or_type,
    seed_r7_size,
    seed_r8_volume_type,
    seed_r9_empty,
    seed_r10_format,
    seed_r11_kvm,
    open_uh3_unavailable,
    open_uh4_empty_values,
)
"""Every rule function, in seed order; the oracle runs all of them on every view.reading."""
