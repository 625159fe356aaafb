"""The gate every create request of a run passes: the budget, custody, the send, the answer.

A create request (valid, invalid or badly signed: any of them may make an image on a
faulty service) is held back by a dry run, by --max-time, or by the create budget, which
it holds one unit of from before it is sent until its answer shows that no image was made
(`harness.targets.sharing.SharedBudget`). Requests the oracle expects to create leave a fifth of
the budget (`reserve_of`) for invalid ones. The request is put in custody before it goes
out (`harness.run.custody`, the ledger's intent line), and its answer closes the custody: a
success that proves the run's image, one that proves nothing, no image, or no answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from harness.checks.response import CheckResult
from harness.contract.account import Account
from harness.contract.model import ACTION
from harness.contract.probe import Probe
from harness.core.answer import Answer, is_transient
from harness.core.errors import NotRecorded, TargetTimeout
from harness.core.names import NameBook
from harness.core.ownership import Attempt, rows_of
from harness.run.custody import Custody
from harness.run.runlog import RunLog
from harness.targets.sharing import SharedBudget
from harness.targets.transport import HttpTarget

__all__ = ["CreateGate", "reserve_of"]


def reserve_of(max_creates: int) -> int:
    """Creates kept back from valid requests so that invalid ones can still be sent.

    A correct service makes no image for an invalid request; a faulty one that does spends
    from this reserve, and at the ceiling nothing more is sent.
    """
    return max_creates // 5


def _param(probe: Probe, key: str) -> str | None:
    return next((v for k, v in probe.params if k == key), None)


@dataclass
class CreateGate:
    """Where a session's create requests are held, put in custody, sent and closed."""

    target: HttpTarget
    account: Account
    log: RunLog
    names: NameBook
    budget: SharedBudget | None = None
    custody: Custody | None = None
    dry_run: bool = False
    deadline: float | None = None

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
        except TargetTimeout:  # that request fails, not the run; teardown looks for it
            self.log.totals["timed_out"] += 1
            if attempt is not None and self.custody is not None:
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
            if not self.budget.take(limit):
                return "skipped_max_creates"
        return None

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
        name = _param(probe, "serverImageName") or ""
        return self.custody.begin(name, self.account.region_of(_param(probe, "regionCode")),
                                  unique=self.names.unique(name), label=probe.label)

    def _refund(self) -> None:
        """A create that made no image gives back the unit `_held` took for it."""
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
        # The gateway's own 503/504 ("Endpoint Error/Timeout") or a backend hiccup (500,
        # returnCode 1000): the service's own answer never came back, so the create may have
        # run; teardown looks for it as for a lost answer.
        lost = answer.status in (500, 503, 504) and is_transient(answer)
        if not lost and not 200 <= answer.status < 300:
            self._refund()
        if attempt is None or self.custody is None:
            return result
        if lost:
            self.custody.no_answer(attempt)
            return result
        claim = self.custody.answered(attempt, answer.status, answer.body, rows)
        if claim.number is not None:
            self.log.note_created(claim.number)
        if claim.violations:  # first: an answer naming someone else's image is the gravest
            result = replace(result, violations=(*claim.violations, *result.violations))
        return result
