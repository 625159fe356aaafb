"""The `blockStorageList.N.field` key grammar: the one parser and builder every layer uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from harness.contract.rules import LIST_PREFIX

__all__ = ["EntryKey", "entry_key", "entry_prefix", "parse_entry_key"]

_KEY = re.compile(rf"{re.escape(LIST_PREFIX)}\.([^.]*)\.([^.]*)", re.ASCII)
_INDEX = re.compile(r"[1-9][0-9]{0,8}", re.ASCII)
_FIELD = re.compile(r"[A-Za-z]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class EntryKey:
    """A key shaped `blockStorageList.<label>.<field>`, its parts exactly as sent."""

    label: str
    field: str

    @property
    def index(self) -> int | None:
        """The label as N = 1, 2, 3, ... (ASCII, no sign, no leading zero, 9 digits at most)."""
        return int(self.label) if _INDEX.fullmatch(self.label) else None

    @property
    def well_formed(self) -> bool:
        """N is 1, 2, 3, ... and the field is a plain name (REQ-4's grammar)."""
        return self.index is not None and _FIELD.fullmatch(self.field) is not None


def entry_key(index: int | str, field: str) -> str:
    """The wire key of one field of list entry `index`: `blockStorageList.3.order`."""
    return f"{LIST_PREFIX}.{index}.{field}"


def entry_prefix(index: int | str) -> str:
    """What every key of entry `index` starts with: `blockStorageList.3.`."""
    return f"{LIST_PREFIX}.{index}."


@lru_cache(maxsize=4096)  # the same few hundred keys, in every request
def parse_entry_key(key: str) -> EntryKey | None:
    """The parts of a list key (any label, any field without a dot), else None. Never raises."""
    match = _KEY.fullmatch(key)
    return None if match is None else EntryKey(match.group(1), match.group(2))
