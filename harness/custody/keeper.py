"""The run's custody of what it creates: each create request, and each image proved its own.

The gate opens an `Attempt` before every create request (of any kind: valid, invalid,
badly signed) and closes it with the answer. A success that `ownership.claim` proves
names the run's image. Every other answer (a refusal of any status and body, a transient
one, an unreadable or unproven success) or no answer at all leaves the attempt *pending*:
its budget unit stays held until a listing of the account (`look`), taken at least
`settle` seconds after the answer, shows that no image of it exists; its image, if one
shows, is the run's when the proof holds (`ownership.sighting`), and a refusal that made
one has broken the contract. Every pending attempt is looked at once more at teardown
(`harness.custody.cleanup`). Every step is written to the ledger before the next request
goes out, so a run killed at any moment leaves a ledger `ncp-harness cleanup` can finish.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from harness.core.answer import Answer
from harness.core.errors import UnreadableBody
from harness.core.gateway import is_transient
from harness.core.imagerow import ImageRow, rows_of
from harness.core.skew import Skew
from harness.custody.ledger import Ledger, RunRecord, RunState
from harness.custody.ownership import (
    AnswerKind,
    Attempt,
    ByName,
    Claim,
    Owned,
    Sighting,
    claim,
    sighting,
    window_of,
)
from harness.spec.body import parse_body

__all__ = ["GATEWAY_GAVE_UP", "Custody", "Look", "kind_of", "new_record"]

GATEWAY_GAVE_UP = frozenset({502, 503, 504})
"""A gateway that answers in the service's place: the service may still be at the create."""


def new_record(endpoint: str, region: str, inventory: frozenset[str], *, tag: str = "",
               worker: str = "", session: str = "") -> RunRecord:
    """A fresh run's record: a random id, the time, where it runs and what the account held."""
    return RunRecord(secrets.token_hex(4), endpoint, region, tag, time.time(), inventory,
                     worker=worker, session=session)


def _success(status: int) -> bool:
    return 200 <= status < 300


def kind_of(answer: Answer) -> AnswerKind:
    """How a create answer that proved no image leaves its request (see `Attempt.kind`)."""
    if answer.status in GATEWAY_GAVE_UP:
        return "lost"  # any body: NCP's JSON, a proxy's HTML page, nothing
    if is_transient(answer):
        return "transient"
    return "unproven" if _success(answer.status) else "refused"


def rows_in(body: bytes) -> list[ImageRow] | None:
    """The images a create answer lists, or None when the body cannot be read as a success."""
    try:
        parsed = parse_body(body)
    except UnreadableBody:  # parse_body refuses deep nesting itself
        return None
    if parsed.kind != "success" or not isinstance(parsed.inner, dict):
        return None
    return rows_of(parsed.inner.get("serverImageList"))


@dataclass
class Look:
    """What one listing of the account showed of the pending creates."""

    found: list[tuple[Attempt, Owned]] = field(default_factory=list)
    """Images proven the run's, with the create that made them."""
    released: list[Attempt] = field(default_factory=list)
    """Settled creates of which nothing is listed: their budget units come back."""
    recharged: list[Attempt] = field(default_factory=list)
    """Creates whose unit had come back before their image showed: charge it again."""
    unclear: list[tuple[Attempt, Sighting]] = field(default_factory=list)
    """Images that may be a create's but cannot be proven: their units stay held."""


class Custody:
    """Every create attempt of one run (one xdist worker) and the images it owns."""

    def __init__(self, record: RunRecord, *, ledger: Ledger | None = None,
                 skew: Skew | None = None, settle: float = 0.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.record = record
        self.ledger = ledger
        if ledger is not None:
            ledger.hold(self.record.run)  # alive: no one else settles this run meanwhile
        self.skew = skew
        self.settle = settle
        """Seconds after an answer before a listing may show that it made nothing."""
        self.owned: dict[str, Owned] = {}
        self.pending: dict[int, Attempt] = {}
        """Answered (or given up on) without an image proven: looked for until teardown."""
        self.released: set[int] = set()
        """Pending creates whose budget unit came back (nothing was listed after settling)."""
        self.unclear: dict[int, Sighting] = {}
        self.side_effects: list[tuple[Attempt, Owned]] = []
        """Refused creates whose image was found: a refusal must create nothing."""
        self._clock = clock
        self._answered: dict[int, float] = {}
        self._serials = itertools.count(1)
        self._started = False
        self._open: dict[int, Attempt] = {}
        """Sent and not yet answered: an interrupt (Ctrl-C, SIGTERM) leaves them here."""

    def now(self) -> float:
        """This custody's clock (the machine's, unless a test gave another)."""
        return self._clock()

    def begin(self, name: str, region: str, *, unique: bool, label: str = "",
              also: tuple[str, ...] = ()) -> Attempt:
        """A create request about to be sent, written to the ledger first."""
        if not self._started and self.ledger is not None:
            self.ledger.run(self.record)
        self._started = True
        attempt = Attempt(next(self._serials), name, region, self._clock(), unique, label,
                          also=tuple(n for n in dict.fromkeys(also) if n != name))
        if self.ledger is not None:
            self.ledger.intent(self.record, attempt)
        self._open[attempt.serial] = attempt
        return attempt

    def no_answer(self, attempt: Attempt) -> None:
        """The answer never arrived (timeout, dropped connection): it may have made an image."""
        self._pend(attempt, None, "lost")

    def answered(self, attempt: Attempt, answer: Answer,
                 rows: list[ImageRow] | None = None) -> Claim:
        """Close an attempt with its answer; the claim names the run's image, if proved.

        The attempt leaves `_open` only once its outcome is recorded: an interrupt (Ctrl-C,
        SIGTERM) at any point before leaves it open, so teardown still looks for its image.
        """
        if not _success(answer.status):
            self._pend(attempt, answer.status, kind_of(answer))
            return Claim(None, None)
        found = claim(attempt, rows if rows is not None else rows_in(answer.body) or [],
                      self.record.inventory, self.owned)
        if found.number is not None and found.row is not None:
            image = Owned(found.number, attempt.name, attempt.region, found.row.create_date,
                          attempt.sent_at, attempt.serial, unique=attempt.unique,
                          window=window_of(attempt.sent_at, self._clock(), self.skew))
            self.owned[image.number] = image
            if self.ledger is not None:
                self.ledger.created(self.record, image)
            self._open.pop(attempt.serial, None)
        else:
            self._pend(attempt, answer.status, kind_of(answer))
        return found

    def _pend(self, attempt: Attempt, status: int | None, kind: AnswerKind) -> None:
        now = self._clock()
        open_end = kind == "lost"
        attempt = replace(attempt, status=status, kind=kind,
                          window=window_of(attempt.sent_at, None if open_end else now,
                                           self.skew))
        if self.ledger is not None:
            self.ledger.answered(self.record, attempt)
        self.pending[attempt.serial] = attempt
        self._answered[attempt.serial] = now
        self._open.pop(attempt.serial, None)

    # --- looking at the account ---------------------------------------------------------

    def holding(self) -> list[Attempt]:
        """Pending creates whose units are held and may come back (nothing seen of them yet)."""
        return [a for s, a in self.pending.items()
                if s not in self.released and s not in self.unclear]

    def settled_at(self, attempt: Attempt) -> float:
        """When a listing may first show that this create made nothing."""
        return self._answered.get(attempt.serial, attempt.sent_at) + self.settle

    def regions(self) -> list[str]:
        """Regions with pending creates, in order."""
        return sorted({a.region for a in self.pending.values()})

    def look(self, region: str, rows: Iterable[ImageRow], started: float) -> Look:
        """Judge the pending creates of `region` by a complete listing begun at `started`."""
        listed = ByName(rows)
        look = Look()
        for serial, attempt in list(self.pending.items()):
            if attempt.region != region:
                continue
            seen = sighting(attempt, listed.of(attempt), self.record.inventory, self.owned)
            if seen.outcome == "found":
                if serial in self.released:
                    look.recharged.append(attempt)
                look.found.append((attempt, self.adopt(attempt, seen.rows[0])))
            elif seen.outcome == "unclear" or seen.later:
                # Not provably its image, nor provably none (an untagged name; one made after
                # the answer, which a slow service may have made): the unit stays held.
                self.unclear[serial] = seen
                look.unclear.append((attempt, seen))
                if serial in self.released:
                    look.recharged.append(attempt)
                    self.released.discard(serial)
            else:
                self.unclear.pop(serial, None)
                if serial not in self.released and started >= self.settled_at(attempt):
                    self.released.add(serial)
                    look.released.append(attempt)
                    if self.ledger is not None:
                        self.ledger.cleared(self.record, serial)
        return look

    def adopt(self, attempt: Attempt, row: ImageRow) -> Owned:
        """A pending create's image, proven the run's by a listing: owned from now on."""
        image = Owned(row.number, attempt.name, attempt.region, row.create_date,
                      attempt.sent_at, attempt.serial, recovered=True, unique=True)
        self.owned[image.number] = image
        self.pending.pop(attempt.serial, None)
        self.unclear.pop(attempt.serial, None)
        self.released.discard(attempt.serial)
        if attempt.kind == "refused":
            self.side_effects.append((attempt, image))
        if self.ledger is not None:
            self.ledger.created(self.record, image)
            self.ledger.resolved(self.record, attempt.serial, "recovered")
        return image

    def state(self) -> RunState:
        """What the run owes at teardown, in the shape `cleanup.settle` takes."""
        in_flight = [a for a in self._open.values() if a.serial not in self.pending]
        return RunState(self.record, list(self.owned.values()),
                        [*self.pending.values(), *in_flight],
                        released=set(self.released),
                        refusals_made_images=bool(self.side_effects))
