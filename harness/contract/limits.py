"""The block storage limits profile: one literal table, overridable (ncp-api.md section 6).

The seed (SEED-R7) defers per-type limits to a "storage spec" page that is not available;
the neighbouring createBlockStorageInstance page gives, for KVM, 10 to 16380 GB in steps
of 10 GB and at most 20 additional storages plus the base. Those numbers are the default.
On a live account they can be refreshed from getBlockStorageVolumeTypeList.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import gcd
from types import MappingProxyType

__all__ = ["DEFAULT_LIMITS", "VOLUME_TYPES", "LimitsProfile", "VolumeTypeLimits"]

VOLUME_TYPES: tuple[str, ...] = ("CB1", "CB2", "FB1", "FB2")
"""The volume type codes the seed allows (SEED-R8)."""


@dataclass(frozen=True, slots=True)
class VolumeTypeLimits:
    """Size limits, in GB, of one volume type."""

    min_gb: int = 10
    max_gb: int = 16380
    step_gb: int = 10

    def allows(self, size_gb: int) -> bool:
        """Whether a storage of this many GB may be created with this type."""
        return self.min_gb <= size_gb <= self.max_gb and size_gb % self.step_gb == 0

    def describe(self) -> str:
        """The range as a person reads it."""
        return f"{self.min_gb} to {self.max_gb} GB in steps of {self.step_gb} GB"


@dataclass(frozen=True, slots=True)
class LimitsProfile:
    """Per-type size limits plus the list-length limits of SEED-R4."""

    volume_types: Mapping[str, VolumeTypeLimits]
    max_entries: int = 21
    max_order: int = 20

    def for_type(self, code: str | None) -> VolumeTypeLimits:
        """Limits of one type; for an unknown type, the loosest limits of all types."""
        if code is not None and code in self.volume_types:
            return self.volume_types[code]
        every = list(self.volume_types.values())
        return VolumeTypeLimits(
            min_gb=min(t.min_gb for t in every),
            max_gb=max(t.max_gb for t in every),
            step_gb=_gcd_all([t.step_gb for t in every]),
        )


def _gcd_all(numbers: list[int]) -> int:
    result = 0
    for n in numbers:
        result = gcd(result, n)
    return result or 1


DEFAULT_LIMITS = LimitsProfile(
    volume_types=MappingProxyType({code: VolumeTypeLimits() for code in VOLUME_TYPES}),
)
