"""The simulated actions: createServerImageFromSnapshot and the six neighbours.

createServerImageFromSnapshot follows the oracle: a reject is a 400 `responseError` citing
the first breached rule; an unspecified request follows the scenario's policy per open
case; an accepted one creates an image whose mappings reflect the request. Which
`returnCode` goes with which rule is not documented; the simulator's own choice is
24000 + the rule's number (SEED-R7 -> 24007) and 24100 for a refused open case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from harness.contract.account import GIB, Account
from harness.contract.limits import VOLUME_TYPES
from harness.contract.model import ACTION, Params
from harness.contract.oracle import Outcome, judge
from harness.contract.reading import read
from harness.contract.rulebook import Storage, View
from harness.contract.wire import small_int
from harness.sim.faults import Fault
from harness.sim.render import Format, SimResponse, image_body, server_error, success
from harness.sim.scenario import Scenario
from harness.sim.state import Image, ImageStore, StoredMapping

__all__ = ["ACTIONS", "Context"]

_REGION_NAMES = {"KR": "Korea", "SGN": "Singapore", "JPN": "Japan", "USWN": "US West",
                 "DEN": "Germany"}
_PERFORMANCE = {"CB": (4000, 250), "FB": (16000, 1000)}
"""Largest IOPS and throughput the simulator lists per volume family (its own figures)."""
OPEN_CASE_CODE = "24100"
NOT_FOUND_CODE = "24200"
BAD_PARAMETER_CODE = "24300"


@dataclass(frozen=True)
class Context:
    """One request as an action sees it: the scenario, the images, parameters, format."""

    scenario: Scenario
    images: ImageStore
    params: Params
    fmt: Format
    fault: Fault | None = None

    def first(self, key: str) -> str | None:
        """The first value sent for `key`, or None."""
        return next((v for k, v in self.params if k == key), None)

    def listed(self, name: str) -> list[str] | None:
        """Values of `name.1`, `name.2`, ... in index order, or None when none is sent."""
        found = sorted((n, v) for k, v in self.params if k.startswith(f"{name}.")
                       and (n := small_int(k.rpartition(".")[2])) is not None)
        return [v for _, v in found] if found else None

    def error(self, code: str, message: str) -> SimResponse:
        """A 400 `responseError` in the requested format."""
        return server_error(code, message, self.fmt)



def _image(ctx: Context, image: Image) -> dict[str, Any]:
    """An image's row, in the ServerImage shape the scenario's site answers in."""
    return image_body(image, older=ctx.scenario.image_shape == "older")

def _rule_code(rule: str) -> str:
    digits = rule.rpartition("R")[2]
    return f"{24000 + int(digits)}" if digits.isdigit() else BAD_PARAMETER_CODE


def _bad_region(ctx: Context) -> SimResponse | None:
    region = ctx.first("regionCode")
    if region is not None and region not in ctx.scenario.account.regions:
        return ctx.error(_rule_code("SEED-R1"),
                         f"regionCode={region!r} is not one of"
                         f" {', '.join(ctx.scenario.account.regions)}")
    return None


def create_server_image_from_snapshot(ctx: Context) -> SimResponse:
    """Judge with the oracle, apply the open-case policy, create the image."""
    account = replace(ctx.scenario.account, image_names=ctx.images.names())
    fault = ctx.fault
    if fault is not None and fault.rewrite is not None:
        ctx = replace(ctx, params=fault.rewrite(ctx.params))
    verdict = judge(ctx.params, account)
    if fault is not None:
        verdict = fault.judged(verdict)
    if verdict.outcome is Outcome.REJECT:
        breach = verdict.breaches[0]
        return ctx.error(_rule_code(breach.rule),
                         f"[{breach.rule}] {breach.path}: {breach.message}")
    if verdict.outcome is Outcome.UNSPECIFIED and not ctx.scenario.accepts(verdict.cases):
        refused = next(c for c in verdict.open_cases
                       if ctx.scenario.policy.get(c.case) != "accept")
        return ctx.error(OPEN_CASE_CODE, f"[{refused.case}] {refused.path}: {refused.message}")
    if fault is not None and fault.refuses is not None and fault.refuses(ctx.params, account):
        return ctx.error(BAD_PARAMETER_CODE, f"refused ({fault.name})")
    view = verdict.view or View.of(read(ctx.params)[0][0], account)  # a verdict made by hand
    image = ctx.images.create(view.reading.top.get("serverImageName", ""),
                              view.reading.top.get("serverImageDescription"),
                              _mappings(view.storages, account))
    if fault is not None and fault.after_create is not None:  # made, and said otherwise
        status, body, content_type = fault.after_create
        return SimResponse(status, {"Content-Type": content_type}, body)
    return success(ACTION, "serverImageList", [_image(ctx, image)], ctx.fmt)


def _mappings(entries: tuple[Storage, ...], account: Account) -> tuple[StoredMapping, ...]:
    """What the new image holds: one mapping per entry with a usable order."""
    result = []
    for storage in entries:
        if storage.order is None:
            continue
        snap = (account.snapshot(storage.snapshot_no)
                if storage.snapshot_no and storage.kind in ("base", "attach", "undecided")
                and storage.empty is not True else None)
        raw_size = storage.entry.fields.get("blockStorageSize", "")
        size = (small * GIB if (small := small_int(raw_size)) is not None
                else snap.size_bytes if snap else 10 * GIB)
        vtype = storage.volume_type if storage.volume_type in VOLUME_TYPES else (
            snap.volume_type if snap else "CB1")
        result.append(StoredMapping(storage.order, snap.instance_no if snap else None,
                                    snap.name if snap else None, size, vtype))
    return tuple(result)


def get_region_list(ctx: Context) -> SimResponse:
    """Every region of the scenario, the default first (SEED-R1)."""
    rows = [{"regionCode": r, "regionName": _REGION_NAMES.get(r, r)}
            for r in ctx.scenario.account.regions]
    return success("getRegionList", "regionList", rows, ctx.fmt)


def _flag(ctx: Context, key: str) -> tuple[bool | None, SimResponse | None]:
    raw = ctx.first(key)
    if raw is None:
        return None, None
    if raw not in ("true", "false"):
        return None, ctx.error(BAD_PARAMETER_CODE, f"{key}={raw!r} is not true or false")
    return raw == "true", None


def _page(ctx: Context, rows: list[dict[str, Any]], action: str,
          list_name: str) -> SimResponse:
    numbers = {}
    for key, default in (("pageNo", 1), ("pageSize", len(rows) or 1)):
        raw = ctx.first(key)
        number = small_int(raw) if raw is not None else default
        if key == "pageNo" and number == 0:
            number = 1  # "first page: 0 or 1" (getServerImageList reference, ja, 2026-09-17)
        if number is None or number < 1:
            return ctx.error(BAD_PARAMETER_CODE,
                             f"{key}={(raw or '')[:40]!r} is not a positive integer")
        numbers[key] = number
    start = (numbers["pageNo"] - 1) * numbers["pageSize"]
    page = rows[start:start + numbers["pageSize"]]
    return success(action, list_name, page, ctx.fmt, total=len(rows))


def get_block_storage_snapshot_instance_list(ctx: Context) -> SimResponse:
    """The snapshot inventory, filtered as the request asks."""
    bootable, problem = _flag(ctx, "isBootable")
    if problem:
        return problem
    hypervisors = ctx.listed("hypervisorTypeCodeList")
    numbers = ctx.listed("blockStorageSnapshotInstanceNoList")
    status = ctx.first("blockStorageSnapshotInstanceStatusCode")
    rows = []
    for snap in ctx.scenario.account.snapshots:
        if ((bootable is not None and snap.bootable != bootable)
                or (hypervisors is not None and snap.hypervisor not in hypervisors)
                or (numbers is not None and snap.instance_no not in numbers)
                or (status is not None and snap.status != status)):
            continue
        rows.append({
            "blockStorageSnapshotInstanceNo": snap.instance_no,
            "blockStorageSnapshotName": snap.name,
            "blockStorageSnapshotVolumeSize": snap.size_bytes,
            "blockStorageSnapshotInstanceStatus": {"code": snap.status, "codeName": snap.status},
            "hypervisorType": {"code": snap.hypervisor, "codeName": snap.hypervisor},
            "isBootable": snap.bootable,
            "blockStorageVolumeType": {"code": snap.volume_type, "codeName": snap.volume_type},
        })
    return _page(ctx, rows, "getBlockStorageSnapshotInstanceList",
                 "blockStorageSnapshotInstanceList")


def get_block_storage_volume_type_list(ctx: Context) -> SimResponse:
    """Per-type size limits of the scenario's limits profile (SEED-R7, R8).

    Shaped as the BlockStorageVolumeType reference (en, 2026-09-17) lists the fields, sizes
    in bytes as its example gives them (or GB, with the scenario's `volume_size_unit`).
    The IOPS and throughput figures are the simulator's own; the reference gives none.
    """
    unit = GIB if ctx.scenario.volume_size_unit == "bytes" else 1
    rows = []
    for code, limits in ctx.scenario.account.limits.volume_types.items():
        iops, throughput = _PERFORMANCE.get(code[:2], (3000, 125))
        rows.append({
            "blockStorageVolumeType": {"code": code, "codeName": code},
            "hypervisorType": {"code": "KVM", "codeName": "KVM"},
            "minBaseVolumeSize": limits.min_gb * unit, "maxBaseVolumeSize": 2000 * unit,
            "minVolumeSize": limits.min_gb * unit, "maxVolumeSize": limits.max_gb * unit,
            "minIops": 100, "maxIops": iops, "minThroughput": 50, "maxThroughput": throughput,
            "zoneCodeList": [f"{ctx.scenario.account.regions[0]}-1",
                             f"{ctx.scenario.account.regions[0]}-2"],
            "isBaseStorageAvailable": code.startswith("CB"),
        })
    return success("getBlockStorageVolumeTypeList", "blockStorageVolumeTypeList", rows, ctx.fmt)


def get_server_image_list(ctx: Context) -> SimResponse:
    """Images the simulator created, filtered by number or name."""
    images = ctx.images.look(ctx.listed("serverImageNoList"), ctx.first("serverImageName"))
    return _page(ctx, [_image(ctx, i) for i in images], "getServerImageList", "serverImageList")


def get_server_image_detail(ctx: Context) -> SimResponse:
    """One image by serverImageNo."""
    number = ctx.first("serverImageNo")
    if not number:
        return ctx.error(BAD_PARAMETER_CODE, "serverImageNo is required")
    images = ctx.images.look([number])
    if not images:
        return ctx.error(NOT_FOUND_CODE, f"serverImageNo {number!r} does not exist")
    return success("getServerImageDetail", "serverImageList", [_image(ctx, images[0])], ctx.fmt)


def delete_server_image(ctx: Context) -> SimResponse:
    """Delete every image of serverImageNoList.N, or none if one cannot be deleted."""
    numbers = ctx.listed("serverImageNoList")
    if not numbers:
        return ctx.error(BAD_PARAMETER_CODE, "serverImageNoList.1 is required")
    deleted, why = ctx.images.delete(numbers)
    if why is not None:
        return ctx.error(NOT_FOUND_CODE, why)
    return success("deleteServerImage", "serverImageList", [_image(ctx, i) for i in deleted],
                   ctx.fmt)


def _region_checked(action: Callable[[Context], SimResponse]) -> Callable[[Context], SimResponse]:
    def checked(ctx: Context) -> SimResponse:
        return _bad_region(ctx) or action(ctx)

    checked.__doc__ = action.__doc__
    return checked


ACTIONS: dict[str, Callable[[Context], SimResponse]] = {
    ACTION: create_server_image_from_snapshot,
    "getRegionList": get_region_list,
    **{name: _region_checked(fn) for name, fn in (
        ("getBlockStorageSnapshotInstanceList", get_block_storage_snapshot_instance_list),
        ("getBlockStorageVolumeTypeList", get_block_storage_volume_type_list),
        ("getServerImageList", get_server_image_list),
        ("getServerImageDetail", get_server_image_detail),
        ("deleteServerImage", delete_server_image),
    )},
}
"""Action name -> handler; an action not listed here is a gateway 404."""
