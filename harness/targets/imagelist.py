"""getServerImageList in a region: every page, by number, or by name, read as `ImageRow`s.

Following the getServerImageList reference (api.ncloud-docs.com, ja, updated 2026-09-17):
`pageSize` is 1 to 1000, `serverImageNoList.N` and `serverImageName` filter. Paging and
its stops are `harness.targets.paging`'s. A call that fails, or an answer that cannot be read,
ends the listing with `complete` False and the reason: a caller that needs the whole list
(the inventory) must refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.contract.model import Params
from harness.core.imagerow import ImageRow, rows_of
from harness.targets.paging import MAX_PAGES, every_row
from harness.targets.transport import HttpTarget

__all__ = ["PAGE_SIZE", "Listing", "by_name", "by_numbers", "every_image"]

ACTION = "getServerImageList"
PAGE_SIZE = 1000
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


def every_image(target: HttpTarget, region: str | None, filters: Params = (), *,
                page_size: int = PAGE_SIZE, max_pages: int = MAX_PAGES) -> Listing:
    """Every image the filters select, page after page, until the list is exhausted."""
    pages = every_row(target, ACTION, "serverImageList",
                      lambda row: str(row.get("serverImageNo")),
                      params=(*_region(region), *filters), page_size=page_size,
                      max_pages=max_pages)
    return Listing(rows_of(pages.rows), pages.complete, pages.problem)


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
