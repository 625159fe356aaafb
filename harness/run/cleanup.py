"""Delete what a run proved it created, and nothing else; say plainly what is left.

`settle(target, run_state)` is the one path for a run's teardown and for
`ncp-harness cleanup --ledger`:

1. Each image the run owns is listed again by number in its region and must still carry
   the name sent and a create time no earlier than the request (`ownership.mismatch`);
   one that does not is refused, never deleted, and its create is looked for by name.
2. Each create whose answer never arrived, or arrived without a provable image, is looked
   for by name: with a name unique to the run, exactly one image of that name, new to the
   run and created after the request, is the run's; several, or any under a name that is
   not unique to the run, are "possibly created, check by hand", never deleted; none after
   a success answer is an accepted create whose image is unknown. A lost create may still
   be running on the service, so it is looked for up to `LOST_LOOKS` times, `poll` apart,
   before "none found" is concluded.
3. Each proven image is deleted with deleteServerImage (one still INIT is retried), then
   listed until it is gone or terminating (status or operation TERMT), within the wait.
   One still listed and not terminating is a leak.

Every call names the region the image was made in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.core.errors import TargetError, UnreadableBody
from harness.core.ownership import Attempt, Owned, mismatch, recoverable
from harness.run.ledger import Ledger, RunState
from harness.spec.body import parse_body
from harness.targets.imagelist import by_name, by_numbers
from harness.targets.transport import HttpTarget

__all__ = ["CleanupReport", "Waiting", "settle"]


@dataclass
class CleanupReport:
    """What happened to everything a run owed."""

    deleted: list[str] = field(default_factory=list)
    """Proven the run's, deleted, and seen gone or terminating."""
    leaked: dict[str, str] = field(default_factory=dict)
    """Proven the run's and still there: number -> why."""
    refused: dict[str, str] = field(default_factory=dict)
    """Named by the run's records but not proven its own now: never deleted (number -> why)."""
    recovered: list[str] = field(default_factory=list)
    """Found by name after a lost or unreadable answer (and so deleted or leaked too)."""
    unknown: list[str] = field(default_factory=list)
    """Success answers to creates whose images could not be found: one line each."""
    possibly: dict[str, str] = field(default_factory=dict)
    """Images that may be the run's but cannot be proven: 'check by hand' (number -> why)."""
    would_delete: list[str] = field(default_factory=list)
    """With dry_run: what would have been deleted."""

    def merge(self, other: CleanupReport) -> None:
        """Add another run's report (cleanup of a ledger with several runs)."""
        self.deleted += other.deleted
        self.leaked.update(other.leaked)
        self.refused.update(other.refused)
        self.recovered += other.recovered
        self.unknown += other.unknown
        self.possibly.update(other.possibly)
        self.would_delete += other.would_delete

    @property
    def clean(self) -> bool:
        """Nothing left behind, unknown, or to check by hand."""
        return not (self.leaked or self.unknown or self.possibly)


@dataclass
class _Settling:
    target: HttpTarget
    run: RunState
    ledger: Ledger | None
    dry_run: bool
    report: CleanupReport = field(default_factory=CleanupReport)

    def _owned_numbers(self) -> set[str]:
        return {image.number for image in self.run.owned}

    def confirm(self) -> list[Owned]:
        """Owned images still listed as the run recorded them; the rest looked for by name."""
        confirmed: list[Owned] = []
        for region in sorted({image.region for image in self.run.owned}):
            group = [image for image in self.run.owned if image.region == region]
            listing = by_numbers(self.target, region or None, [i.number for i in group])
            rows = listing.by_number()
            for image in group:
                if image.number in self.run.record.inventory:
                    self.report.refused[image.number] = (
                        "it existed before the run (in the inventory the run took first)")
                    continue
                if not listing.complete:
                    self.report.leaked[image.number] = (
                        f"could not be listed to confirm it before deleting ({listing.problem})")
                    continue
                why = mismatch(rows.get(image.number), name=image.name,
                               sent_at=max(image.sent_at or 0.0, self.run.record.started),
                               create_date=image.create_date)
                if why is None:
                    confirmed.append(image)
                    continue
                if image.number in rows:
                    self.report.refused[image.number] = why
                self.look_for(image.attempt(), accepted=True)
        return confirmed

    def look_for(self, attempt: Attempt, *, accepted: bool, last: bool = True) -> bool:
        """Find a lost or unproven create's image by its name (see the module docstring).

        False when nothing was found and this was not the `last` look: a create whose answer
        was lost may still be running, so its image may show on a later look.
        """
        where = f"the create sent as {attempt.describe()}"
        if not attempt.name:
            if accepted:
                self.report.unknown.append(f"{where}: no name to look it up by")
            return True
        listing = by_name(self.target, attempt.region or None, attempt.name)
        if not listing.complete:
            reason = f"{where} could not be looked for by name ({listing.problem})"
            if accepted:
                self.report.unknown.append(reason)
            else:
                self.report.possibly[f"name {attempt.name!r}"] = f"{reason}; check by hand"
            return True
        owned = self._owned_numbers() | set(self.report.recovered)
        found = recoverable(attempt, listing.rows, self.run.record.inventory, owned)
        if attempt.unique and len(found) == 1:
            row = found[0]
            image = Owned(row.number, attempt.name, attempt.region, row.create_date,
                          attempt.sent_at, attempt.serial, recovered=True, unique=True)
            self.report.recovered.append(row.number)
            self.run.owned.append(image)
            if self.ledger is not None and not self.dry_run:
                self.ledger.created(self.run.record, image)
            self.resolved(attempt, "recovered")
            return True
        for row in found:
            self.report.possibly[row.number] = (
                f"serverImageNo {row.number}, named {attempt.name!r}, created"
                f" {row.create_date}, after {where};"
                + (" another image has the same name" if attempt.unique else
                   " the name is too short to carry the run's tag") + ": check by hand")
        if not found and not last:
            return False
        if not found and accepted:
            self.report.unknown.append(f"{where} was answered with success, but no image of"
                                       " that name made after it is listed")
        elif not found:
            self.resolved(attempt, "none-found")
        return True

    def resolved(self, attempt: Attempt, outcome: str) -> None:
        if self.ledger is not None and not self.dry_run:
            self.ledger.resolved(self.run.record, attempt.serial, outcome)

    def gone(self, number: str, how: str) -> None:
        self.report.deleted.append(number)
        if self.ledger is not None:
            self.ledger.deleted(self.run.record, number, how)


def _delete(target: HttpTarget, image: Owned) -> tuple[bool, str]:
    region = (("regionCode", image.region),) if image.region else ()
    params = (*region, ("serverImageNoList.1", image.number), ("responseFormatType", "json"))
    try:
        answer = target.call("deleteServerImage", params)
    except TargetError as exc:
        return False, str(exc)
    if answer.status == 200:
        return True, ""
    try:
        inner = parse_body(answer.body, action="deleteServerImage").inner
        message = str(inner.get("returnMessage") or inner.get("message") or "")
    except (UnreadableBody, AttributeError):
        message = ""
    return False, f"deleteServerImage answered {answer.status} {message[:200]}".strip()


LOST_LOOKS = 3
"""How many times teardown looks by name for a lost create's image before it says none."""


@dataclass(frozen=True)
class Waiting:
    """How long cleanup waits for images still INIT and for deletions to show, and how."""

    seconds: float = 120.0
    poll: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def settle(target: HttpTarget, run: RunState, ledger: Ledger | None = None, *,
           waiting: Waiting = Waiting(), dry_run: bool = False) -> CleanupReport:
    """Prove, delete and confirm what `run` owes (see the module docstring)."""
    work = _Settling(target, run, ledger, dry_run)
    confirmed = work.confirm()
    _look_for_lost(work, run.lost, waiting)
    for attempt in run.unidentified:
        work.look_for(attempt, accepted=True)
    confirmed += [image for image in run.owned if image.number in work.report.recovered]
    if dry_run:
        work.report.would_delete = [image.number for image in confirmed]
        return work.report
    deadline = waiting.clock() + waiting.seconds
    asked = _ask_deletions(work, confirmed, deadline, waiting)
    _see_gone(work, asked, deadline, waiting)
    return work.report


def _look_for_lost(work: _Settling, lost: list[Attempt], waiting: Waiting) -> None:
    """Look for each lost create's image by name, up to LOST_LOOKS times, `poll` apart.

    A create whose answer never came back (a timeout, an outage, Ctrl-C while it was in
    flight) may still be running when teardown first looks: only the last look may
    conclude that it made nothing. Bounded by a count of looks, not by the clock.
    """
    unseen = list(lost)
    for look in range(1, LOST_LOOKS + 1):
        if look > 1 and unseen:
            waiting.sleep(waiting.poll)
        unseen = [a for a in unseen
                  if not work.look_for(a, accepted=False, last=look == LOST_LOOKS)]


def _ask_deletions(work: _Settling, images: list[Owned], deadline: float,
                   waiting: Waiting) -> list[Owned]:
    """Delete each image, retrying refusals (one still INIT) until the deadline."""
    pending: list[Owned] = list(images)
    asked: list[Owned] = []
    while pending:
        refused: list[Owned] = []
        for image in pending:
            ok, why = _delete(work.target, image)
            (asked if ok else refused).append(image)
            if not ok:
                work.report.leaked[image.number] = why
        pending = refused
        if not pending or waiting.clock() + waiting.poll > deadline:
            break
        waiting.sleep(waiting.poll)
    for image in asked:
        work.report.leaked.pop(image.number, None)
    return asked


def _see_gone(work: _Settling, asked: list[Owned], deadline: float, waiting: Waiting) -> None:
    """List the deleted images until each is gone or terminating; the others are leaks."""
    while asked:
        still = []
        for region in sorted({image.region for image in asked}):
            group = [image for image in asked if image.region == region]
            listing = by_numbers(work.target, region or None, [i.number for i in group])
            rows = listing.by_number()
            for image in group:
                row = rows.get(image.number)
                if listing.complete and row is None:
                    work.gone(image.number, "deleted")
                elif row is not None and row.terminating:
                    work.gone(image.number, "terminating")
                else:
                    still.append(image)
                    work.report.leaked[image.number] = (
                        f"deleted, yet still listed (status {row.status or '?'}, operation"
                        f" {row.operation or '?'})" if row is not None else
                        f"deleted, but the deletion could not be confirmed ({listing.problem})")
        asked = still
        if not asked or waiting.clock() + waiting.poll > deadline:
            break
        waiting.sleep(waiting.poll)
    for number in work.report.deleted:
        work.report.leaked.pop(number, None)
