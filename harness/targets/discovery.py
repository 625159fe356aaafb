"""Learn an account's state from its neighbour actions before generating anything.

Regions (getRegionList), snapshots (getBlockStorageSnapshotInstanceList, every page),
per-type size limits (getBlockStorageVolumeTypeList) and the images that exist before the
run (getServerImageList, every page): their names (U10) and their numbers, the inventory
that tells the run's own images from everyone else's (`harness.custody.ownership`). An answer that
is not a readable success is a TargetError that names the action, since nothing can be
generated without it.
"""

from __future__ import annotations

from typing import Any

from harness.contract.account import Account, Snapshot
from harness.contract.limits import VOLUME_TYPES
from harness.contract.model import Params
from harness.contract.volumetypes import Learned, learn, size_of
from harness.core.errors import TargetError
from harness.targets.imagelist import every_image
from harness.targets.paging import every_row, list_answer
from harness.targets.transport import HttpTarget

__all__ = ["discover"]

PAGE_SIZE = 100


def _rows(target: HttpTarget, action: str, list_name: str, params: Params = ()) -> list[Any]:
    rows = list_answer(target, action, params).get(list_name)
    return rows if isinstance(rows, list) else []


def _code(value: Any) -> str:
    return str(value.get("code", "")) if isinstance(value, dict) else str(value or "")


def _snapshots(target: HttpTarget, region: Params) -> tuple[Snapshot, ...]:
    pages = every_row(target, "getBlockStorageSnapshotInstanceList",
                      "blockStorageSnapshotInstanceList",
                      lambda row: str(row.get("blockStorageSnapshotInstanceNo")),
                      params=region, page_size=PAGE_SIZE)
    if not pages.complete:
        raise TargetError(f"the snapshots of {target.endpoint} could not all be listed:"
                          f" {pages.problem}")
    found: list[Snapshot] = []
    for row in pages.rows:
        volume = _code(row.get("blockStorageVolumeType")) or "CB1"
        found.append(Snapshot(
            instance_no=str(row.get("blockStorageSnapshotInstanceNo")),
            size_bytes=size_of(row.get("blockStorageSnapshotVolumeSize")) or 0,
            bootable=row.get("isBootable") is True,
            hypervisor=_code(row.get("hypervisorType")) or "KVM",
            status=_code(row.get("blockStorageSnapshotInstanceStatus")) or "CREAT",
            volume_type=volume if volume in VOLUME_TYPES else "CB1",
            name=str(row.get("blockStorageSnapshotName") or ""),
        ))
    return tuple(found)


def _limits(target: HttpTarget, region: Params) -> Learned:
    return learn(_rows(target, "getBlockStorageVolumeTypeList", "blockStorageVolumeTypeList",
                       region))


def discover(target: HttpTarget, *, region: str | None = None) -> Account:
    """The account behind `target`, as its neighbour actions describe it."""
    regions = tuple(str(r.get("regionCode")) for r in
                    _rows(target, "getRegionList", "regionList") if isinstance(r, dict))
    if region is not None and regions and region not in regions:
        raise TargetError(f"NCLOUD_REGION={region!r} is not a region of {target.endpoint}:"
                          f" {', '.join(regions)}")
    scoped: Params = (("regionCode", region),) if region else ()
    images = every_image(target, region)
    if not images.complete:
        raise TargetError(f"the images of {target.endpoint} could not all be listed, so the"
                          f" run could not tell its own images from others: {images.problem}")
    learned = _limits(target, scoped)
    return Account(snapshots=_snapshots(target, scoped), regions=regions or ("KR",),
                   limits=learned.limits,
                   image_names=frozenset(row.name for row in images.rows), home_region=region,
                   inventory=frozenset(row.number for row in images.rows),
                   size_unit=learned.unit)
