"""State shared by every process of one run: the request rate and the create budget.

pytest-xdist runs the suite in several worker processes; a rate limit or a budget kept in
one process would let N workers send N times as much. Both live in small files under a
run directory, updated under an exclusive `fcntl` lock, so every worker of the run draws
from the same bucket and the same budget.
"""

from __future__ import annotations

import fcntl
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError

__all__ = ["RateLimit", "SharedBudget", "parse_rate"]

_RATE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*(s|sec|second|m|min|minute)\s*")


def parse_rate(text: str) -> float:
    """Requests per second from `5/s` or `120/m`; ConfigError names the flag otherwise."""
    match = _RATE.fullmatch(text)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(f"--rate {text!r} is not a rate; expected e.g. 5/s or 120/m")
    per = 1.0 if match.group(2).startswith("s") else 60.0
    return float(match.group(1)) / per


@contextmanager
def _locked(path: Path) -> Iterator[dict[str, Any]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            text = handle.read()
            state: dict[str, Any] = json.loads(text) if text.strip() else {}
            yield state
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(state))
            handle.flush()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class RateLimit:
    """At most `per_second` requests a second across every process sharing `path`."""

    def __init__(self, path: Path, per_second: float, *,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> None:
        self.path, self.interval = path, 1.0 / per_second
        self._sleep, self._clock = sleep, clock
        self.waited = 0.0

    def acquire(self) -> None:
        """Wait for this request's turn."""
        with _locked(self.path) as state:
            now = self._clock()
            slot = max(now, float(state.get("next", 0.0)))
            state["next"] = slot + self.interval
        if slot > now:
            self.waited += slot - now
            self._sleep(slot - now)


class SharedBudget:
    """A count of creates every process of a run spends from; None means unlimited.

    A unit is taken before a create request is sent and given back (`refund`) when its
    answer shows that no image was made, so `spent` counts the images that exist, or may
    exist, because of the run.
    """

    def __init__(self, path: Path, limit: int | None) -> None:
        self.path, self.limit = path, limit

    def take(self, limit: int | None = None) -> bool:
        """Spend one unit if fewer than `limit` (default: the whole budget) are spent."""
        ceiling = self.limit if limit is None else limit
        with _locked(self.path) as state:
            spent = int(state.get("spent", 0))
            if ceiling is not None and spent >= ceiling:
                return False
            state["spent"] = spent + 1
            return True

    def refund(self) -> None:
        """Give one unit back: the create it was taken for made no image."""
        with _locked(self.path) as state:
            state["spent"] = max(0, int(state.get("spent", 0)) - 1)

    @property
    def spent(self) -> int:
        """How many creates the whole run has spent."""
        with _locked(self.path) as state:
            return int(state.get("spent", 0))
