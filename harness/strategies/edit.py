"""Small edits of wire parameters, by entry and field, for the breaking and open-case strategies."""

from __future__ import annotations

from harness.contract.keys import entry_key, entry_prefix, parse_entry_key
from harness.contract.model import Params

__all__ = ["base_index", "drop", "entry_count", "put", "put_top"]


def entry_count(params: Params) -> int:
    """How many `blockStorageList.N` entries the parameters hold (N counted from 1)."""
    labels = {parsed.label for k, _ in params if (parsed := parse_entry_key(k)) is not None}
    count = 0
    while str(count + 1) in labels:
        count += 1
    return count


def base_index(params: Params) -> int:
    """The N of the entry whose order is 0."""
    for key, value in params:
        parsed = parse_entry_key(key)
        if parsed is not None and parsed.field == "order" and parsed.index and value == "0":
            return parsed.index
    raise ValueError("no base storage in the parameters")


def put(params: Params, index: int, field: str, value: str) -> Params:
    """Set one field of entry `index`, adding the key after the entry's last key if new."""
    key = entry_key(index, field)
    if any(k == key for k, _ in params):
        return tuple((k, value if k == key else v) for k, v in params)
    last = max((i for i, (k, _) in enumerate(params)
                if k.startswith(entry_prefix(index))), default=len(params) - 1)
    return (*params[:last + 1], (key, value), *params[last + 1:])


def drop(params: Params, index: int, field: str) -> Params:
    """Remove one field of entry `index`."""
    key = entry_key(index, field)
    return tuple((k, v) for k, v in params if k != key)


def put_top(params: Params, key: str, value: str) -> Params:
    """Set a top-level parameter (first in the list when new)."""
    if any(k == key for k, _ in params):
        return tuple((k, value if k == key else v) for k, v in params)
    return ((key, value), *params)
