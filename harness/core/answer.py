"""What the service answered, and whether it was a transient failure rather than a verdict.

The value every layer passes (the transport returns it, the checks judge it, the gate and
the run log count it), with the one rule that tells a throttle, an outage or a backend
hiccup from an answer about the contract. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.core.depth import json_document

__all__ = ["TOO_LARGE", "TRANSIENT", "Answer", "is_hiccup", "is_transient"]

TOO_LARGE = frozenset({413, 414, 431})
"""A gateway's answers to a request too large to read; any body shape will do."""


@dataclass(frozen=True)
class Answer:
    """What the service answered: status, headers, body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str:
        """A header's value, case-insensitively; empty when absent."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


TRANSIENT = frozenset({429, 503, 504})
"""The gateway's throttling and outage statuses (a 500 is transient only as a hiccup)."""


def _json_head(body: bytes) -> Any:
    """The JSON value of a short body (an error), or None; pretty-printed bodies too."""
    if len(body) > 4096:
        return None
    try:
        return json_document(body)
    except ValueError:  # not JSON, or nested too deep (TooDeep is a ValueError)
        return None


def is_hiccup(answer: Answer) -> bool:
    """NCP's "Please try your call again later": HTTP 500 with returnCode 1000.

    A backend hiccup (terraform-provider-ncloud issue 298; docs/reference.md): retried for
    reads, looked for in a listing for a create, counted, and never a violation.
    """
    if answer.status != 500:
        return False
    data = _json_head(answer.body)
    error = data.get("responseError") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("returnCode")) == "1000"
    text = answer.body[:512]
    return b"<returnCode>1000</returnCode>" in text.replace(b" ", b"").replace(b"\n", b"")


def is_transient(answer: Answer) -> bool:
    """A gateway's throttling (429) or outage (503, 504), or a backend hiccup (500/1000).

    None of them is a verdict on the contract. Gateway bodies may be pretty-printed.
    """
    if is_hiccup(answer):
        return True
    if answer.status not in TRANSIENT:
        return False
    data = _json_head(answer.body)
    if isinstance(data, dict):
        return "error" in data or (answer.status == 429 and "responseError" not in data)
    return answer.status == 429
