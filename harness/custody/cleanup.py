"""Delete what a run proved it created, and nothing else; say plainly what is left.

`settle(target, run_state)` is the one path for a run's teardown, for a later run settling
what earlier ones owe, and for `ncp-harness cleanup --ledger`:

1. Each image the run owns is listed again by number in its region and must still carry
   the name sent and a create time no earlier than the request (`ownership.mismatch`);
   one that does not is refused, never deleted, and its create is settled as one whose
   answer proved nothing (step 2). One no longer listed was deleted by
   someone else: it is recorded as vanished, and its name is never looked up (a
   colleague's new image of that name is not the run's).
2. Every pending create (refused, transient, unproven, lost: `harness.custody.keeper`) is
   settled by listing the region, in one paged `getServerImageList` for all of them
   (`ownership.sighting`): exactly one image of its tagged name inside its window is the
   run's (found after a refusal: the refusal broke the contract); one that cannot be
   proven is "possibly created, check by hand", never deleted; nothing after a success
   answer is an accepted create whose image is unknown. A create whose answer never came
   may still be running on the service, so it is looked for up to `LOST_LOOKS` times,
   `poll` apart, before "none found" is concluded.
3. Each proven image is deleted with deleteServerImage once it is no longer INIT, then
   listed until it is gone or terminating (status or operation TERMT), within the wait.
   One still being created when the wait runs out is *owed*: recorded in the ledger and
   reported with the command that settles it later; one the service will not delete, or
   still listed and not terminating, is a leak.

Every call names the region the image was made in.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.core.errors import TargetError, UnreadableBody, Violation
from harness.core.imagerow import ImageRow
from harness.custody.ledger import Ledger, RunState
from harness.custody.ownership import (
    Attempt,
    ByName,
    Owned,
    mismatch,
    refusal_made_an_image,
    sighting,
)
from harness.spec.body import parse_body
from harness.targets.imagelist import by_numbers, every_image
from harness.targets.transport import HttpTarget

__all__ = ["LOST_LOOKS", "CleanupReport", "SideEffect", "Waiting", "settle"]


@dataclass(frozen=True)
class SideEffect:
    """A refused create that made an image: the refusal broke the contract."""

    attempt: Attempt
    image: Owned

    @property
    def violation(self) -> Violation:
        """The violation it is (`ownership.refusal_made_an_image`)."""
        return refusal_made_an_image(self.attempt, self.image)


@dataclass
class CleanupReport:
    """What happened to everything a run owed."""

    deleted: list[str] = field(default_factory=list)
    """Proven the run's, deleted, and seen gone or terminating."""
    leaked: dict[str, str] = field(default_factory=dict)
    """Proven the run's and still there: number -> why."""
    owed: dict[str, str] = field(default_factory=dict)
    """Proven the run's and still being created when the wait ran out: number -> why."""
    vanished: dict[str, str] = field(default_factory=dict)
    """Proven the run's, then deleted by someone else before cleanup reached them."""
    refused: dict[str, str] = field(default_factory=dict)
    """Named by the run's records but not proven its own now: never deleted (number -> why)."""
    recovered: list[str] = field(default_factory=list)
    """Found by a listing after their create's answer named none (and so deleted or leaked)."""
    unknown: list[str] = field(default_factory=list)
    """Success answers to creates whose images could not be found: one line each."""
    possibly: dict[str, str] = field(default_factory=dict)
    """Images that may be the run's but cannot be proven: 'check by hand' (number -> why)."""
    unattributed: dict[str, str] = field(default_factory=dict)
    """Images under the untagged name of a refused create, made inside its window: most
    likely someone else's (a run with the same seed, a colleague), possibly the refusal's.
    Never deleted; listed, not counted against the run (number -> why)."""
    side_effects: list[SideEffect] = field(default_factory=list)
    made_nothing: list[int] = field(default_factory=list)
    """Serials of pending creates the last listing showed made no image."""
    would_delete: list[str] = field(default_factory=list)
    """With dry_run: what would have been deleted."""

    def merge(self, other: CleanupReport) -> None:
        """Add another run's report (cleanup of a ledger with several runs)."""
        self.deleted += other.deleted
        self.leaked.update(other.leaked)
        self.owed.update(other.owed)
        self.vanished.update(other.vanished)
        self.refused.update(other.refused)
        self.recovered += other.recovered
        self.unknown += other.unknown
        self.possibly.update(other.possibly)
        self.unattributed.update(other.unattributed)
        self.side_effects += other.side_effects
        self.made_nothing += other.made_nothing
        self.would_delete += other.would_delete

    @property
    def clean(self) -> bool:
        """Nothing left behind, unknown, or to check by hand (owed images are accounted for)."""
        return not (self.leaked or self.unknown or self.possibly)


LOST_LOOKS = 3
"""How many times a create whose answer never came is looked for before "none found"."""


@dataclass(frozen=True)
class Waiting:
    """How long cleanup waits for images still INIT and for deletions to show, and how."""

    seconds: float = 120.0
    poll: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    settle: float = 0.0
    """Seconds to wait before the first listing, so that answers just given have settled."""


@dataclass
class _Settling:
    target: HttpTarget
    run: RunState
    ledger: Ledger | None
    dry_run: bool
    report: CleanupReport = field(default_factory=CleanupReport)
    rows: dict[str, ImageRow] = field(default_factory=dict)
    """The latest listed row of each image to delete."""
    untagged_refusals: dict[str, str] = field(default_factory=dict)
    """Images inside the window of a refused create under an untagged name (number -> why)."""

    def place_untagged(self) -> None:
        """Place the untagged refusals' images: unattributed, or possibly the run's.

        Possibly the run's when this service is seen making images for refused creates (a
        proven side effect); otherwise most likely another's who sent that name too.
        """
        seen_making = bool(self.report.side_effects) or self.run.refusals_made_images
        for number, why in self.untagged_refusals.items():
            if seen_making:
                self.report.possibly[number] = (
                    f"{why}; this service made images for other refused creates: check by hand")
            else:
                self.report.unattributed[number] = (
                    f"{why}; most likely someone else's who sent that name too, unless the"
                    " service made it for the refusal: check by hand if no one else uses the"
                    " account")

    def write(self) -> Ledger | None:
        return None if self.dry_run else self.ledger

    def confirm(self) -> list[Owned]:
        """Owned images still listed as the run recorded them (see the module docstring)."""
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
                row = rows.get(image.number)
                if row is None or row.terminating:
                    self.vanish(image, row)
                    continue
                why = mismatch(row, name=image.name,
                               sent_at=max(image.sent_at or 0.0, self.run.record.started),
                               create_date=image.create_date)
                if why is None:
                    confirmed.append(image)
                    self.rows[image.number] = row
                    continue
                self.report.refused[image.number] = why
                if (create := image.unproven()) is not None:  # the answer lied: look for it
                    self.run.pending.append(create)
        return confirmed

    def vanish(self, image: Owned, row: ImageRow | None) -> None:
        """A proven image no longer listed (or being deleted) before the run deleted it."""
        self.report.vanished[image.number] = (
            f"{image.name!r}: " + ("being deleted (TERMT) by someone else" if row is not None
                                   else "no longer listed: deleted by someone else")
            + "; its name is not looked up again")
        if (ledger := self.write()) is not None:
            ledger.deleted(self.run.record, image.number, "vanished")

    def look(self, pending: list[Attempt], *, last: bool) -> list[Attempt]:
        """List each region once for every pending create; those still unsettled come back."""
        unsettled: list[Attempt] = []
        for region in sorted({a.region for a in pending}):
            group = [a for a in pending if a.region == region]
            listing = every_image(self.target, region or None)
            if not listing.complete:
                for attempt in group:
                    self.unlisted(attempt, listing.problem)
                continue
            listed = ByName(listing.rows)
            unsettled.extend(attempt for attempt in group
                             if not self.judge(attempt, listed.of(attempt), last=last))
        return unsettled

    def judge(self, attempt: Attempt, rows: list[ImageRow], *, last: bool) -> bool:
        """Settle one pending create by what is listed under its name; False: look again."""
        owned = {image.number for image in self.run.owned}
        seen = sighting(attempt, rows, self.run.record.inventory, owned)
        where = f"the create sent as {attempt.describe()}"
        for row in seen.later:
            self.report.unattributed[row.number] = (
                f"serverImageNo {row.number}, named {row.name!r}, created"
                f" {row.create_date or '(unknown)'}, after the answer to {where}: not the"
                " run's (a copy of the name, or a service that made it late); never"
                " deleted: check by hand")
        if seen.outcome == "found":
            self.adopt(attempt, seen.rows[0])
            return True
        if seen.outcome == "unclear":
            # A refusal under a name with no tag: whoever else sent that name (a run with
            # the same seed, a colleague) is the likelier maker, unless this service is seen
            # making images for refusals (`settle` decides once every create is judged).
            others = attempt.kind == "refused" and not attempt.unique
            into = self.untagged_refusals if others else self.report.possibly
            for row in seen.rows:
                into[row.number] = (
                    f"serverImageNo {row.number}, named {row.name!r}, created"
                    f" {row.create_date or '(unknown)'}, may be the image of {where};"
                    f" {seen.why}" + ("" if others else ": check by hand"))
            return True
        if not attempt.span.closed and not last:
            return False  # the service may still be making it
        if attempt.kind == "unproven":
            self.report.unknown.append(f"{where}: no image of that name made inside its"
                                       " window is listed")
            return True
        self.resolved(attempt, "none-found")
        self.report.made_nothing.append(attempt.serial)
        return True

    def adopt(self, attempt: Attempt, row: ImageRow) -> None:
        image = Owned(row.number, attempt.name, attempt.region, row.create_date,
                      attempt.sent_at, attempt.serial, recovered=True, unique=True)
        self.report.recovered.append(row.number)
        self.run.owned.append(image)
        self.rows[row.number] = row
        if attempt.kind == "refused":
            self.report.side_effects.append(SideEffect(attempt, image))
        if (ledger := self.write()) is not None:
            ledger.created(self.run.record, image)
        self.resolved(attempt, "recovered")

    def unlisted(self, attempt: Attempt, problem: str) -> None:
        reason = f"the create sent as {attempt.describe()} could not be looked for ({problem})"
        if attempt.kind == "unproven":
            self.report.unknown.append(reason)
        else:
            self.report.possibly[f"name {attempt.name!r} #{attempt.serial}"] = (
                f"{reason}; check by hand")

    def resolved(self, attempt: Attempt, outcome: str) -> None:
        if (ledger := self.write()) is not None:
            ledger.resolved(self.run.record, attempt.serial, outcome)

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


def settle(target: HttpTarget, run: RunState, ledger: Ledger | None = None, *,
           waiting: Waiting = Waiting(), dry_run: bool = False) -> CleanupReport:
    """Prove, delete and confirm what `run` owes (see the module docstring)."""
    work = _Settling(target, run, ledger, dry_run)
    deadline = waiting.clock() + waiting.seconds
    confirmed = work.confirm()
    if run.pending:
        if waiting.settle > 0:
            waiting.sleep(waiting.settle)
        _settle_pending(work, list(run.pending), waiting)
        work.place_untagged()
    confirmed += [image for image in run.owned if image.number in work.report.recovered]
    if dry_run:
        work.report.would_delete = [image.number for image in confirmed]
        return work.report
    asked = _ask_deletions(work, confirmed, deadline, waiting)
    _see_gone(work, asked, deadline, waiting)
    return work.report


def _settle_pending(work: _Settling, pending: list[Attempt], waiting: Waiting) -> None:
    """Look for every pending create's image, up to LOST_LOOKS times, `poll` apart.

    A create whose answer never came back (a timeout, an outage, Ctrl-C while it was in
    flight) may still be running when teardown first looks: only the last look may
    conclude that it made nothing. Bounded by a count of looks, not by the clock.
    """
    for look in range(1, LOST_LOOKS + 1):
        if look > 1:
            waiting.sleep(waiting.poll)
        pending = work.look(pending, last=look == LOST_LOOKS)
        if not pending:
            return


def _statuses(work: _Settling, images: list[Owned]) -> None:
    """List the images to delete again by number: their status decides what to do next."""
    for region in sorted({image.region for image in images}):
        group = [image for image in images if image.region == region]
        listing = by_numbers(work.target, region or None, [i.number for i in group])
        if not listing.complete:
            continue  # the rows seen last stand; the delete call says the rest
        rows = listing.by_number()
        for image in group:
            row = rows.get(image.number)
            if row is None:
                work.rows.pop(image.number, None)
            else:
                work.rows[image.number] = row


def _ask_deletions(work: _Settling, images: list[Owned], deadline: float,
                   waiting: Waiting) -> list[Owned]:
    """Delete each image once it is made, retrying refusals, until the deadline.

    An image still INIT is not asked (the service refuses); one still INIT when the wait
    runs out is owed, not leaked.
    """
    pending: list[Owned] = list(images)
    asked: list[Owned] = []
    for again in itertools.count():
        if again:
            _statuses(work, pending)
        waiting_for: list[Owned] = []
        for image in pending:
            row = work.rows.get(image.number)
            if again and row is None:  # listed again, and gone before it was asked
                work.vanish(image, None)
                continue
            if row is not None and row.being_created:
                waiting_for.append(image)
                continue
            ok, why = _delete(work.target, image)
            if ok:
                asked.append(image)
                work.report.leaked.pop(image.number, None)
            else:
                waiting_for.append(image)
                work.report.leaked[image.number] = why
        pending = waiting_for
        if not pending or waiting.clock() + waiting.poll > deadline:
            break
        waiting.sleep(waiting.poll)
    for image in pending:
        row = work.rows.get(image.number)
        if row is not None and row.being_created:
            work.report.leaked.pop(image.number, None)
            work.report.owed[image.number] = (
                f"{image.name!r}: still being created (status {row.status}) when the"
                f" {waiting.seconds:g} s wait ran out")
            if work.ledger is not None:
                work.ledger.owed(work.run.record, image.number, row.status)
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
