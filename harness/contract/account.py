"""The state of an account that the oracle judges a request against.

Snapshot inventory (SEED-R5, R7, R11), regions (SEED-R1), the storage limits profile
(ncp-api.md section 6) and the names of images that already exist (U10).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from harness.contract.limits import DEFAULT_LIMITS, LimitsProfile

__all__ = ["GIB", "Account", "NamesInUse", "Snapshot"]

GIB = 2**30
"""Bytes in one GB as the service counts it: 10 GB is 10737418240 bytes (SEED-S4)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One row of getBlockStorageSnapshotInstanceList, reduced to what the rules read."""

    instance_no: str
    size_bytes: int
    bootable: bool
    hypervisor: str = "KVM"
    status: str = "CREAT"
    volume_type: str = "CB1"
    name: str = ""

    @property
    def size_gb(self) -> int:
        """The size in whole GB, rounded up."""
        return -(-self.size_bytes // GIB)

    @property
    def available(self) -> bool:
        """Its creation has finished (status CREAT); any other status is UH3's open case."""
        return self.status == "CREAT"

    @property
    def kvm(self) -> bool:
        """KVM-based (SEED-R11: only those may be used)."""
        return self.hypervisor == "KVM"

    @property
    def usable(self) -> bool:
        """Any storage may use it without doubt: bootable, KVM, available (SEED-R5, R11, UH3).

        The one definition of a usable snapshot: strategies, covering and preflight ask it.
        """
        return self.bootable and self.kvm and self.available


@dataclass(frozen=True, slots=True)
class Account:
    """What the account holds when a request arrives."""

    snapshots: tuple[Snapshot, ...]
    regions: tuple[str, ...] = ("KR",)
    limits: LimitsProfile = DEFAULT_LIMITS
    image_names: AbstractSet[str] = field(default_factory=frozenset)
    """Names in use; may be a live view (`NamesInUse`) that grows as images are created."""
    home_region: str | None = None
    """The region the snapshot inventory belongs to (None: the default, the first region)."""
    inventory: frozenset[str] = frozenset()
    """Numbers of the images in the home region before the run (every page of the list)."""
    size_unit: str = ""
    """How getBlockStorageVolumeTypeList gave sizes: bytes, GB (learned), or '' (not asked)."""

    @property
    def request_regions(self) -> tuple[str | None, ...]:
        """The `regionCode` values that address the inventory's region (None: leave it out)."""
        home = self.home_region or (self.regions[0] if self.regions else None)
        if self.regions and home == self.regions[0]:
            return (None, home)
        return (home,)

    @property
    def image_region(self) -> str:
        """The region a create request of the run makes its image in (SEED-R1's default)."""
        return self.home_region or (self.regions[0] if self.regions else "KR")

    def region_of(self, region_code: str | None) -> str:
        """Where a create naming `region_code` makes its image: that region, if it is one."""
        return region_code if region_code in self.regions else self.image_region

    def snapshot(self, instance_no: str) -> Snapshot | None:
        """The snapshot with that number, or None."""
        for snap in self.snapshots:
            if snap.instance_no == instance_no:
                return snap
        return None


class NamesInUse(AbstractSet[str]):
    """A live union of name sets: membership without copying, however many images exist."""

    def __init__(self, *parts: AbstractSet[str]) -> None:
        self._parts = parts

    def __contains__(self, name: object) -> bool:
        return any(name in part for part in self._parts)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for part in self._parts for name in list(part)))

    def __len__(self) -> int:
        return sum(1 for _ in self)
