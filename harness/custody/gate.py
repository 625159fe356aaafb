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
from harness.core.errors import NotRecorded, TargetTimeout, Violation
from harness.core.gateway import hiccup_name, is_hiccup
from harness.core.imagerow import rows_of
from harness.custody.budget import SharedBudget
from harness.custody.keeper import Custody
from harness.custody.names import NameBook
from harness.custody.ownership import Attempt, Owned
from harness.targets.imagelist import every_image
from harness.targets.transport import HttpTarget

__all__ = ["ISOLATION", "RESENDS", "ROOM_TRIES", "CreateGate", "Quotas", "SideEffectHandler",
           "Tally", "reserve_of"]

ROOM_TRIES = 4
"""Listings a create held back by the budget waits for before it is skipped."""
RESENDS = 2
"""Times a create answered with a transient answer is sent again (once it made nothing)."""
PERSISTED_ENOUGH = 5
"""Hiccups that persisted across resends after which a run stops resending: the service's
habit is shown, and each resend costs a listing."""
KEPT_PROBES = 2000
"""Probes of pending creates kept for a reproduction (the latest; memory stays bounded)."""


def reserve_of(max_creates: int) -> int:
    """Creates kept back from valid requests so that invalid ones can still be sent.

    A correct service makes no image for an invalid request; a faulty one that does spends
    from this reserve, and at the ceiling nothing more is sent.
    """
    return max_creates // 5


ISOLATION = "isolation"
"""The `test` under which an isolation's creates are sent: they may use the kept units."""


class Quotas(Protocol):
    """A budget plan, as the gate reads it (`harness.run.plan.Plan`)."""

    @property
    def valid_limit(self) -> int:
        """Units requests expected to create may hold (the kept ones excluded)."""

    @property
    def kept(self) -> int:
        """Units kept for refusals in flight and for isolation."""

    def quota(self, test: str) -> int | None:
        """Images `test` may make (None: no quota)."""


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
    plan: Quotas | None = None
    """The budget plan, with each test's quota; None: the budget alone (or none) decides."""
    test: str = ""
    """The test now sending (a plan's key), "cover" or ISOLATION."""
    made: Counter[str] = field(default_factory=Counter)
    """Requests expected to create that may have made an image, per test."""
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
        """Creates an isolation may make now, or None when the budget is unlimited.

        With a plan, the kept units (never more than are free); else the budget's room
        above its reserve.
        """
        if self.budget is None or self.budget.limit is None:
            return None
        free = self.budget.limit - self.budget.spent
        if self.plan is not None:
            return max(0, min(free, self.plan.kept))
        return max(0, free - reserve_of(self.budget.limit))

    def create(self, probe: Probe, check: Callable[[Answer], CheckResult], *,
               expects_create: bool, send: Callable[[], Answer]) -> tuple[Answer | None,
                                                                           CheckResult]:
        """Send one create request through the gate; no answer (None) when none came.

        A transient answer (a throttle, an outage, NCP's "try again later" hiccup) is no
        judgment: the request is sent again, up to RESENDS times, each once a listing shows
        that the last made no image. A hiccup every time is a SEED-S5 violation.
        """
        hiccups = 0
        for sent in range(RESENDS + 1):
            answer, result, attempt = self._once(probe, check, expects_create=expects_create,
                                                 send=send)
            if answer is None or not result.transient:
                return answer, result
            if self.log.totals["hiccups_persisted"] >= PERSISTED_ENOUGH:
                return answer, result  # shown often enough: no more resends, no judgment
            hiccups += is_hiccup(answer)
            if attempt is None or not self._made_nothing(attempt):
                return answer, result  # it may have made an image: never resent blindly
            if sent == RESENDS:
                break  # the log counts this last answer
            self.log.totals["resent_after_transient"] += 1
            self.log.totals["sent"] += 1  # this answer is counted here; the last, by the log
            self.log.totals["transient"] += 1
        if answer is not None and hiccups == RESENDS + 1:
            self.log.totals["hiccups_persisted"] += 1
            return answer, replace(result, transient=False, violations=(Violation(
                "SEED-S5", "not_a_server_error", f"the same request was answered {answer.status}"
                f" {hiccup_name(answer)} {hiccups} times in a row, once the account"
                " showed each time that it had made no image: a hiccup that persists is a"
                " server error", expected="a judgment (2xx or 4xx)", actual=answer.status),
                *result.violations))
        return answer, result

    def _made_nothing(self, attempt: Attempt) -> bool:
        """Whether a listing, once the create settled, shows it made no image (unit back)."""
        custody = self.custody
        if custody is None:
            return False  # a replay: no account to ask
        wait = custody.settled_at(attempt) - custody.now()
        if wait > 0:
            self.sleep(wait)
        self.look()
        return attempt.serial in custody.released

    def _once(self, probe: Probe, check: Callable[[Answer], CheckResult], *,
              expects_create: bool, send: Callable[[], Answer]
              ) -> tuple[Answer | None, CheckResult, Attempt | None]:
        held = self._held(expects_create=expects_create)
        if held:
            self._hold(held, probe)
            return None, CheckResult(transient=True), None
        attempt = self._open(probe)
        try:
            answer = send()
        except TargetTimeout:  # that request fails, not the run; a listing looks for it
            self.log.totals["timed_out"] += 1
            self.made[self.test] += expects_create
            if attempt is not None and self.custody is not None:
                self._keep(attempt, probe)
                self.custody.no_answer(attempt)
            return None, CheckResult(transient=True), None
        except NotRecorded as exc:  # a replay without this request: counted and listed
            self.log.not_recorded(str(exc))
            self._refund()
            return None, CheckResult(transient=True), None
        if expects_create and 200 <= answer.status < 300:
            self.made[self.test] += 1
            if self.test == ISOLATION and self.budget is not None:
                self.budget.note_isolated()  # held by the kept units, not the plan's
        try:
            result = check(answer)
        except Exception:
            self._close(attempt, probe, answer, CheckResult())  # the image is still counted
            raise
        return answer, self._close(attempt, probe, answer, result), attempt

    def _held(self, *, expects_create: bool) -> str | None:
        """Why a create request is not sent: a dry run, the time budget, the create budget."""
        if self.dry_run:
            return "dry_run"
        if self.out_of_time():
            return "skipped_max_time"
        if expects_create and self.plan is not None and self.test != ISOLATION:
            quota = self.plan.quota(self.test)
            if quota is not None and self.made[self.test] >= quota:
                return "not_planned"  # the test's generated examples are all bought
        if self.budget is not None and self.budget.limit is not None:
            limit = self.budget.limit
            if expects_create and self.test != ISOLATION:
                limit = (self.plan.valid_limit + self.budget.isolated if self.plan is not None
                         else limit - reserve_of(limit))
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
