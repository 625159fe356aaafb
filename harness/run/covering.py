"""The covering set: a few valid requests that between them show every class and boundary.

A live run's create budget is spent on these first, so even a budget of three requests
exercises every combination class and boundary value the conformance run knows: base only
and base with 1 and 20 additional storages; new, attached, type-changed and size-changed
storages of every volume type; names of 3 and 30 characters; a description of exactly
1000 bytes of multi-byte text; order 20 and 21 entries; a size equal to the snapshot's;
the smallest and largest sizes; optional fields present and absent; GET and POST; XML
(asked and by default) and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.contract.account import GIB, Account
from harness.contract.limits import VOLUME_TYPES
from harness.contract.model import BlockStorage, CreateImageRequest
from harness.contract.probe import Method, Probe
from harness.contract.rules import DESCRIPTION_MAX_BYTES, NAME_MAX, NAME_MIN
from harness.core.errors import ConfigError
from harness.strategies.valid import usable_snapshots

__all__ = ["COVER_ITEMS", "Cover", "covering_set"]

COVER_ITEMS: tuple[str, ...] = (
    "base-only", "base+1", "base+20", "new-storage", "attached-snapshot",
    "attached-changed-type", "attached-changed-size", "every-volume-type",
    "name-3-characters", "name-30-characters", "description-1000-bytes-multibyte",
    "order-20", "21-entries", "size-equal-to-snapshot", "smallest-size", "largest-size",
    "optional-fields-present", "optional-fields-absent", "GET", "POST", "XML-asked",
    "XML-by-default", "JSON",
)


@dataclass(frozen=True)
class Cover:
    """One covering request and the items it shows."""

    probe: Probe
    items: frozenset[str]


def _description() -> str:
    text = "説明" * 100 + "é" * 100 + "\U0001f600" * 50  # 600 + 200 + 200 bytes
    assert len(text.encode()) == DESCRIPTION_MAX_BYTES  # noqa: S101 - a constant's invariant
    return text


def covering_set(account: Account) -> list[Cover]:
    """Three requests, valid for `account`, that cover every item of COVER_ITEMS."""
    usable = usable_snapshots(account)
    exact = [s for s in usable if s.size_bytes % GIB == 0
             and account.limits.for_type(s.volume_type).allows(s.size_bytes // GIB)]
    if not usable or not exact:
        raise ConfigError("the account has no bootable KVM snapshot in status CREAT whose size"
                          " is a valid whole number of GB; the covering set cannot be built")
    base_snap, attach_snap = exact[0], usable[-1]
    storages = [BlockStorage(0, base_snap.instance_no, base_snap.size_gb)]
    order = 1
    for code in VOLUME_TYPES:
        limits = account.limits.for_type(code)
        storages.append(BlockStorage(order, None, limits.min_gb, code, empty=True))
        storages.append(BlockStorage(order + 1, None, limits.max_gb - limits.max_gb
                                     % limits.step_gb, code, empty=True))
        order += 2
    for code in VOLUME_TYPES:
        storages.append(BlockStorage(order, attach_snap.instance_no, None, code, empty=False))
        order += 1
    attach_limits = account.limits.for_type(attach_snap.volume_type)
    bigger = -(-attach_snap.size_bytes // GIB) + attach_limits.step_gb
    bigger += -bigger % attach_limits.step_gb
    while order <= account.limits.max_order:
        size = bigger if order % 2 else None
        storages.append(BlockStorage(order, attach_snap.instance_no, size, None, empty=False))
        order += 1
    region = account.request_regions[-1]
    wide = CreateImageRequest("a" + "b" * (NAME_MAX - 2) + "0", tuple(storages), region,
                              _description(), "json")
    narrow = CreateImageRequest("c" * (NAME_MIN - 1) + "1",
                                (BlockStorage(0, usable[0].instance_no),))
    one_more = CreateImageRequest("d" * 8, (BlockStorage(0, usable[0].instance_no),
                                            BlockStorage(1, attach_snap.instance_no, None, None,
                                                         empty=False)), None, None, "xml")

    def probe(request: CreateImageRequest, method: Method, label: str,
              rules: tuple[str, ...] = ()) -> Probe:
        return Probe.of(request, method, f"cover:{label}", (*rules, "SEED-R4", "SEED-R7"))

    return [
        Cover(probe(wide, "POST", "wide"), frozenset({
            "base+20", "new-storage", "attached-snapshot", "attached-changed-type",
            "attached-changed-size", "every-volume-type", "name-30-characters",
            "description-1000-bytes-multibyte", "order-20", "21-entries",
            "size-equal-to-snapshot", "smallest-size", "largest-size",
            "optional-fields-present", "POST", "JSON"})),
        Cover(probe(narrow, "GET", "narrow", ("SEED-R2",)), frozenset({  # its name's length
            "base-only", "name-3-characters", "optional-fields-absent", "GET",
            "XML-by-default"})),
        Cover(probe(one_more, "GET", "one-more"), frozenset({"base+1", "XML-asked"})),
    ]
