"""A one-line progress bar for a terminal: tests done, requests sent, violations, time.

Redrawn in place (at most five times a second) as tests finish and as requests are
judged, so a nightly test that sends thousands of requests still shows life; drawn through
pytest's terminal writer (`TerminalReporter.rewrite`), never with escape codes of our own.
Finished once, after the last test and its cleanup: its last frame stays on screen, drawn
once. Only on a terminal: CI logs get pytest's own lines instead (see `--progress`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Progress", "bar_line"]


def bar_line(done: int, total: int, sent: int, violations: int, elapsed: float,
             width: int = 24) -> str:
    """The bar's text, e.g. `[#####-----] 12/57 tests  812 requests  0 violations  4 s`."""
    filled = width * done // total if total else width
    bar = "#" * filled + "-" * (width - filled)
    return (f"[{bar}] {done}/{total} tests  {sent} requests  {violations} violation"
            f"{'' if violations == 1 else 's'}  {elapsed:.0f} s")


class Progress:
    """The bar of one run; `rewrite` draws a line over the current one."""

    def __init__(self, rewrite: Callable[..., None], total: int,
                 counts: Callable[[], tuple[int, int]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rewrite = rewrite
        self.total = total
        self.done = 0
        self.counts = counts
        self.clock = clock
        self.started = clock()
        self._drawn = -1.0
        self.finished = False
        self._line = ""

    def refresh(self, *, force: bool = False) -> None:
        """Redraw, unless the last redraw was under 0.2 s ago (and not forced) or it finished."""
        now = self.clock()
        if self.finished or (not force and now - self._drawn < 0.2):
            return
        self._drawn = now
        sent, violations = self.counts()
        line = bar_line(self.done, self.total, sent, violations, now - self.started)
        if line != self._line:  # the same frame is never drawn twice
            self._line = line
            self.rewrite(line, bold=True, red=violations > 0)

    def test_done(self) -> None:
        """One more test finished."""
        self.done += 1
        self.refresh(force=True)

    def finish(self) -> None:
        """Draw the last frame (the counts after cleanup, if they changed); no frame after."""
        self.refresh(force=True)
        self.finished = True
