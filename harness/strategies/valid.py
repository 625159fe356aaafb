"""Requests valid by construction for an account, one strategy per combination class.

Classes (`VALID_CLASSES`): the base storage only; base plus new empty storages; base plus
attached snapshots, as they are, with a changed volume type, with a changed size; a mix of
up to 20 additional storages; and the boundary values of every rule (names of 3 and 30
characters, a description of exactly 1000 bytes of multi-byte text, order 20 and 21
entries, a size equal to the snapshot's, the smallest and largest sizes). Optional fields
(regionCode, description, responseFormatType) are drawn present and absent, and every
probe is sent by GET or POST.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from harness.account import GIB, Account, Snapshot
from harness.errors import ConfigError
from harness.limits import VOLUME_TYPES
from harness.model import BlockStorage, CreateImageRequest
from harness.rules import DESCRIPTION_MAX_BYTES, NAME_MAX, NAME_MIN
from harness.strategies.probe import Method, Probe

__all__ = ["VALID_CLASSES", "names", "usable_snapshots", "valid_probes", "valid_request"]

NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-"
METHODS: tuple[Method, ...] = ("GET", "POST")


def usable_snapshots(account: Account) -> tuple[Snapshot, ...]:
    """Snapshots any storage may use without doubt: bootable, KVM, available (SEED-R5, R11)."""
    return tuple(s for s in account.snapshots
                 if s.bootable and s.hypervisor == "KVM" and s.status == "CREAT")


def names(min_size: int = NAME_MIN, max_size: int = NAME_MAX) -> st.SearchStrategy[str]:
    """Valid image names (SEED-R2), lower case only (upper case inside is U4)."""
    middle = st.text(NAME_ALPHABET, min_size=min_size - 2, max_size=max_size - 2)
    return st.builds(lambda first, mid, last: first + mid + last,
                     st.sampled_from("abcdefghijklmnopqrstuvwxyz"), middle,
                     st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"))


def _sizes(account: Account, type_code: str, at_least_bytes: int = 0) -> st.SearchStrategy[int]:
    limits = account.limits.for_type(type_code)
    low = max(limits.min_gb, -(-at_least_bytes // GIB))
    low += -low % limits.step_gb
    if low > limits.max_gb:
        return st.nothing()
    top = (limits.max_gb - low) // limits.step_gb
    return st.integers(0, top).map(lambda k: low + k * limits.step_gb)


def _new(account: Account, order: int) -> st.SearchStrategy[BlockStorage]:
    def sized(t: str) -> st.SearchStrategy[BlockStorage]:
        return _sizes(account, t).map(lambda size: BlockStorage(order, None, size, t, empty=True))

    return st.sampled_from(VOLUME_TYPES).flatmap(sized)


@st.composite
def _attach(draw: Any, account: Account, order: int, *, change_type: bool | None = None,
            change_size: bool | None = None) -> BlockStorage:
    snap = draw(st.sampled_from(usable_snapshots(account)))
    new_type = draw(st.sampled_from(VOLUME_TYPES)) if (
        change_type if change_type is not None else draw(st.booleans())) else None
    size = draw(_sizes(account, new_type or snap.volume_type, snap.size_bytes)) if (
        change_size if change_size is not None else draw(st.booleans())) else None
    return BlockStorage(order, snap.instance_no, size, new_type, empty=False)


@st.composite
def _base(draw: Any, account: Account, *, sized: bool | None = None) -> BlockStorage:
    snap = draw(st.sampled_from(usable_snapshots(account)))
    give_size = draw(st.booleans()) if sized is None else sized
    size = draw(_sizes(account, snap.volume_type, snap.size_bytes)) if give_size else None
    return BlockStorage(0, snap.instance_no, size)


@st.composite
def _additional(draw: Any, account: Account, count: int, kind: str) -> list[BlockStorage]:
    entries = []
    for order in range(1, count + 1):
        if kind == "new" or (kind == "mixed" and draw(st.booleans())):
            entry = draw(_new(account, order))
        elif kind == "attach":
            entry = draw(_attach(account, order, change_type=False, change_size=False))
        elif kind == "attach-type":
            entry = draw(_attach(account, order, change_type=True))
        elif kind == "attach-size":
            entry = draw(_attach(account, order, change_size=True))
        else:
            entry = draw(_attach(account, order))
        entries.append(entry)
    return entries


@st.composite
def _optional(draw: Any, request: CreateImageRequest, account: Account) -> CreateImageRequest:
    # Only the region whose snapshots the account holds: elsewhere they do not exist.
    region = draw(st.sampled_from(account.request_regions))
    description = request.description if request.description is not None else draw(
        st.none() | st.text(max_size=60).filter(lambda t: len(t.encode()) <= 1000))
    fmt = draw(st.sampled_from((None, "xml", "json")))
    return replace(request, region_code=region, description=description, response_format=fmt)


@st.composite
def valid_request(
    draw: Any, account: Account, *, additional: tuple[int, int] = (0, 20),
                  kind: str = "mixed", name: st.SearchStrategy[str] | None = None,
                  description: st.SearchStrategy[str] | None = None,
                  base_sized: bool | None = None) -> CreateImageRequest:
    """A valid request of one shape; the base goes anywhere in the list (N is not order)."""
    count = draw(st.integers(*additional))
    base = draw(_base(account, sized=base_sized))
    extra = draw(_additional(account, count, kind))
    storages = [*extra]
    storages.insert(draw(st.integers(0, count)), base)
    request = CreateImageRequest(draw(name if name is not None else names()), tuple(storages),
                                 description=None if description is None else draw(description))
    shaped: CreateImageRequest = draw(_optional(request, account))
    return shaped


def _exact_bytes_description() -> st.SearchStrategy[str]:
    """Exactly 1000 bytes of UTF-8 mixing 1-, 2-, 3- and 4-byte characters (SEED-R3)."""
    pieces = st.lists(st.sampled_from(("a", "é", "説", "\U0001f600")), min_size=1, max_size=400)

    def fill(chars: list[str]) -> str:
        text = ""
        for ch in chars:
            if len((text + ch).encode()) > DESCRIPTION_MAX_BYTES:
                break
            text += ch
        return text + "a" * (DESCRIPTION_MAX_BYTES - len(text.encode()))

    return pieces.map(fill)


def _size_equal(account: Account) -> st.SearchStrategy[CreateImageRequest]:
    exact = [s for s in usable_snapshots(account) if s.size_bytes % GIB == 0
             and account.limits.for_type(s.volume_type).allows(s.size_bytes // GIB)]
    if not exact:
        return st.nothing()
    base = st.sampled_from(exact).map(lambda s: BlockStorage(0, s.instance_no, s.size_gb))
    return st.builds(lambda b, n: CreateImageRequest(n, (b,)), base, names())


def _extreme_sizes(account: Account) -> st.SearchStrategy[CreateImageRequest]:
    def shaped(t: str, *, at_max: bool) -> BlockStorage:
        limits = account.limits.for_type(t)
        size = limits.max_gb - limits.max_gb % limits.step_gb if at_max else limits.min_gb
        return BlockStorage(1, None, size, t, empty=True)

    return st.builds(lambda b, extra, n: CreateImageRequest(n, (b, extra)),
                     _base(account, sized=False),
                     st.builds(shaped, st.sampled_from(VOLUME_TYPES), at_max=st.booleans()),
                     names())


ClassBuilder = Callable[[Account], st.SearchStrategy[CreateImageRequest]]

VALID_CLASSES: dict[str, tuple[tuple[str, ...], ClassBuilder]] = {
    "base-only": (("SEED-R4", "SEED-R5"), lambda a: valid_request(a, additional=(0, 0))),
    "base+new": (("SEED-R7", "SEED-R8", "SEED-R9"),
                 lambda a: valid_request(a, additional=(1, 20), kind="new")),
    "base+attach": (("SEED-R5", "SEED-R9"),
                    lambda a: valid_request(a, additional=(1, 5), kind="attach")),
    "base+attach-changed-type": (("SEED-R8",),
                                 lambda a: valid_request(a, additional=(1, 5), kind="attach-type")),
    "base+attach-changed-size": (("SEED-R7",),
                                 lambda a: valid_request(a, additional=(1, 5), kind="attach-size")),
    "mixed": (("SEED-R4", "SEED-R6"), lambda a: valid_request(a, additional=(0, 20))),
    "name-3-and-30": (("SEED-R2",), lambda a: valid_request(
        a, additional=(0, 1), name=names(NAME_MIN, NAME_MIN) | names(NAME_MAX, NAME_MAX))),
    "description-1000-bytes": (("SEED-R3",), lambda a: valid_request(
        a, additional=(0, 1), description=_exact_bytes_description())),
    "order-20-and-21-entries": (("SEED-R4",), lambda a: valid_request(a, additional=(20, 20))),
    "size-equal-to-snapshot": (("SEED-R7",), _size_equal),
    "smallest-and-largest-size": (("SEED-R7", "SEED-R8"), _extreme_sizes),
}
"""Combination class -> (rules it exercises, strategy builder)."""


def valid_probes(account: Account, cls: str) -> st.SearchStrategy[Probe]:
    """Probes of one valid combination class, by GET or POST."""
    if not usable_snapshots(account):
        raise ConfigError("the account has no bootable, KVM, CREAT snapshot; no valid request"
                          " can be built (add one to the scenario, or create one)")
    if cls not in VALID_CLASSES:
        raise ConfigError(f"unknown valid class {cls!r}; expected one of"
                          f" {', '.join(VALID_CLASSES)}")
    rules, builder = VALID_CLASSES[cls]
    return st.builds(lambda r, m: Probe.of(r, m, f"valid:{cls}", rules),
                     builder(account), st.sampled_from(METHODS))
