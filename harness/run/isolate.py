"""What made a service refuse a valid request: one feature restored at a time.

A valid request the service refused is shrunk by Hypothesis, but the rule its violation
names is the one of the test's class: a service that refuses 30-character names is caught
by whichever class drew one. To blame the right clause, `plan` takes the failing
request apart: a minimal valid request (a plain name and the base storage's snapshot,
nothing else), and one candidate per feature of the failing request, each the minimal
request with that feature alone restored (a top-level parameter, the base storage's own
size or type, each additional storage). `isolate` sends them through the session's
exchange, within the create budget; `blame` reads the answers.
The clauses a refused candidate stands on (`harness.contract.edges`), less those that an
accepted candidate or the minimal request stood on as well, are what the refusal turns on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from harness.checks.response import CheckResult
from harness.contract.account import Account
from harness.contract.clauses import CLAUSES, rule_of
from harness.contract.edges import edges
from harness.contract.keys import entry_key, parse_entry_key
from harness.contract.model import Params
from harness.contract.oracle import Outcome, judge
from harness.contract.probe import Probe
from harness.core.errors import Violation
from harness.strategies.edit import put_top

__all__ = ["Blame", "Candidate", "blame", "creates_needed", "distinct", "isolate", "plan"]

Exchange = Callable[[Probe], tuple[Probe, CheckResult]]


@dataclass(frozen=True)
class Candidate:
    """The minimal valid request with one feature of the failing request restored."""

    feature: str
    params: Params


@dataclass(frozen=True)
class Blame:
    """What the isolation found: the clauses to blame, or why it found none."""

    clauses: tuple[str, ...]
    feature: str | None
    says: str

    @property
    def rule(self) -> str | None:
        """The one rule every blamed clause belongs to, if there is one."""
        rules = {rule_of(c) for c in self.clauses}
        return rules.pop() if len(rules) == 1 else None

    @property
    def clause(self) -> str | None:
        """The one clause to blame, if the isolation found exactly one."""
        return self.clauses[0] if len(self.clauses) == 1 else None


def plan(params: Params, name: str, plain_size: int) -> tuple[Params, list[Candidate]]:
    """(the minimal valid request, one candidate per feature) of a valid failing request.

    The features: each top-level parameter; the base storage's own size or type; a plain
    new storage (CB1 of `plain_size` GB, on no clause's edge); the list's shape (as many
    plain new storages as the failing request had, with its orders); then each additional
    storage restored in full on that shape.
    """
    top = [(k, v) for k, v in params if parse_entry_key(k) is None]
    entries: dict[str, list[tuple[str, str]]] = {}
    for key, value in params:
        parsed = parse_entry_key(key)
        if parsed is not None:
            entries.setdefault(parsed.label, []).append((parsed.field, value))
    base = next((label for label, fields in entries.items() if ("order", "0") in fields), None)
    if base is None:
        return (), []
    snapshot = dict(entries[base]).get("snapshotInstanceNo", "")
    minimal: Params = (("serverImageName", name), (entry_key(1, "order"), "0"),
                       (entry_key(1, "snapshotInstanceNo"), snapshot))
    candidates = [Candidate(key, put_top(minimal, key, value)) for key, value in top]
    extras = [(f, v) for f, v in entries[base] if f not in ("order", "snapshotInstanceNo")]
    if extras:
        candidates.append(Candidate("the base storage's own fields", (
            *minimal, *((entry_key(1, f), v) for f, v in extras))))
    others = [fields for label, fields in entries.items() if label != base]
    if not others:
        return minimal, candidates
    candidates.append(Candidate("a plain new storage", (*minimal, *_plain(2, "1", plain_size))))
    orders = [dict(fields).get("order", "") for fields in others]
    shape = tuple(p for n, order in enumerate(orders, start=2) for p in _plain(n, order,
                                                                              plain_size))
    if len(others) > 1 or orders != ["1"]:
        candidates.append(Candidate("the list's shape (its length and orders)",
                                    (*minimal, *shape)))
    for n, fields in enumerate(others, start=2):
        full = tuple((entry_key(n, f), v) for f, v in fields)
        rest = tuple((k, v) for k, v in shape if not k.startswith(f"blockStorageList.{n}."))
        candidates.append(Candidate(f"the additional storage of order {orders[n - 2]}",
                                    (*minimal, *rest, *full)))
    return minimal, candidates


def distinct(candidates: list[Candidate], account: Account) -> list[Candidate]:
    """The candidates that can tell something apart: one per set of clauses stood on.

    Two candidates on the same clauses' edges blame the same clauses whatever their answers
    (twenty additional storages of one kind are one question, not twenty), so only the
    first is sent. A candidate the oracle does not accept is kept: it is skipped, not sent.
    """
    seen: set[tuple[str, ...]] = set()
    kept = []
    for candidate in candidates:
        verdict = judge(candidate.params, account)
        if verdict.outcome is Outcome.ACCEPT and verdict.view is not None:
            shown = tuple(sorted(edges(verdict.view)))
            if shown in seen:
                continue
            seen.add(shown)
        kept.append(candidate)
    return kept


def creates_needed(params: Params, account: Account) -> int:
    """How many creates taking this valid request apart costs at most (the minimal one too)."""
    limits = account.limits.for_type("CB1")
    _, candidates = plan(params, "isolate", limits.min_gb + limits.step_gb)
    return len(distinct(candidates, account)) + 1 if candidates else 0


def _plain(n: int, order: str, size: int) -> Params:
    return ((entry_key(n, "order"), order), (entry_key(n, "blockStorageVolumeTypeCode"), "CB1"),
            (entry_key(n, "blockStorageSize"), str(size)),
            (entry_key(n, "emptyBlockStorage"), "true"))


def blame(refused: list[tuple[Candidate, tuple[str, ...]]],
          accepted: list[tuple[str, ...]]) -> Blame:
    """The clauses the refusal turns on, from the refused candidates' and others' edges.

    `refused`: each refused candidate and the accepting clauses it stands on; `accepted`:
    the edges of every accepted request (the minimal one included), which clear them.
    """
    if not refused:
        return Blame((), None, "no single feature restored to a minimal valid request is"
                     " refused: the refusal needs several at once")
    cleared = {c for shown in accepted for c in shown}
    for candidate, shown in refused:
        suspects = tuple(c for c in shown if c not in cleared)
        if suspects:
            words = "; ".join(f"{c}: {CLAUSES[c].says}" for c in suspects)
            return Blame(suspects, candidate.feature,
                         f"{candidate.feature} alone, on a minimal valid request, is refused"
                         f" too; it stands on {words}")
    feature = refused[0][0].feature
    return Blame((), feature, f"{feature} alone, on a minimal valid request, is refused too,"
                 " but it stands on no clause's edge that other accepted requests did not")


def isolate(probe: Probe, violation: Violation, *, account: Callable[[], Account],
            exchange: Exchange, fresh_name: Callable[[], str],
            room: int | None) -> tuple[Probe, Violation]:
    """Send the minimal request and each candidate (within `room` creates); blame one.

    The failure then shows the smallest refused candidate and names the clause, or says
    why none could be named. `account` is the account as it stands (its names in use).
    """
    limits = account().limits.for_type("CB1")
    plain = limits.min_gb + limits.step_gb
    minimal, candidates = plan(probe.params, "isolate",
                               plain if plain <= limits.max_gb else limits.min_gb)
    candidates = distinct(candidates, account())
    if not candidates or (room is not None and room < len(candidates) + 1):
        why = (f"{len(candidates) + 1} more creates were needed, {room} were left in the"
               " budget; the blame is the test class's, not the trigger's" if candidates
               else "the request has no base storage to keep")
        return probe, replace(violation, message=f"{violation.message} (not isolated: {why})")
    cleared: list[tuple[str, ...]] = []
    refused: list[tuple[Candidate, tuple[str, ...]]] = []
    smallest: Probe | None = None
    for candidate in (Candidate("the minimal valid request", minimal), *candidates):
        about_name = candidate.feature == "serverImageName"
        params = candidate.params if about_name else tuple(  # a name not yet in use
            (k, fresh_name() if k == "serverImageName" else v) for k, v in candidate.params)
        one = Probe(params, probe.method, f"isolate:{candidate.feature}",
                    ("SEED-R2",) if about_name else probe.rules)
        verdict = judge(one.params, account())
        if verdict.outcome is not Outcome.ACCEPT or verdict.view is None:
            continue  # not evidence either way (an open case, or a name now in use)
        shown = edges(verdict.view)
        sent, result = exchange(one)
        if result.transient:
            continue
        if not any(v.check == "status_agrees_with_oracle" for v in result.violations):
            cleared.append(shown)
        elif candidate.params is minimal:
            return probe, replace(violation, message=f"{violation.message} (not isolated: the"
                                  " minimal valid request, a plain name and the base storage,"
                                  " is refused as well)")
        else:
            refused.append((candidate, shown))
            smallest = smallest or sent
    found = blame(refused, cleared)
    return (smallest or probe), replace(
        violation, rule=found.rule or violation.rule, clause=found.clause,
        message=f"{violation.message}; isolated: {found.says}")
