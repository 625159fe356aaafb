"""State shared by every process of one run: the request rate, and the file lock under it.

pytest-xdist runs the suite in several worker processes; a rate limit kept in one process
would let N workers send N times as much. It lives in a small file under a run directory,
updated under an exclusive `fcntl` lock (`locked`, which the create budget of
`harness.custody.budget` uses too), so every worker of the run draws from the same bucket.
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

__all__ = ["RateLimit", "locked", "parse_rate"]

_RATE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*(s|sec|second|m|min|minute)\s*")


def parse_rate(text: str) -> float:
    """Requests per second from `5/s` or `120/m`; ConfigError names the flag otherwise."""
    match = _RATE.fullmatch(text)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(f"--rate {text!r} is not a rate; expected e.g. 5/s or 120/m")
    per = 1.0 if match.group(2).startswith("s") else 60.0
    return float(match.group(1)) / per


@contextmanager
def locked(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON object in `path`, held under an exclusive lock and written back on exit."""
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
        with locked(self.path) as state:
            now = self._clock()
            slot = max(now, float(state.get("next", 0.0)))
            state["next"] = slot + self.interval
        if slot > now:
            self.waited += slot - now
            self._sleep(slot - now)
