"""How far the service's clock is from this machine's, bounded from its `Date` headers (pure).

Every answer's `Date` header (whole seconds, RFC 9110) was stamped by the service at some
moment between the request leaving and its answer arriving. So the service's clock minus
ours, `offset`, lies in `[date - received, date + 1 - sent]`; every answer narrows the
interval. Custody uses it to turn a request's local send and answer times into the window
of service create times (`createDate`) its image could carry (`harness.custody.ownership`).

What an endpoint sends is data, not truth: an interval that contradicts itself (a clock
jump, or Date headers that lie) or an offset past the gateway's five-minute signature skew
is *unmeasured*, and custody then proves nothing by time that it would delete on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["MAX_SKEW_S", "Skew"]

MAX_SKEW_S = 300.0
"""The gateway refuses signatures more than five minutes off its clock (ncp-api.md)."""


def _http_date(text: str) -> float | None:
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return when.timestamp()


@dataclass
class Skew:
    """Bounds on the service's clock minus this machine's, in seconds."""

    low: float = -math.inf
    high: float = math.inf
    contradicted: bool = False
    """Two answers disagreed past their own uncertainty: the bounds are not trusted."""

    def observe(self, sent: float, received: float, date_header: str) -> None:
        """Narrow the bounds with one answer's `Date` header (ignored when unreadable)."""
        stamped = _http_date(date_header) if date_header else None
        if stamped is None or received < sent:
            return
        low, high = stamped - received, stamped + 1.0 - sent
        if low > self.high or high < self.low:
            self.contradicted = True
        self.low, self.high = max(self.low, low), min(self.high, high)

    @property
    def measured(self) -> bool:
        """Whether the bounds are known, agree, and lie within the gateway's five minutes."""
        return (not self.contradicted and math.isfinite(self.low) and math.isfinite(self.high)
                and self.low <= self.high and self.low >= -MAX_SKEW_S
                and self.high <= MAX_SKEW_S)

    def describe(self) -> str:
        """The bounds as a report line names them."""
        if not self.measured:
            return "not measured (no usable Date header)"
        return f"{self.low:+.1f} s to {self.high:+.1f} s"
