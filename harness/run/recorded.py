"""A recorded run (a cassette) against today's contract: re-checked offline, or resent.

`recheck` judges every exchange of one cassette file again, on the account as the
recording met it (`--target fixtures`); `resend_failures` sends each recorded create that
breaks today's contract to the target again, to see whether it is fixed (`--cassette`
with any other target). Both go through the session, so a resent create is held, put in
custody and judged like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.contract.account import Account
from harness.contract.model import ACTION
from harness.contract.probe import Probe
from harness.core.errors import Violation
from harness.core.signing import SPOILED
from harness.recording.cassette import Cassette
from harness.recording.har import Exchange
from harness.run.failures import Failure
from harness.run.plan import test_key
from harness.run.session import ConformanceSession
from harness.targets.replay import accounts_along, answer_of, probe_of, recheck, recorded_account

__all__ = ["RecordedRun"]


@dataclass
class RecordedRun:
    """One cassette and the session its exchanges are judged or resent through."""

    session: ConformanceSession
    cassette: Cassette
    _along: dict[str, Account] | None = field(default=None, init=False)

    def recheck(self, name: str, test: str) -> Failure | None:
        """Re-check every exchange of one cassette file against the contract as it is now."""
        log, then = self.session.log, self._accounts_then()
        failure = None
        for exchange in self.cassette.file(name).exchanges:
            verdict, result = recheck(exchange, then[exchange.where])
            probe = _probe(exchange)
            log.totals["rechecked"] += 1
            if not exchange.error:
                log.record(probe, verdict, answer_of(exchange), result)
            if result.violations and failure is None:
                failure = self._failure(result.violations[0], probe, exchange, test)
        return failure

    def resend_failures(self, name: str, test: str) -> Failure | None:
        """Send again each create of one cassette file that breaks the contract, to see it fixed."""
        session, then = self.session, self._accounts_then()
        session.gate.test = test_key(test)  # its creates count against its own quota
        failure = None
        for exchange in self.cassette.file(name).exchanges:
            if exchange.action != ACTION:
                continue
            if not recheck(exchange, then[exchange.where])[1].violations:
                continue  # it keeps today's contract: nothing to see fixed
            session.log.totals["recorded_failures"] += 1
            if exchange.signing in SPOILED:
                again = session.auth(exchange.signing, test)  # type: ignore[arg-type]
                session.log.totals["still_failing" if again else "fixed"] += 1
                failure = failure or again
                continue
            sent, now = session.exchange(_probe(exchange))
            if now.transient:
                continue
            session.log.totals["still_failing" if now.violations else "fixed"] += 1
            if now.violations and failure is None:
                failure = self._failure(now.violations[0], sent, exchange, test)
        return failure

    def _accounts_then(self) -> dict[str, Account]:
        """The account as each recorded exchange met it, learned from the cassette itself."""
        if self._along is None:
            self._along = accounts_along(self.cassette, recorded_account(self.cassette))
        return self._along

    def _failure(self, violation: Violation, probe: Probe, exchange: Exchange,
                 test: str) -> Failure:
        session = self.session
        failure = Failure(violation, probe, session.log.seed, test,
                          (f"# recorded at {exchange.where}", *session.reproduction(probe)))
        session.log.fail(failure)
        return failure


def _probe(exchange: Exchange) -> Probe:
    if exchange.action == ACTION:
        return probe_of(exchange)
    return Probe((), "GET", exchange.label or f"recorded:{exchange.action}", ("SEED-S2",),
                 raw=exchange.wire)
