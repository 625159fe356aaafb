"""What the service answered: status, headers, body.

The value every layer passes (the transport returns it, the checks judge it, the gate and
the run log count it). What the API Gateway's own answers mean, and which answers are
transient rather than a verdict, is harness.core.gateway's. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Answer"]


@dataclass(frozen=True)
class Answer:
    """What the service answered: status, headers, body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str:
        """A header's value, case-insensitively; empty when absent."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")

