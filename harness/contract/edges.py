"""Which accepting clauses a request shows: the edges a valid request stands on.

A refusing clause is exercised by breaking it (the oracle names it); an accepting clause
(`Clause.allows`) by a request at its edge that the service must take: a name of exactly 3
or 30 characters shows SEED-R2.2, a description of exactly 1000 bytes SEED-R3.2, a size
equal to its snapshot's SEED-R7.2, a changed type on an attached snapshot SEED-R8.4. Read
from the oracle's view, so the run log can count, clause by clause, what was shown.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.contract.account import GIB
from harness.contract.rulebook import View
from harness.contract.rules import DESCRIPTION_MAX_BYTES, NAME_MAX, NAME_MIN
from harness.contract.wire import small_int

__all__ = ["EDGES", "edges"]


def _absent(key: str) -> Callable[[View], bool]:
    return lambda view: key not in view.reading.top


def _name_edge(view: View) -> bool:
    return len(view.reading.top.get("serverImageName", "")) in (NAME_MIN, NAME_MAX)


def _description_edge(view: View) -> bool:
    text = view.reading.top.get("serverImageDescription")
    return text is not None and len(text.encode("utf-8", "surrogatepass")) == (
        DESCRIPTION_MAX_BYTES)


def _top_order(view: View) -> bool:
    return any(s.order == view.account.limits.max_order for s in view.storages)


def _most_entries(view: View) -> bool:
    return len(view.storages) == view.account.limits.max_entries


def _size_equal(view: View) -> bool:
    for storage in view.storages:
        snap = view.account.snapshot(storage.snapshot_no or "")
        size = small_int(storage.entry.fields.get("blockStorageSize") or "")
        if (storage.kind in ("base", "attach") and snap is not None and size is not None
                and size == -(-snap.size_bytes // GIB)):
            return True
    return False


def _size_limit(view: View) -> bool:
    for storage in view.storages:
        size = small_int(storage.entry.fields.get("blockStorageSize") or "")
        snap = view.account.snapshot(storage.snapshot_no or "")
        limits = view.account.limits.for_type(
            storage.volume_type or (snap.volume_type if snap else None))
        if size is not None and (size == limits.min_gb
                                 or size <= limits.max_gb < size + limits.step_gb):
            return True  # the smallest, or the largest a step allows
    return False


def _type_changed(view: View) -> bool:
    for storage in view.storages:
        snap = view.account.snapshot(storage.snapshot_no or "")
        if (storage.kind == "attach" and snap is not None and storage.volume_type is not None
                and storage.volume_type != snap.volume_type):
            return True
    return False


def _new_storage(view: View) -> bool:
    return any(s.kind == "new" and s.empty is True for s in view.storages)


EDGES: dict[str, Callable[[View], bool]] = {
    "SEED-R1.1": _absent("regionCode"),
    "SEED-R1.2": lambda view: view.reading.top.get("regionCode") in view.account.regions,
    "SEED-R1.3": _absent("regionCode"),
    "SEED-R2.2": _name_edge,
    "SEED-R3.1": _absent("serverImageDescription"),
    "SEED-R3.2": _description_edge,
    "SEED-R4.5": _top_order,
    "SEED-R4.6": _most_entries,
    "SEED-R7.2": _size_equal,
    "SEED-R7.4": _size_limit,
    "SEED-R8.4": _type_changed,
    "SEED-R9.2": _new_storage,
    "SEED-R10.1": lambda view: view.reading.top.get("responseFormatType") in ("xml", "json"),
}
"""Accepting clause -> whether a request stands on its edge."""


def edges(view: View) -> tuple[str, ...]:
    """The accepting clauses this request shows (meaningful when the oracle accepts it)."""
    return tuple(clause for clause, shows in EDGES.items() if shows(view))
