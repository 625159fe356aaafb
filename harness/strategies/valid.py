"""Requests valid by construction for an account, one strategy per combination class.

Classes (`VALID_CLASSES`): the base storage only; base plus new empty storages; base plus
attached snapshots, as they are, with a changed volume type, with a changed size; a mix of
up to 20 additional storages; and the boundary values of every rule (names of 3 and 30
characters, a description of exactly 1000 bytes of multi-byte text, order 20 and 21
entries, a size equal to the snapshot's, the smallest and largest sizes; the region and the
format named explicitly; entries with a snapshot, a type or both; every usable snapshot at
once). Optional fields
(regionCode, description, responseFormatType) are drawn present and absent, and every
probe is sent by GET or POST.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Concatenate, ParamSpec, TypeVar

from hypothesis import strategies as st

from harness.contract.account import GIB, Account, Snapshot
from harness.contract.limits import VOLUME_TYPES
from harness.contract.model import BlockStorage, CreateImageRequest
from harness.contract.probe import Method, Probe
from harness.contract.rules import DESCRIPTION_MAX_BYTES, NAME_MAX, NAME_MIN
from harness.core.errors import ConfigError

__all__ = ["VALID_CLASSES", "names", "usable_snapshots", "valid_probes", "valid_request"]

P = ParamSpec("P")
T = TypeVar("T")
NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-"
METHODS: tuple[Method, ...] = ("GET", "POST")


def _per_account(
        build: Callable[Concatenate[Account, P], T]) -> Callable[Concatenate[Account, P], T]:
    """Build a strategy once per account and arguments: drawing must not rebuild it.

    Accounts are not hashable (their limits are mappings), so the cache is keyed by
    identity and keeps the account alive next to what was built for it.
    """
    store: dict[tuple[Any, ...], tuple[Account, T]] = {}

    def cached(account: Account, /, *args: P.args, **kwargs: P.kwargs) -> T:
        key = (id(account), args, tuple(sorted(kwargs.items())))
        hit = store.get(key)
        if hit is None or hit[0] is not account:
            hit = (account, build(account, *args, **kwargs))
            store[key] = hit
        return hit[1]

    cached.__name__, cached.__doc__ = build.__name__, build.__doc__
    return cached


@_per_account
def usable_snapshots(account: Account) -> tuple[Snapshot, ...]:
    """Snapshots any storage may use without doubt: bootable, KVM, available (SEED-R5, R11)."""
    return tuple(s for s in account.snapshots if s.usable)


@functools.cache
def names(min_size: int = NAME_MIN, max_size: int = NAME_MAX) -> st.SearchStrategy[str]:
    """Valid image names (SEED-R2), lower case only (upper case inside is U4).

    Drawn as a length and one integer spelled in the name's alphabet rather than character
    by character: a name is in every request, and per-character draws made it the most
    expensive part of generating one (benchmarks/throughput.py). It shrinks to `a...a0`.
    """
    def spelled(length: int) -> st.SearchStrategy[str]:
        count = len(_FIRST) * len(NAME_ALPHABET) ** (length - 2) * len(_LAST)
        return st.integers(0, count - 1).map(lambda n: _spell(n, length))

    by_length = {n: spelled(n) for n in range(min_size, max_size + 1)}
    return st.integers(min_size, max_size).flatmap(by_length.__getitem__)


_FIRST = "abcdefghijklmnopqrstuvwxyz"
_LAST = "0abcdefghijklmnopqrstuvwxyz123456789"


def _spell(number: int, length: int) -> str:
    """The `number`-th name of `length` characters: first a-z, middle a-z0-9-, last a-z0-9."""
    number, first = divmod(number, len(_FIRST))
    number, last = divmod(number, len(_LAST))
    middle = []
    for _ in range(length - 2):
        number, digit = divmod(number, len(NAME_ALPHABET))
        middle.append(NAME_ALPHABET[digit])
    return _FIRST[first] + "".join(middle) + _LAST[last]


_TYPES = st.sampled_from(VOLUME_TYPES)
_BOOLS = st.booleans()
_DESCRIPTIONS = st.none() | st.text(max_size=60)  # at most 240 bytes: always within SEED-R3


@functools.cache
def _between(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@_per_account
def _snapshots(account: Account) -> st.SearchStrategy[Snapshot]:
    return st.sampled_from(usable_snapshots(account))


@_per_account
def _sizes(account: Account, type_code: str, at_least_bytes: int = 0) -> st.SearchStrategy[int]:
    sizes = _size_list(account, type_code, at_least_bytes)
    return st.sampled_from(sizes) if sizes else st.nothing()


# Each entry is drawn in one or two choices from lists built once per account: a request
# holds up to 21 entries, and every draw costs (benchmarks/throughput.py). The lists put
# the simplest choice first, so shrinking still goes to the smallest, plainest request.

@_per_account
def _new_choices(account: Account) -> st.SearchStrategy[tuple[str, int]]:
    """(volume type, size) of a new empty storage: every allowed pair."""
    return st.sampled_from([(t, size) for t in VOLUME_TYPES for size in _size_list(account, t)])


Attached = tuple[Snapshot, str | None, bool]


@_per_account
def _attach_choices(account: Account, *, change_type: bool | None,
                    change_size: bool | None) -> st.SearchStrategy[Attached]:
    """(snapshot, new volume type or None, whether a size is given) of an attached one."""
    types: list[str | None] = ([None] if change_type is False else [*VOLUME_TYPES]
                               if change_type else [None, *VOLUME_TYPES])
    sized = [False] if change_size is False else [True] if change_size else [False, True]
    return st.sampled_from([(snap, t, give) for give in sized for t in types
                            for snap in usable_snapshots(account)
                            if not give or _size_list(account, t or snap.volume_type,
                                                      snap.size_bytes)])


@_per_account
def _base_choices(account: Account, *,
                  sized: bool | None) -> st.SearchStrategy[tuple[Snapshot, bool]]:
    """(snapshot, whether a size is given) of the base storage."""
    gives = [False] if sized is False else [True] if sized else [False, True]
    return st.sampled_from([(snap, give) for give in gives for snap in usable_snapshots(account)
                            if not give or _size_list(account, snap.volume_type,
                                                      snap.size_bytes)])


@_per_account
def _size_list(account: Account, type_code: str, at_least_bytes: int = 0) -> tuple[int, ...]:
    limits = account.limits.for_type(type_code)
    low = max(limits.min_gb, -(-at_least_bytes // GIB))
    low += -low % limits.step_gb
    return tuple(range(low, limits.max_gb + 1, limits.step_gb))


def _new(draw: Any, account: Account, order: int) -> BlockStorage:
    volume_type, size = draw(_new_choices(account))
    return BlockStorage(order, None, size, volume_type, empty=True)


def _attach(draw: Any, account: Account, order: int, *, change_type: bool | None = None,
            change_size: bool | None = None) -> BlockStorage:
    snap, new_type, give_size = draw(_attach_choices(account, change_type=change_type,
                                                     change_size=change_size))
    size = draw(_sizes(account, new_type or snap.volume_type, snap.size_bytes)) if give_size \
        else None
    return BlockStorage(order, snap.instance_no, size, new_type, empty=False)


def _base(draw: Any, account: Account, *, sized: bool | None = None) -> BlockStorage:
    snap, give_size = draw(_base_choices(account, sized=sized))
    size = draw(_sizes(account, snap.volume_type, snap.size_bytes)) if give_size else None
    return BlockStorage(0, snap.instance_no, size)


def _additional(draw: Any, account: Account, count: int, kind: str) -> list[BlockStorage]:
    entries = []
    for order in range(1, count + 1):
        if kind == "new" or (kind == "mixed" and draw(_BOOLS)):
            entry = _new(draw, account, order)
        elif kind == "attach":
            entry = _attach(draw, account, order, change_type=False, change_size=False)
        elif kind == "attach-type":
            entry = _attach(draw, account, order, change_type=True)
        elif kind == "attach-size":
            entry = _attach(draw, account, order, change_size=True)
        else:
            entry = _attach(draw, account, order)
        entries.append(entry)
    return entries


def _optional(draw: Any, request: CreateImageRequest, account: Account) -> CreateImageRequest:
    # Only the region whose snapshots the account holds: elsewhere they do not exist.
    region, fmt = draw(_region_and_format(account))
    description = request.description if request.description is not None else draw(
        _DESCRIPTIONS)
    return replace(request, region_code=region, description=description, response_format=fmt)


@_per_account
def _region_and_format(account: Account) -> st.SearchStrategy[tuple[str | None, str | None]]:
    return st.sampled_from([(region, fmt) for fmt in (None, "xml", "json")
                            for region in account.request_regions])


@st.composite
def valid_request(
    draw: Any, account: Account, *, additional: tuple[int, int] = (0, 20),
                  kind: str = "mixed", name: st.SearchStrategy[str] | None = None,
                  description: st.SearchStrategy[str] | None = None,
                  base_sized: bool | None = None) -> CreateImageRequest:
    """A valid request of one shape; the base goes anywhere in the list (N is not order)."""
    count = draw(_between(*additional))
    base = _base(draw, account, sized=base_sized)
    extra = _additional(draw, account, count, kind)
    storages = [*extra]
    storages.insert(draw(_between(0, count)), base)
    request = CreateImageRequest(draw(name if name is not None else names()), tuple(storages),
                                 description=None if description is None else draw(description))
    return _optional(draw, request, account)


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
                     st.composite(lambda draw: _base(draw, account, sized=False))(),
                     st.builds(shaped, st.sampled_from(VOLUME_TYPES), at_max=st.booleans()),
                     names())


def _region_given(account: Account) -> st.SearchStrategy[CreateImageRequest]:
    """SEED-R1: the inventory's region named explicitly (where leaving it out also works)."""
    named = [r for r in account.request_regions if r is not None]
    if not named:
        return st.nothing()
    return st.builds(lambda r, region: replace(r, region_code=region),
                     valid_request(account, additional=(0, 3)), st.sampled_from(named))


def _format_given(account: Account) -> st.SearchStrategy[CreateImageRequest]:
    """SEED-R10: responseFormatType spelled out, xml or json."""
    return st.builds(lambda r, fmt: replace(r, response_format=fmt),
                     valid_request(account, additional=(0, 3)), st.sampled_from(("xml", "json")))


@st.composite
def _every_usable_snapshot(draw: Any, account: Account) -> CreateImageRequest:
    """SEED-R11 (and R5): each KVM, bootable, available snapshot used once, any one as base."""
    usable = list(draw(st.permutations(usable_snapshots(account))))
    base = BlockStorage(0, usable[0].instance_no)
    attached = tuple(BlockStorage(order, snap.instance_no, empty=False)
                     for order, snap in enumerate(usable[1:], start=1))
    entries = list(attached)
    entries.insert(draw(st.integers(0, len(attached))), base)
    return CreateImageRequest(draw(names()), tuple(entries))


ClassBuilder = Callable[[Account], st.SearchStrategy[CreateImageRequest]]

VALID_CLASSES: dict[str, tuple[tuple[str, ...], ClassBuilder]] = {
    "base-only": (("SEED-R4", "SEED-R5"), lambda a: valid_request(a, additional=(0, 0))),
    "base+new": (("SEED-R9", "SEED-R7", "SEED-R8"),
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
    "region-given": (("SEED-R1",), _region_given),
    "format-given": (("SEED-R10",), _format_given),
    "snapshot-or-type-or-both": (("SEED-R6",), lambda a: valid_request(
        a, additional=(1, 5), kind="mixed")),
    "every-usable-snapshot": (("SEED-R11", "SEED-R5"), _every_usable_snapshot),
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
