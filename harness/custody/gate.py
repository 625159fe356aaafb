"""The gate every create request of a run passes: the budget, custody, the send, the answer.

A create request (valid, invalid or badly signed: any of them may make an image on a
faulty service) is held back by a dry run, by --max-time, or by the create budget
(`harness.custody.budget`), which it holds one unit of from before it is sent. The unit
comes back only when the account's inventory shows that the request made no image: never
on the strength of the answer alone. A success answer that proves the run's image keeps
the unit; every other answer leaves the request pending in custody
(`harness.custody.keeper`), and when the budget runs out the gate lists the account once
for all pending requests (`look`), gives back the units of those that made nothing, and
tries again. Requests the oracle expects to create leave a fifth of the budget
(`reserve_of`) for invalid ones.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from harness.checks.response import CheckResult
from harness.contract.account import Account
from harness.contract.model import ACTION
from harness.contract.probe import Probe
from harness.core.answer import Answer
from harness.core.errors import NotRecorded, TargetTimeout
from harness.core.imagerow import rows_of
from harness.custody.budget import SharedBudget
from harness.custody.keeper import Custody
from harness.custody.names import NameBook
from harness.custody.ownership import Attempt, Owned
from harness.targets.imagelist import every_image
from harness.targets.transport import HttpTarget

__all__ = ["ROOM_TRIES", "CreateGate", "SideEffectHandler", "Tally", "reserve_of"]

ROOM_TRIES = 4
"""Listings a create held back by the budget waits for before it is skipped."""
KEPT_PROBES = 2000
"""Probes of pending creates kept for a reproduction (the latest; memory stays bounded)."""


def reserve_of(max_creates: int) -> int:
    """Creates kept back from valid requests so that invalid ones can still be sent.

    A correct service makes no image for an invalid request; a faulty one that does spends
    from this reserve, and at the ceiling nothing more is sent.
    """
    return max_creates // 5


class Tally(Protocol):
    """What the gate counts into (the run's log)."""

    totals: Counter[str]
    dry_run: list[str]
    recovered: list[str]

    def not_recorded(self, request: str) -> None:
        """A replayed request the cassette has no answer for."""

    def note_created(self, number: str) -> None:
        """An image the run created."""


SideEffectHandler = Callable[[Attempt, Owned, Probe | None], None]
"""Told of each refused create whose image a listing found (with its probe, if known)."""


def _param(probe: Probe, key: str) -> str | None:
    return next((v for k, v in probe.params if k == key), None)


@dataclass
class CreateGate:
    """Where a session's create requests are held, put in custody, sent and closed."""

    target: HttpTarget
    account: Account
    log: Tally
    names: NameBook
    budget: SharedBudget | None = None
    custody: Custody | None = None
    dry_run: bool = False
    deadline: float | None = None
    workers: int = 1
    """pytest-xdist workers sharing the budget: none may sit on much of it."""
    sleep: Callable[[float], None] = time.sleep
    on_side_effect: SideEffectHandler | None = None
    _probes: OrderedDict[int, Probe] = field(default_factory=OrderedDict, repr=False)

    def out_of_time(self) -> bool:
        """Whether --max-time has run out."""
        return self.deadline is not None and time.monotonic() > self.deadline

    def mark(self) -> int:
        """How many create requests the budget has held back so far (see `starved_since`)."""
        return self.log.totals["skipped_max_creates"]

    def starved_since(self, mark: int) -> bool:
        """Whether the create budget held back a request since `mark`: the test is unfinished."""
        return self.log.totals["skipped_max_creates"] > mark

    def room(self) -> int | None:
        """Creates left in the budget (its reserve kept), or None when it is unlimited."""
        if self.budget is None or self.budget.limit is None:
            return None
        return max(0, self.budget.limit - reserve_of(self.budget.limit) - self.budget.spent)

    def create(self, probe: Probe, check: Callable[[Answer], CheckResult], *,
               expects_create: bool, send: Callable[[], Answer]) -> tuple[Answer | None,
                                                                           CheckResult]:
        """Send one create request through the gate; no answer (None) when none came."""
        held = self._held(expects_create=expects_create)
        if held:
            self._hold(held, probe)
            return None, CheckResult(transient=True)
        attempt = self._open(probe)
        try:
            answer = send()
        except TargetTimeout:  # that request fails, not the run; a listing looks for it
            self.log.totals["timed_out"] += 1
            if attempt is not None and self.custody is not None:
                self._keep(attempt, probe)
                self.custody.no_answer(attempt)
            return None, CheckResult(transient=True)
        except NotRecorded as exc:  # a replay without this request: counted and listed
            self.log.not_recorded(str(exc))
            self._refund()
            return None, CheckResult(transient=True)
        try:
            result = check(answer)
        except Exception:
            self._close(attempt, probe, answer, CheckResult())  # the image is still counted
            raise
        return answer, self._close(attempt, probe, answer, result)

    def _held(self, *, expects_create: bool) -> str | None:
        """Why a create request is not sent: a dry run, the time budget, the create budget."""
        if self.dry_run:
            return "dry_run"
        if self.out_of_time():
            return "skipped_max_time"
        if self.budget is not None and self.budget.limit is not None:
            limit = self.budget.limit
            if expects_create:
                limit -= reserve_of(limit)
            self._share()
            if not self.budget.take(limit) and not self._make_room(limit):
                return "skipped_max_creates"
        return None

    def _share(self) -> None:
        """Under xdist, list before this worker sits on more than its share of settled units."""
        custody, budget = self.custody, self.budget
        if self.workers < 2 or custody is None or budget is None or budget.limit is None:
            return
        now = custody.now()
        settled = [a for a in custody.holding() if custody.settled_at(a) <= now]
        if len(settled) >= max(1, budget.limit // (2 * self.workers)):
            self.look()

    def _make_room(self, limit: int) -> bool:
        """The budget is spent: list the account for the pending creates and try again.

        Waits (at most ROOM_TRIES listings) for pending creates to settle; False when none
        holds a unit that may come back, or the time budget runs out first.
        """
        custody, budget = self.custody, self.budget
        if custody is None or budget is None:
            return False
        for _ in range(ROOM_TRIES):
            holding = custody.holding()
            if not holding:
                return False
            wait = min(custody.settled_at(a) for a in holding) - custody.now()
            if wait > 0:
                if self.deadline is not None and time.monotonic() + wait > self.deadline:
                    return False
                self.sleep(wait)
            self.look()
            if budget.take(limit):
                return True
        return False

    def look(self) -> None:
        """List the account once per region for every pending create, and act on it."""
        custody = self.custody
        if custody is None:
            return
        for region in custody.regions():
            started = custody.now()
            listing = every_image(self.target, region or None)
            self.log.totals["custody_looks"] += 1
            if not listing.complete:
                continue  # a partial listing proves no absence: every unit stays held
            seen = custody.look(region, listing.rows, started)
            for _ in seen.released:
                self._refund()
            if self.budget is not None and seen.recharged:
                self.budget.charge(len(seen.recharged))
            for attempt, image in seen.found:
                self.log.note_created(image.number)
                self.log.recovered.append(image.number)
                probe = self._probes.pop(attempt.serial, None)
                if attempt.kind == "refused" and self.on_side_effect is not None:
                    self.on_side_effect(attempt, image, probe)

    def _keep(self, attempt: Attempt, probe: Probe) -> None:
        self._probes[attempt.serial] = probe
        while len(self._probes) > KEPT_PROBES:
            self._probes.popitem(last=False)

    def probe_of(self, serial: int) -> Probe | None:
        """The probe a pending create was sent as (for a reproduction), while it is known."""
        return self._probes.get(serial)

    def _hold(self, held: str, probe: Probe) -> None:
        """Count a request not sent; a dry run lists it."""
        self.log.totals[held] += 1
        if held == "dry_run":
            path, _ = self.target.target_of(probe.method, ACTION, probe.wire)
            self.log.dry_run.append(f"{probe.method} {path}" + (
                f"  body: {probe.wire}" if probe.method == "POST" else ""))

    def _open(self, probe: Probe) -> Attempt | None:
        """Put a create request in custody before it is sent (its ledger line first)."""
        if self.custody is None:
            return None
        names = [v for k, v in probe.params if k == "serverImageName"]
        name = names[0] if names else ""
        return self.custody.begin(name, self.account.region_of(_param(probe, "regionCode")),
                                  unique=self.names.unique(name), label=probe.label,
                                  also=tuple(names[1:]))

    def _refund(self) -> None:
        """Give back a unit `_held` took for a create that made no image."""
        if self.budget is not None and self.budget.limit is not None:
            self.budget.refund()

    def _close(self, attempt: Attempt | None, probe: Probe, answer: Answer,
               result: CheckResult) -> CheckResult:
        """Close a create's custody with its answer; add what the answer lied about."""
        name = _param(probe, "serverImageName")
        if answer.status == 200 and name:
            self.names.in_use.add(name)  # the name sent is in use, whatever the body echoes
        body = result.body
        rows = (rows_of(body.inner.get("serverImageList")) if body is not None
                and body.kind == "success" and isinstance(body.inner, dict) else None)
        self.names.in_use.update(row.name for row in rows or () if row.name)
        if attempt is None or self.custody is None:
            if not 200 <= answer.status < 300:
                self._refund()  # a replay: no account behind it
            return result
        claim = self.custody.answered(attempt, answer, rows)
        if claim.number is not None:
            self.log.note_created(claim.number)
        else:
            self._keep(attempt, probe)  # for the violation, if it made an image
        if claim.violations:  # first: an answer naming someone else's image is the gravest
            result = replace(result, violations=(*claim.violations, *result.violations))
        return result
