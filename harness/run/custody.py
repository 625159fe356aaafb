"""The run's custody of what it creates: each create request, and each image proved its own.

The session opens an `Attempt` before every create request (of any kind: valid, invalid,
badly signed) and closes it with the answer: no success, no image; a success that
`ownership.claim` proves names the run's image; a success it cannot prove, or no answer
at all, leaves the attempt open for teardown to look for by name. Every step is written
to the ledger before the next request goes out, so a run killed at any moment leaves a
ledger that `ncp-harness cleanup` can finish from.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable

from harness.core.errors import UnreadableBody
from harness.core.ownership import Attempt, Claim, ImageRow, Owned, claim, rows_of
from harness.run.ledger import Ledger, RunRecord, RunState
from harness.spec.body import parse_body

__all__ = ["Custody"]


def _success(status: int) -> bool:
    return 200 <= status < 300


def rows_in(body: bytes) -> list[ImageRow] | None:
    """The images a create answer lists, or None when the body cannot be read as a success."""
    try:
        parsed = parse_body(body)
    except UnreadableBody:  # parse_body refuses deep nesting itself
        return None
    if parsed.kind != "success" or not isinstance(parsed.inner, dict):
        return None
    return rows_of(parsed.inner.get("serverImageList"))


class Custody:
    """Every create attempt of one run (one xdist worker) and the images it owns."""

    def __init__(self, endpoint: str, region: str, inventory: frozenset[str], *,
                 tag: str = "", ledger: Ledger | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.record = RunRecord(secrets.token_hex(4), endpoint, region, tag, clock(), inventory)
        self.ledger = ledger
        self.owned: dict[str, Owned] = {}
        self.lost: list[Attempt] = []
        self.unidentified: list[Attempt] = []
        self.accepted = 0
        """Success answers to create requests (each may have made an image)."""
        self._clock = clock
        self._serials = itertools.count(1)
        self._started = False
        self._open: dict[int, Attempt] = {}
        """Sent and not yet answered: an interrupt (Ctrl-C, SIGTERM) leaves them here."""

    def begin(self, name: str, region: str, *, unique: bool, label: str = "") -> Attempt:
        """A create request about to be sent, written to the ledger first."""
        if not self._started and self.ledger is not None:
            self.ledger.run(self.record)
        self._started = True
        attempt = Attempt(next(self._serials), name, region, self._clock(), unique, label)
        if self.ledger is not None:
            self.ledger.intent(self.record, attempt)
        self._open[attempt.serial] = attempt
        return attempt

    def no_answer(self, attempt: Attempt) -> None:
        """The answer never arrived (timeout, dropped connection): it may have made an image."""
        self.lost.append(attempt)
        self._open.pop(attempt.serial, None)

    def answered(self, attempt: Attempt, status: int, body: bytes,
                 rows: list[ImageRow] | None = None) -> Claim:
        """Close an attempt with its answer; the claim names the run's image, if proved.

        The attempt leaves `_open` only once its outcome is recorded: an interrupt (Ctrl-C,
        SIGTERM) at any point before leaves it open, so teardown still looks for its image.
        """
        if not _success(status):
            if self.ledger is not None:
                self.ledger.answered(self.record, attempt.serial, status)
            self._open.pop(attempt.serial, None)
            return Claim(None, None)
        self.accepted += 1
        found = claim(attempt, rows if rows is not None else rows_in(body) or [],
                      self.record.inventory, self.owned)
        if found.number is not None and found.row is not None:
            image = Owned(found.number, attempt.name, attempt.region, found.row.create_date,
                          attempt.sent_at, attempt.serial, unique=attempt.unique)
            self.owned[image.number] = image
            if self.ledger is not None:
                self.ledger.created(self.record, image)
        else:
            self.unidentified.append(attempt)
            if self.ledger is not None:
                self.ledger.unidentified(self.record, attempt.serial, status)
        self._open.pop(attempt.serial, None)
        return found

    def state(self) -> RunState:
        """What the run owes at teardown, in the shape `cleanup.settle` takes."""
        closed = ({a.serial for a in (*self.lost, *self.unidentified)}
                  | {image.serial for image in self.owned.values()})
        still_open = [a for a in self._open.values() if a.serial not in closed]
        return RunState(self.record, list(self.owned.values()), [*self.lost, *still_open],
                        list(self.unidentified))
