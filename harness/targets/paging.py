"""Calling a neighbour list action: one answer read or refused, and every page of a list.

`list_answer` is the one way to call a list action: its success body (JSON asked for), or
a TargetError naming the action, the endpoint and what came back. `every_row` pages
through a list (`pageNo` from 1, as the reference allows: "first page: 0 or 1") and
stops at `totalRows`, at an empty page, at a page that brings no row not seen before, and
at `MAX_PAGES`; a page that repeats earlier rows while `totalRows` says more, a failed
call or the cap make the listing incomplete, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.contract.model import Params
from harness.core.errors import TargetError, UnreadableBody
from harness.spec.body import parse_body
from harness.targets.transport import HttpTarget

__all__ = ["MAX_PAGES", "Pages", "every_row", "list_answer"]

MAX_PAGES = 1000


@dataclass
class Pages:
    """The rows listed, whether the listing reached its end, and why not."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True
    problem: str = ""


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


def every_row(target: HttpTarget, action: str, list_name: str, key: Callable[[Any], str], *,
              params: Params = (), page_size: int, max_pages: int = MAX_PAGES) -> Pages:
    """Every row of a list action, page after page, until the list is exhausted."""
    pages = Pages()
    seen: set[str] = set()
    for page in range(1, max_pages + 1):
        try:
            inner = list_answer(target, action, (*params, ("pageNo", str(page)),
                                                 ("pageSize", str(page_size))))
        except TargetError as exc:
            return Pages(pages.rows, complete=False, problem=str(exc))
        listed = inner.get(list_name)
        rows = [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
        total = inner.get("totalRows") if isinstance(inner.get("totalRows"), int) else None
        fresh = [row for row in rows if key(row) not in seen]
        seen.update(key(row) for row in fresh)
        pages.rows.extend(fresh)
        short = total is not None and len(seen) < total
        if rows and not fresh and short:
            return Pages(pages.rows, complete=False,
                         problem=f"{action} page {page} repeated earlier rows: {len(seen)} of"
                         f" the {total} rows it counts were listed")
        if not rows or not fresh or len(rows) < page_size or (total is not None and not short):
            return pages
    return Pages(pages.rows, complete=False,
                 problem=f"{action} still had rows after {max_pages} pages of {page_size}")
