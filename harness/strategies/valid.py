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
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

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

    Drawn as one string over the name's alphabet whose ends are then made legal (a first
    character that is not a letter becomes one, a last `-` becomes `0`), not character by
    character nor as a length and a number: a name is in every request, and those cost
    the most of generating one (benchmarks/throughput.py). It shrinks to `aaa`.
    """
    return st.text(NAME_ALPHABET, min_size=min_size, max_size=max_size).map(_legal_ends)


_FIRST = "abcdefghijklmnopqrstuvwxyz"


def _legal_ends(text: str) -> str:
    """`text` (of the name alphabet) with a letter first and no hyphen last (SEED-R2)."""
    first = text[0] if text[0] in _FIRST else _FIRST[NAME_ALPHABET.index(text[0]) % len(_FIRST)]
    last = "0" if text[-1] == "-" else text[-1]
    return first + text[1:-1] + last if len(text) > 1 else first


_DESCRIPTIONS = st.text(max_size=60)  # at most 240 bytes: always within SEED-R3


# Each entry is drawn in one choice from a list built once per account: a request holds up
# to 21 entries, and every choice costs (benchmarks/throughput.py). Where an entry may be
# of several kinds (new or attached, sized or not), the list interleaves the kinds, each
# repeated to the longest one's length, so that each kind is drawn equally often however
# many values it has; its first item is the simplest, so shrinking still goes to the
# smallest, plainest request.

E = TypeVar("E")


def _evenly(*groups: list[E]) -> list[E]:
    """One list drawing each non-empty group equally often: interleaved, shorter ones cycled."""
    kept = [g for g in groups if g]
    longest = max((len(g) for g in kept), default=0)
    return [g[i % len(g)] for i in range(longest) for g in kept]


def _sized_or_not(plain: list[E], with_size: list[E], *, sized: bool | None) -> list[E]:
    """Entries without a size (`sized` False), with one (True), or each equally often (None)."""
    return _evenly(plain if sized is not True else [], with_size if sized is not False else [])


def _sampled(values: list[E]) -> st.SearchStrategy[E]:
    return st.sampled_from(values) if values else st.nothing()


@functools.cache
def _between(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@_per_account
def _size_list(account: Account, type_code: str, at_least_bytes: int = 0) -> tuple[int, ...]:
    limits = account.limits.for_type(type_code)
    low = max(limits.min_gb, -(-at_least_bytes // GIB))
    low += -low % limits.step_gb
    return tuple(range(low, limits.max_gb + 1, limits.step_gb))


def _new_entries(account: Account) -> list[BlockStorage]:
    """New empty storages (order 0, set when drawn): every allowed type and size."""
    return [BlockStorage(0, None, size, t, empty=True)
            for t in VOLUME_TYPES for size in _size_list(account, t)]


def _attached_entries(account: Account, *, change_type: bool | None,
                      change_size: bool | None) -> list[BlockStorage]:
    """Attached snapshots (order 0, set when drawn), with a new type, a size, both or neither."""
    types: list[str | None] = ([None] if change_type is False else [*VOLUME_TYPES]
                               if change_type else [None, *VOLUME_TYPES])
    snaps = usable_snapshots(account)
    plain = [BlockStorage(0, s.instance_no, None, t, empty=False) for t in types for s in snaps]
    sized = [BlockStorage(0, s.instance_no, size, t, empty=False) for t in types for s in snaps
             for size in _size_list(account, t or s.volume_type, s.size_bytes)]
    return _sized_or_not(plain, sized, sized=change_size)


@_per_account
def _entries(account: Account, kind: str) -> st.SearchStrategy[BlockStorage]:
    """One additional storage of a class's `kind`, in one choice."""
    if kind == "new":
        return _sampled(_new_entries(account))
    change_type, change_size = {"attach": (False, False), "attach-type": (True, None),
                                "attach-size": (None, True)}.get(kind, (None, None))
    attached = _attached_entries(account, change_type=change_type, change_size=change_size)
    if kind == "mixed":  # attached first: shrinking goes to a plain attached snapshot
        return _sampled(_evenly(attached, _new_entries(account)))
    return _sampled(attached)


@_per_account
def _bases(account: Account, *, sized: bool | None) -> st.SearchStrategy[BlockStorage]:
    """The base storage: a usable snapshot, its size left out or given, in one choice."""
    snaps = usable_snapshots(account)
    plain = [BlockStorage(0, s.instance_no) for s in snaps]
    with_size = [BlockStorage(0, s.instance_no, size) for s in snaps
                 for size in _size_list(account, s.volume_type, s.size_bytes)]
    return _sampled(_sized_or_not(plain, with_size, sized=sized))


def _base(draw: Any, account: Account, *, sized: bool | None = None) -> BlockStorage:
    return cast("BlockStorage", draw(_bases(account, sized=sized)))


def _additional(draw: Any, account: Account, count: int, kind: str) -> list[BlockStorage]:
    entries = _entries(account, kind)
    return [replace(draw(entries), order=order) for order in range(1, count + 1)]


def _optional(draw: Any, request: CreateImageRequest, account: Account) -> CreateImageRequest:
    # Only the region whose snapshots the account holds: elsewhere they do not exist.
    region, fmt, described = draw(_optional_choices(account))
    description = request.description if request.description is not None else (
        draw(_DESCRIPTIONS) if described else None)
    return replace(request, region_code=region, description=description, response_format=fmt)


@_per_account
def _optional_choices(account: Account) -> st.SearchStrategy[tuple[str | None, str | None, bool]]:
    """(region, format, whether a description is given): the optional fields in one choice."""
    return st.sampled_from([(region, fmt, described) for described in (False, True)
                            for fmt in (None, "xml", "json")
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
