"""Delete every image a run created, waiting (within a bound) for those still INIT.

Each image is deleted with deleteServerImage; one still being created is looked at with
getServerImageDetail until it is CREAT or the wait runs out. The deletions are then
confirmed with getServerImageList. What could not be deleted is reported as leaked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.body import parse_body
from harness.errors import TargetError, UnreadableBody
from harness.transport import HttpTarget

__all__ = ["CleanupReport", "cleanup", "images_named"]


@dataclass
class CleanupReport:
    """Which images were deleted and which are left behind, and why."""

    deleted: list[str] = field(default_factory=list)
    leaked: dict[str, str] = field(default_factory=dict)


def _delete(target: HttpTarget, number: str) -> tuple[bool, str]:
    answer = target.call("deleteServerImage", (("serverImageNoList.1", number),
                                               ("responseFormatType", "json")))
    if answer.status == 200:
        return True, ""
    try:
        inner = parse_body(answer.body, action="deleteServerImage").inner
        message = str(inner.get("returnMessage") or inner.get("message") or "")
    except UnreadableBody:
        message = ""
    return False, f"{answer.status} {message}".strip()


def _listed(target: HttpTarget, numbers: list[str]) -> set[str]:
    params = tuple((f"serverImageNoList.{i}", n) for i, n in enumerate(numbers, start=1))
    answer = target.call("getServerImageList", (*params, ("responseFormatType", "json")))
    try:
        inner = parse_body(answer.body, action="getServerImageList").inner
    except UnreadableBody:
        return set(numbers)
    rows = inner.get("serverImageList") if answer.status == 200 else None
    if not isinstance(rows, list):
        return set(numbers)
    return {str(r.get("serverImageNo")) for r in rows if isinstance(r, dict)} & set(numbers)


def images_named(target: HttpTarget, names: set[str]) -> list[str]:
    """Numbers of the images whose name is one of `names` (one getServerImageList call)."""
    if not names:
        return []
    answer = target.call("getServerImageList", (("responseFormatType", "json"),))
    try:
        inner = parse_body(answer.body, action="getServerImageList").inner
    except UnreadableBody:
        return []
    rows = inner.get("serverImageList") if answer.status == 200 else None
    return [str(r.get("serverImageNo")) for r in rows or []
            if isinstance(r, dict) and r.get("serverImageName") in names]


def cleanup(target: HttpTarget, numbers: list[str], *, wait_s: float = 120.0,
            poll_s: float = 2.0, sleep: Callable[[float], None] = time.sleep,
            clock: Callable[[], float] = time.monotonic) -> CleanupReport:
    """Delete `numbers`; retry those refused while INIT until `wait_s` has passed."""
    report = CleanupReport()
    pending = list(dict.fromkeys(numbers))
    deadline = clock() + wait_s
    while pending:
        refused: list[str] = []
        for number in pending:
            try:
                ok, why = _delete(target, number)
            except TargetError as exc:
                ok, why = False, str(exc)
            if ok:
                report.deleted.append(number)
            else:
                refused.append(number)
                report.leaked[number] = why
        pending = refused
        if not pending or clock() + poll_s > deadline:
            break
        sleep(poll_s)
    for number in report.deleted:
        report.leaked.pop(number, None)
    if report.deleted:
        try:
            still = _listed(target, report.deleted)
        except TargetError:
            still = set()
        for number in still:
            report.deleted.remove(number)
            report.leaked[number] = "deleted, yet still listed by getServerImageList"
    return report
