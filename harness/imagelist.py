"""getServerImageList in a region: every page, by number, or by name, read as `ImageRow`s.

Also the one way to call any neighbour list action (`list_answer`): its success body, or
a TargetError that names the action, the endpoint and what came back.

Paging follows the getServerImageList reference (api.ncloud-docs.com, ja, updated
2026-09-17): `pageNo` counts from 1 (0 and 1 both give the first page), `pageSize` is 1 to
1000, `serverImageNoList.N` and `serverImageName` filter. Paging stops at `totalRows`, at
an empty page, at a page that brings no number not seen before, and at `MAX_PAGES`. A
call that fails, or an answer that cannot be read, ends the listing with `complete`
False and the reason: a caller that needs the whole list (the inventory) must refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.body import parse_body
from harness.errors import TargetError, UnreadableBody
from harness.model import Params
from harness.ownership import ImageRow, rows_of
from harness.transport import HttpTarget

__all__ = ["MAX_PAGES", "PAGE_SIZE", "Listing", "by_name", "by_numbers", "every_image",
           "list_answer"]

ACTION = "getServerImageList"
PAGE_SIZE = 1000
MAX_PAGES = 1000
_BATCH = 100
"""Numbers asked for in one call (`serverImageNoList.1` .. `.100`)."""


@dataclass
class Listing:
    """Rows listed, whether the listing reached its end, and why not."""

    rows: list[ImageRow] = field(default_factory=list)
    complete: bool = True
    problem: str = ""

    def by_number(self) -> dict[str, ImageRow]:
        """The rows keyed by serverImageNo (the last row of a number wins)."""
        return {row.number: row for row in self.rows}


def _region(region: str | None) -> Params:
    return (("regionCode", region),) if region else ()


def list_answer(target: HttpTarget, action: str, params: Params = ()) -> dict[str, Any]:
    """A list action's success body (JSON asked); TargetError naming the action otherwise."""
    answer = target.call(action, (*params, ("responseFormatType", "json")))
    try:
        body = parse_body(answer.body, action=action)
    except UnreadableBody as exc:
        raise TargetError(f"{action} on {target.endpoint} answered {answer.status} with an"
                          f" unreadable body: {exc.violations[0].message[:200]}") from None
    if answer.status != 200 or body.kind != "success" or not isinstance(body.inner, dict):
        detail = body.inner if isinstance(body.inner, dict) else {}
        message = str(detail.get("returnMessage") or detail.get("message") or body.root)
        hint = " (check the keys)" if answer.status in (401, 403) else ""
        raise TargetError(f"{action} on {target.endpoint} answered {answer.status}:"
                          f" {message[:200]}{hint}")
    return body.inner


def _page(target: HttpTarget, params: Params) -> tuple[list[ImageRow], int | None]:
    """One page: its rows and totalRows; TargetError when the answer is not a readable 200."""
    inner = list_answer(target, ACTION, params)
    total = inner.get("totalRows")
    return rows_of(inner.get("serverImageList")), total if isinstance(total, int) else None


def every_image(target: HttpTarget, region: str | None, filters: Params = (), *,
                page_size: int = PAGE_SIZE, max_pages: int = MAX_PAGES) -> Listing:
    """Every image the filters select, page after page, until the list is exhausted."""
    listing = Listing()
    seen: set[str] = set()
    for page in range(1, max_pages + 1):
        try:
            rows, total = _page(target, (*_region(region), *filters, ("pageNo", str(page)),
                                         ("pageSize", str(page_size))))
        except TargetError as exc:
            return Listing(listing.rows, complete=False, problem=str(exc))
        fresh = [row for row in rows if row.number not in seen]
        seen.update(row.number for row in fresh)
        listing.rows.extend(fresh)
        short = total is not None and len(seen) < total
        if rows and not fresh and short:
            return Listing(listing.rows, complete=False,
                           problem=f"{ACTION} page {page} repeated earlier rows: {len(seen)} of"
                           f" the {total} images it counts were listed")
        if not rows or not fresh or len(rows) < page_size or (
                total is not None and not short):
            return listing
    return Listing(listing.rows, complete=False,
                   problem=f"{ACTION} still had rows after {max_pages} pages of {page_size}")


def by_numbers(target: HttpTarget, region: str | None, numbers: list[str]) -> Listing:
    """The images with these numbers (in batches of 100); those not listed do not exist."""
    listing = Listing()
    wanted = list(dict.fromkeys(numbers))
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start:start + _BATCH]
        filters = tuple((f"serverImageNoList.{i}", n) for i, n in enumerate(batch, start=1))
        part = every_image(target, region, filters)
        listing.rows.extend(row for row in part.rows if row.number in batch)
        if not part.complete:
            return Listing(listing.rows, complete=False, problem=part.problem)
    return listing


def by_name(target: HttpTarget, region: str | None, name: str) -> Listing:
    """The images named exactly `name` (the filter asked for, and checked on every row)."""
    part = every_image(target, region, (("serverImageName", name),))
    return Listing([row for row in part.rows if row.name == name], part.complete, part.problem)
