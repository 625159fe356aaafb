"""One conformance session: send probes to a target, judge, check, shrink, reproduce.

`exercise(strategy)` runs a Hypothesis property over a strategy of probes against the
target: each probe is judged by the oracle against the account as it stands, sent, and
checked. The first violation is shrunk by Hypothesis to a minimal probe, which comes back
as a `Failure` with its seed and a reproduction (an `ncp-harness send` command and a curl
line with no secret in it).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

import hypothesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from hypothesis.errors import Flaky

from harness.checks.response import (
    Answer,
    CheckResult,
    check_answer,
    check_auth_failure,
    check_neighbour,
)
from harness.contract.account import Account, NamesInUse
from harness.contract.model import ACTION, BlockStorage, CreateImageRequest
from harness.contract.oracle import Outcome, Verdict, judge
from harness.contract.probe import Probe
from harness.contract.rules import OPEN_CASES
from harness.contract.wire import encode_params
from harness.core.errors import ContractViolation, NotRecorded, Violation
from harness.core.signing import SPOILED, Signing
from harness.custody.budget import SharedBudget
from harness.custody.gate import ISOLATION, CreateGate, reserve_of
from harness.custody.keeper import Custody, new_record
from harness.custody.ledger import Ledger
from harness.custody.names import NameBook
from harness.custody.ownership import Attempt, Owned
from harness.recording.cassette import Cassette
from harness.run.covering import COVER_ITEMS, covering_set
from harness.run.failures import Failure, HarnessFault, refused_but_made
from harness.run.isolate import isolate
from harness.run.plan import Plan, test_key
from harness.run.profiles import PROFILES
from harness.run.provider import BACKEND, register_backend
from harness.run.reproduce import reproduction
from harness.run.runlog import RunLog
from harness.strategies.valid import usable_snapshots
from harness.targets.imagelist import by_name
from harness.targets.transport import HttpTarget

__all__ = ["ConformanceSession", "RunStopped"]


_ABOUT_NAMES = frozenset({"SEED-R2", "U4", "U10"})
"""Rules and cases whose probes test the name itself: their names are sent as drawn."""
_PLAIN_NAME = re.compile(r"[a-z][a-z0-9-]{1,28}[a-z0-9]")
"""A name SEED-R2 accepts with no open case: one that may be tagged without changing it."""

class _Abort(BaseException):
    """Stops Hypothesis at once: an exception in the harness is not a bug to shrink."""

    def __init__(self, fault: HarnessFault) -> None:
        super().__init__(fault.error)
        self.fault = fault


class RunStopped(BaseException):
    """Ends the run at once: the gateway says the key may not do what the run must.

    A BaseException, so that Hypothesis neither shrinks nor replays it and no test takes
    it for a harness fault; the plugin turns it into exit 2 with its message.
    """


@dataclass
class ConformanceSession:
    """A target, the account behind it, the run's log, and how hard to try."""

    target: HttpTarget
    account: Account
    log: RunLog
    scenario_path: str | None = None
    ledger: Ledger | None = None
    max_creates: int | None = None
    deadline: float | None = None
    dry_run: bool = False
    budget: SharedBudget | None = None
    first_letters: str = ""
    """Under xdist, this worker's own first letters for image names (see `NameBook`)."""
    cassette: Cassette | None = None
    """The recorded run being replayed (--target fixtures) or resent (--cassette)."""
    max_examples: int | None = None
    """At most this many examples per test, whatever the profile says (--max-examples)."""
    name_tag: str = ""
    """The run's tag in every image name it can carry (`harness.custody.names`)."""
    fault: str | None = None
    """The simulator's named bug (--fault): recorded, and carried by every reproduction."""
    settle: float = 0.0
    """Seconds after a create's answer before a listing may show that it made nothing."""
    worker: str = ""
    """This process's pytest-xdist worker id (gw0), empty without xdist."""
    workers: int = 1
    session_id: str = ""
    """The id every xdist worker of this pytest run shares (written to the ledger)."""
    clock: Callable[[], float] = time.time
    """Custody's clock (a test gives one that moves only when told)."""
    sleep: Callable[[float], None] = time.sleep
    plan: Plan | None = None
    """What the create budget buys, made before the first create (`harness.run.plan`)."""
    covered: set[str] = field(default_factory=set)
    key_created: bool = False
    """A create was answered 200 in this run: the key may create, and a later permission
    denial is the service's inconsistency, judged, not a configuration error."""
    names: NameBook = field(init=False)
    custody: Custody | None = field(init=False, default=None)
    """Every create request and the images it proved its own (None: a replay makes none)."""
    gate: CreateGate = field(init=False)
    _current: Account | None = None
    _current_base: Account | None = None

    def __post_init__(self) -> None:
        self.names = NameBook(self.first_letters, self.name_tag)
        self.log.name_tag = self.name_tag
        self.log.fault = self.fault
        self.log.size_unit = self.account.size_unit
        if self.max_creates is not None and self.log.budget is None:
            self.log.budget = {"max_creates": self.max_creates,
                               "reserve": self.plan.kept if self.plan is not None
                               else reserve_of(self.max_creates),
                               "covered": [], "not_covered": list(COVER_ITEMS)}
            if self.plan is not None:
                self.log.budget["plan"] = self.plan.as_dict()
        if self.target.creates and not self.dry_run:
            record = new_record(self.target.endpoint, self.account.image_region,
                                self.account.inventory, tag=self.name_tag, worker=self.worker,
                                session=self.session_id)
            self.custody = Custody(record, ledger=self.ledger, skew=self.target.skew,
                                   settle=self.settle, clock=self.clock)
        self.gate = CreateGate(self.target, self.account, self.log, self.names, self.budget,
                               self.custody, self.dry_run, self.deadline, self.workers,
                               sleep=self.sleep, on_side_effect=self.side_effect,
                               plan=self.plan)

    @property
    def current_account(self) -> Account:
        """The account with the images this run has created (their names are in use, U10).

        Its names are a live view of the run's own, so it is built once, not per image.
        """
        if self._current is None or self._current_base is not self.account:
            self._current = replace(self.account,
                                    image_names=NamesInUse(self.account.image_names,
                                                           self.names.in_use))
            self._current_base = self.account
        return self._current

    def settings(self, max_examples: int | None = None) -> hypothesis.settings:
        """The profile's settings, seeded, without a database, one bug at a time."""
        profile = PROFILES[self.log.profile]
        examples = min(n for n in (profile.max_examples, max_examples, self.max_examples)
                       if n is not None)
        register_backend()
        return hypothesis.settings(
            profile, max_examples=examples, deadline=None, database=None, derandomize=False,
            backend=BACKEND,  # the same draws from the same seed, however it is installed
            # No explain phase: it replays a shrunk failure many times over to say which
            # parts "could vary", each replay a request to the service (a create, a look).
            phases=tuple(p for p in hypothesis.Phase if p is not hypothesis.Phase.explain),
            report_multiple_bugs=False, print_blob=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                   HealthCheck.data_too_large])

    def _unique(self, probe: Probe) -> Probe:
        """Give a probe's image a name unique to the run (`harness.custody.names`).

        Every name carries the run's tag, so that an image any create made (a refused one
        included) can be proven the run's by a listing, and two runs on one account never
        send the same name. Left as drawn: exact wire, and probes whose point is the name
        (SEED-R2, U4, U10; a valid probe about the name's length keeps its length).
        """
        if probe.label.startswith(("valid:", "cover:")) and probe.request is not None:
            return self._renamed(probe, probe.request)
        return self._tagged(probe)

    def _tagged(self, probe: Probe) -> Probe:
        if (probe.raw is not None or probe.label.startswith("wire:")
                or set(probe.rules) & _ABOUT_NAMES):
            return probe  # exact wire, or a probe whose point is the name
        name = next((v for k, v in probe.params if k == "serverImageName"), None)
        if name is None or not _PLAIN_NAME.fullmatch(name) or self.names.unique(name):
            return probe  # no name, one drawn invalid (the probe is about it), or tagged
        taken = self.current_account.image_names
        if not self.names.tag and name not in taken:
            return probe  # no tag to give: only a name in use is changed
        fresh = self.names.fresh(name, taken)
        request = probe.request
        if request is not None and request.server_image_name == name:
            request = replace(request, server_image_name=fresh)
        return replace(probe, request=request, params=tuple(
            (k, fresh if k == "serverImageName" and v == name else v) for k, v in probe.params))

    def _renamed(self, probe: Probe, request: CreateImageRequest) -> Probe:
        fresh = self.names.fresh(request.server_image_name or "",
                                 self.current_account.image_names,
                                 keep_length="SEED-R2" in probe.rules)
        request = replace(request, server_image_name=fresh)
        return replace(probe, params=encode_params(request), request=request)

    def exchange(self, probe: Probe) -> tuple[Probe, CheckResult]:
        """Judge, send (through the gate) and check one probe; record it in the log."""
        if self.log.interrupted:  # a stop signal whose KeyboardInterrupt was lost
            raise KeyboardInterrupt
        probe = self._unique(probe)
        account = self.current_account
        verdict = probe.verdict_for(account) or judge(probe.params, account)  # judged once
        judged = [verdict]

        may_create = self.key_created  # then a denial is the service's, not the key's

        def check(got: Answer) -> CheckResult:
            result = check_answer(probe, verdict, got, self.current_account,
                                  may_create=may_create)
            taken = self._name_taken(probe, verdict, got, result)
            if taken is None:
                return result
            judged[0] = taken
            return check_answer(probe, taken, got, self.current_account, may_create=may_create)

        answer, result = self.gate.create(
            probe, check, expects_create=verdict.outcome is not Outcome.REJECT,
            send=lambda: self.target.send(probe))
        if answer is not None:
            self.log.record(probe, judged[0], answer, result)
            self.key_created |= answer.status == 200
        self._stop_if(result)
        return probe, result

    def _stop_if(self, result: CheckResult) -> None:
        """End the run when the gateway said the key may not do this (RunStopped)."""
        if result.stop is not None:
            self.log.stopped = result.stop
            raise RunStopped(result.stop)

    def _name_taken(self, probe: Probe, verdict: Verdict, answer: Answer,
                    result: CheckResult) -> Verdict | None:
        """The open case U10 for a refused valid request whose untagged name is in use now.

        Another run on the account, or a colleague, may have taken a name that carries no
        tag (SEED-R2's 3-character boundary) since the inventory was read. The account is
        asked at that moment: an image of that name exists (whoever made it) and the request
        is the open case U10, a finding, never a SEED-R2 violation.
        """
        if (verdict.outcome is not Outcome.ACCEPT or not 400 <= answer.status < 500
                or not any(v.check == "status_agrees_with_oracle" for v in result.violations)):
            return None
        name = next((v for k, v in probe.params if k == "serverImageName"), None)
        if not name or self.names.unique(name) or name in self.current_account.image_names:
            return None
        region = self.account.region_of(next((v for k, v in probe.params if k == "regionCode"),
                                             None))
        listing = by_name(self.target, region or None, name)
        self.log.totals["name_in_use_looks"] += 1
        if not listing.complete or all(row.terminating for row in listing.rows):
            return None
        self.names.in_use.add(name)
        again = judge(probe.params, self.current_account)
        return again if again.outcome is not Outcome.ACCEPT else None

    def side_effect(self, attempt: Attempt, image: Owned, probe: Probe | None) -> None:
        """A refused create made an image: a violation, with the request that did it."""
        failure = refused_but_made(attempt, image, probe, self.log.seed,
                                   self.reproduction(probe) if probe is not None else ())
        violation = failure.violation
        self.log.count_check(violation.rule or "-", violation.check, violation)
        self.log.fail(failure)

    def _answer(self, send: Callable[[], Answer]) -> Answer | None:
        """The target's answer; None when a replayed cassette has none (counted, listed)."""
        try:
            return send()
        except NotRecorded as exc:
            self.log.not_recorded(str(exc))
            return None

    def budget_mark(self) -> int:
        """How many create requests the budget has held back so far (see `starved_since`)."""
        return self.gate.mark()

    def starved_since(self, mark: int) -> bool:
        """Whether the create budget held back a request since `mark`: the test is unfinished."""
        return self.gate.starved_since(mark)

    def out_of_time(self) -> bool:
        """Whether --max-time has run out."""
        return self.gate.out_of_time()

    def planned_examples(self, test: str) -> int | None:
        """Examples the plan bought for a test that only creates (None: the profile's)."""
        return self.plan.examples(test) if self.plan is not None else None

    def cover(self, test: str) -> Failure | None:
        """Send the covering set first (see harness.run.covering); note what each request showed.

        A refused covering request is taken apart like any refused valid request, so that
        the clause it turns on is blamed, not the covering set's rules.
        """
        failure = None
        self.gate.test = "cover"
        for cover in covering_set(self.account):
            sent, result = self.exchange(cover.probe)
            if result.transient:
                continue
            if result.violations and failure is None:
                violation = result.violations[0]
                if violation.check == "status_agrees_with_oracle" and violation.expected == 200:
                    sent, violation = self._isolate(sent, violation)
                failure = Failure(violation, sent, self.log.seed, test, self.reproduction(sent))
                self.log.fail(failure)
            elif result.ok and result.body is not None and result.body.kind == "success":
                self.covered |= cover.items
        self.log.budget = {**(self.log.budget or {"max_creates": self.max_creates}),
                           "covered": sorted(self.covered),
                           "not_covered": sorted(set(COVER_ITEMS) - self.covered)}
        return failure

    def exercise(self, strategy: st.SearchStrategy[Probe], test: str, *,
                 max_examples: int | None = None) -> Failure | HarnessFault | None:
        """Run the property (at most `max_examples`); the minimal failing probe, as a Failure."""
        failing: list[tuple[Probe, Violation]] = []
        self.gate.test = test_key(test)

        def prop(probe: Probe) -> None:
            sent, result = self._guarded(test, probe, lambda: self.exchange(probe))
            if result.violations:
                failing.append((sent, result.violations[0]))
                raise ContractViolation(list(result.violations))

        return self._minimal_failure(prop, strategy, test, failing, max_examples)

    def _guarded(self, test: str, probe: Probe,
                 step: Callable[[], tuple[Probe, CheckResult]]) -> tuple[Probe, CheckResult]:
        """Run one exchange; an exception in the harness stops the test as a harness fault."""
        try:
            return step()
        except ContractViolation:
            raise
        except Exception as exc:  # noqa: BLE001 - any of them: never a pass, never shrunk
            raise _Abort(HarnessFault.of(test, probe, exc)) from None

    def agree(self, strategy: st.SearchStrategy[Probe], test: str, *,
              max_examples: int | None = None) -> Failure | HarnessFault | None:
        """Send each probe by GET and by POST: one accepted and the other refused is REQ-2."""
        failing: list[tuple[Probe, Violation]] = []
        self.gate.test = test_key(test)

        def prop(probe: Probe) -> None:
            answers = []
            for method in ("GET", "POST"):
                one = probe.with_method(method)
                sent, result = self._guarded(test, one, partial(self.exchange, one))
                if result.transient or _open_case(result):
                    return  # nothing to compare: the oracle does not expect both accepted
                answers.append((sent, _succeeded(result)))
            (get, got), (post, posted) = answers
            violation = None
            if got != posted:
                word = {True: "accepted", False: "refused"}
                violation = Violation(
                    "REQ-2", "get_and_post_agree", f"the same request was {word[got]} by GET"
                    f" and {word[posted]} by POST; the seed offers both methods",
                    expected=word[got], actual=word[posted])
            self.log.count_check("REQ-2", "get_and_post_agree", violation)
            if violation is not None:
                failing.append((post if got else get, violation))
                raise ContractViolation(violation)

        return self._minimal_failure(prop, strategy, test, failing, max_examples)

    def _minimal_failure(self, prop: Callable[[Probe], None], strategy: st.SearchStrategy[Probe],
                         test: str, failing: list[tuple[Probe, Violation]],
                         max_examples: int | None) -> Failure | HarnessFault | None:
        runner = self.settings(max_examples)(
            hypothesis.seed(self.log.seed)(given(strategy)(prop)))
        try:
            # Flaky: the minimal example no longer failed when replayed (a request the budget
            # held back, a service that changed its mind); the smallest seen failing stands.
            with contextlib.suppress(ContractViolation, Flaky, BaseExceptionGroup):
                runner()
        except _Abort as abort:
            self.log.harness_fault(abort.fault)
            return abort.fault
        if not failing:
            return None
        probe, violation = failing[-1]  # Hypothesis replays the minimal example last
        if violation.check == "status_agrees_with_oracle" and violation.expected == 200:
            probe, violation = self._isolate(probe, violation)
        failure = Failure(violation, probe, self.log.seed, test, self.reproduction(probe))
        self.log.fail(failure)
        return failure

    def _isolate(self, probe: Probe, violation: Violation) -> tuple[Probe, Violation]:
        """Blame a refused valid request on the feature, and clause, that triggers it."""
        if self.dry_run or self.cassette is not None:
            return probe, violation  # nothing is sent, or only what was recorded
        sending, self.gate.test = self.gate.test, ISOLATION  # it may use the kept units
        try:
            return isolate(probe, violation, account=lambda: self.current_account,
                           exchange=self.exchange, room=self.gate.room(),
                           fresh_name=lambda: self.names.fresh(
                               "isolate", self.current_account.image_names))
        finally:
            self.gate.test = sending

    def auth(self, signing: Signing, test: str) -> Failure | None:
        """Send one valid request with a missing, wrong or stale signature.

        It is a create request like any other: it holds a unit of the budget, and an image
        a faulty gateway lets it make is the run's to account for and delete.
        """
        snap = usable_snapshots(self.account)[0]
        request = CreateImageRequest(f"auth-{signing}", (BlockStorage(0, snap.instance_no),))
        probe = self._renamed(Probe.of(request, "GET", f"auth:{signing}", ("SEED-S5",)),
                              request)
        if self.dry_run:
            self.log.dry_run.append(f"GET {self.target.target_of('GET', ACTION, probe.wire)[0]}"
                                    f"  ({signing} signature)")
            return None
        self.gate.test = test_key(test)
        answer, result = self.gate.create(
            probe, lambda got: check_auth_failure(got, SPOILED[signing]),
            expects_create=False, send=lambda: self.target.send(probe, signing=signing))
        if answer is None:
            return None
        self.log.record(probe, None, answer, result)
        if result.transient:
            self.log.totals["unjudged"] += 1  # answered only transiently: no judgment
        if result.ok:
            return None
        failure = Failure(result.violations[0], probe, self.log.seed, test,
                          self.reproduction(probe))
        self.log.fail(failure)
        return failure

    def neighbour(self, action: str, fmt: str, test: str) -> Failure | None:
        """Call a neighbour action; its answer must be a 200 in `fmt` matching the schema."""
        params = (("responseFormatType", fmt),)
        probe = Probe(params, "GET", f"neighbour:{action}", ("SEED-S2",))
        if self.dry_run:
            self.log.dry_run.append(f"GET /vserver/v2/{action}?responseFormatType={fmt}")
            return None
        answer = self._answer(lambda: self.target.call(action, params))
        if answer is None:
            return None
        result = check_neighbour(action, answer, fmt)
        self.log.record(probe, None, answer, result)
        self._stop_if(result)
        violations = result.violations
        if not violations:
            return None
        failure = Failure(violations[0], probe, self.log.seed, test, ())
        self.log.fail(failure)
        return failure

    def reproduction(self, probe: Probe) -> tuple[str, ...]:
        """An ncp-harness command and a curl line that resend the probe, with no secret."""
        path, _ = self.target.target_of(probe.method, ACTION, probe.wire)
        return reproduction(probe, run_target=self.log.target, endpoint=self.target.endpoint,
                            path=path, scenario_path=self.scenario_path, fault=self.fault)


def _succeeded(result: CheckResult) -> bool:
    """Whether an answer created the image (a success body), as far as it was read."""
    return result.body is not None and result.body.kind == "success"


def _open_case(result: CheckResult) -> bool:
    """Whether the answer was to a request the seed leaves open (a finding, not a verdict)."""
    return any(case in OPEN_CASES for finding in result.findings for case in finding.cases)
