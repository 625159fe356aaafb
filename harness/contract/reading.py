"""Raw wire parameters to the readings a service could reasonably make of them.

Well-formed wire has exactly one reading. Wire the seed does not pin down has several:
a key sent twice may be read first-wins or last-wins (UH1); list indexes that do not run
1, 2, 3... may be honoured or cut at the first gap (U7). The oracle judges every reading
and calls a request rejected only when all of them are. Keys the seed does not list are
set aside as U8. Nothing here raises on any input.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from harness.contract.keys import EntryKey, entry_key, parse_entry_key
from harness.contract.model import Params
from harness.contract.rules import ENTRY_FIELDS, LIST_PREFIX, TOP_LEVEL_KEYS, OpenCase

__all__ = ["Entry", "Reading", "read"]



@dataclass(frozen=True, slots=True)
class Entry:
    """One `blockStorageList.N` entry as read: its index label and its raw field values."""

    label: str
    fields: dict[str, str]

    def path(self, field: str) -> str:
        """The wire key of one of this entry's fields, as reports cite it."""
        return entry_key(self.label, field)


@dataclass(frozen=True, slots=True)
class Reading:
    """One interpretation of the wire: top-level values and entries in list order."""

    top: dict[str, str]
    entries: tuple[Entry, ...]


def read(params: Params) -> tuple[list[Reading], list[OpenCase]]:
    """Every reasonable reading of `params`, and the open cases the wire itself raises.

    One request is read several times (the harness's oracle, the simulator's, the checks),
    so the last readings are kept; treat them as read-only.
    """
    readings, opens = _read(params)
    return list(readings), list(opens)


@lru_cache(maxsize=256)
def _read(params: Params) -> tuple[tuple[Reading, ...], tuple[OpenCase, ...]]:
    opens: list[OpenCase] = []
    values: dict[str, list[str]] = {}
    for key, value in params:
        if key in TOP_LEVEL_KEYS or _entry_key(key) is not None:
            values.setdefault(key, []).append(value)
        else:
            opens.append(OpenCase("U8", key, f"{key}={value!r} is not a parameter of the seed"))
    for key, seen in values.items():
        if len(seen) > 1:
            opens.append(OpenCase("UH1", key, f"{key} is sent {len(seen)} times: {seen!r}"))
    labels = _labels_in_order(values)
    prefix = _contiguous_prefix(labels)
    if prefix != labels:
        opens.append(OpenCase("U7", LIST_PREFIX,
                              f"list indexes {labels!r} do not run 1, 2, 3, ... from 1"))
    pickers = [0, -1] if any(len(v) > 1 for v in values.values()) else [0]
    label_sets = [labels, prefix] if prefix != labels else [labels]
    readings = tuple(
        _reading({k: v[pick] for k, v in values.items()}, chosen)
        for pick, chosen in product(pickers, label_sets)
    )
    return readings, tuple(opens)


def _entry_key(key: str) -> tuple[str, str] | None:
    parsed = parse_entry_key(key)
    if parsed is None or parsed.field not in ENTRY_FIELDS:
        return None
    return parsed.label, parsed.field


def _labels_in_order(values: dict[str, list[str]]) -> list[str]:
    labels: list[str] = []
    for key in values:
        parts = _entry_key(key)
        if parts is not None and parts[0] not in labels:
            labels.append(parts[0])
    if all(EntryKey(label, "").index is not None for label in labels):
        labels.sort(key=int)
    return labels


def _contiguous_prefix(labels: list[str]) -> list[str]:
    present = set(labels)
    prefix: list[str] = []
    while str(len(prefix) + 1) in present:
        prefix.append(str(len(prefix) + 1))
    return prefix


def _reading(top_and_entries: dict[str, str], labels: list[str]) -> Reading:
    top = {k: v for k, v in top_and_entries.items() if k in TOP_LEVEL_KEYS}
    fields: dict[str, dict[str, str]] = {label: {} for label in labels}
    for key, value in top_and_entries.items():
        parts = _entry_key(key)
        if parts is not None and parts[0] in fields:
            fields[parts[0]][parts[1]] = value
    return Reading(top, tuple(Entry(label, fields[label]) for label in labels))

