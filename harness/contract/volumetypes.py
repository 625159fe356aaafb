"""getBlockStorageVolumeTypeList rows into the limits profile, learning the unit of the sizes.

The BlockStorageVolumeType reference (api.ncloud-docs.com, en and ko, updated 2026-09-17)
types `minVolumeSize` and `maxVolumeSize` as Long, and the getBlockStorageVolumeTypeList
example gives bytes (10737418240 for 10 GB; ../shared/reference/ncp-api.md section 9),
while requests give `blockStorageSize` in GB (SEED-R7). Older gateways, and this project's
simulator before it followed the reference, answered GB. So the unit is learned: a size
that is not a plausible number of GB (more than `PLAUSIBLE_GB`, a petabyte) is bytes.
The "usable as base" flag and the base sizes are spelled three ways across the pages and
the SDKs (`BASE_FLAGS`, `BASE_MIN`, `BASE_MAX`); the schema accepts each, and the flag is
read from whichever is present (`Learned.base_usable`, which preflight shows). It does not
change the oracle: which request codes may serve as base is SEED-R8's to say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from harness.contract.account import GIB
from harness.contract.limits import DEFAULT_LIMITS, LimitsProfile, VolumeTypeLimits

__all__ = ["BASE_FLAGS", "BASE_MAX", "BASE_MIN", "PLAUSIBLE_GB", "Learned", "learn", "size_of"]

PLAUSIBLE_GB = 1_000_000
BASE_FLAGS = ("isBaseStorageAvailable", "isBasicStorageAvailable", "isAvailableBase")
"""en and ko field tables; ja and gov syntax blocks; the ncloud SDKs' model."""
BASE_MIN = ("minBaseVolumeSize", "minBasicVolumeSize")
BASE_MAX = ("maxBaseVolumeSize", "maxBasicVolumeSize")


@dataclass(frozen=True)
class Learned:
    """The limits a volume-type list gives, and the unit its sizes came in."""

    limits: LimitsProfile
    unit: str
    """'bytes', 'GB', 'bytes and GB', or 'none' (no usable row: the default limits)."""
    base_usable: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    """Volume type code -> the "usable as base" flag, in whichever spelling the row had."""


def size_of(value: Any) -> int | None:
    """A size as listed: a whole number (or digits in a string, as XML has it), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = str(value) if isinstance(value, str) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else None


def _code(value: Any) -> str:
    return str(value.get("code") or "") if isinstance(value, dict) else str(value or "")


def learn(rows: list[Any]) -> Learned:
    """The limits profile of the listed volume types (others keep the defaults)."""
    types = dict(DEFAULT_LIMITS.volume_types)
    units: set[str] = set()
    base: dict[str, bool] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        code = _code(row.get("blockStorageVolumeType"))
        flag = next((row[k] for k in BASE_FLAGS if isinstance(row.get(k), bool)), None)
        if code and flag is not None:
            base[code] = flag
        low, high = size_of(row.get("minVolumeSize")), size_of(row.get("maxVolumeSize"))
        if low is None or high is None:
            continue
        in_bytes = high > PLAUSIBLE_GB
        if in_bytes:
            low, high = -(-low // GIB), high // GIB  # whole GB inside the listed range
        if 0 < low <= high:
            units.add("bytes" if in_bytes else "GB")  # SSD and HDD rows say the unit too
            if code in types:
                types[code] = VolumeTypeLimits(low, high, types[code].step_gb)
    unit = " and ".join(sorted(units)) if units else "none"
    return Learned(replace(DEFAULT_LIMITS, volume_types=MappingProxyType(types)), unit,
                   MappingProxyType(base))
