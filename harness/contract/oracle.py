"""The rules oracle: one verdict, accept, reject or unspecified, for any request.

`judge` reads the wire every reasonable way (`harness.contract.reading`), runs every rule of
`harness.contract.rulebook` on each reading, and decides:

* reject      when every reading breaks at least one rule: a service that keeps the
              contract must answer 4xx; the breaches of the first reading are given;
* unspecified when no breach is certain but the request falls where the seed is silent
              (U1..U10, UH1..UH4): whatever the service does is a finding, not a failure;
* accept      otherwise: the service must create the image.

It never raises on parameters, whatever they hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from harness.contract.account import Account
from harness.contract.model import CreateImageRequest, Params
from harness.contract.reading import read
from harness.contract.rulebook import RULEBOOK, View
from harness.contract.rules import Breach, OpenCase, rule_sort_key
from harness.contract.wire import encode_params

__all__ = ["Outcome", "Verdict", "judge"]


class Outcome(Enum):
    """The three answers of the oracle."""

    ACCEPT = "accept"
    REJECT = "reject"
    UNSPECIFIED = "unspecified"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The oracle's answer: an outcome, the breaches behind a reject, the open cases seen."""

    outcome: Outcome
    breaches: tuple[Breach, ...] = ()
    open_cases: tuple[OpenCase, ...] = ()
    view: View | None = field(default=None, compare=False, repr=False)
    """The first reading, its entries classified: what the checks and the report use, so
    that a request is read and classified once (None on a verdict made by hand)."""

    @property
    def rules(self) -> tuple[str, ...]:
        """Ids of the rules broken, sorted, each once."""
        return tuple(sorted({b.rule for b in self.breaches}, key=rule_sort_key))

    @property
    def clauses(self) -> tuple[str, ...]:
        """Ids of the clauses broken (SEED-R9.3), in the order the rules found them, once."""
        return tuple(dict.fromkeys(b.clause for b in self.breaches))

    @property
    def cases(self) -> tuple[str, ...]:
        """Ids of the open cases seen, sorted, each once."""
        return tuple(sorted({c.case for c in self.open_cases}, key=rule_sort_key))

    def __str__(self) -> str:
        if self.outcome is Outcome.REJECT:
            return "reject: " + "; ".join(f"[{b.clause}] {b.message}" for b in self.breaches)
        if self.outcome is Outcome.UNSPECIFIED:
            return "unspecified: " + "; ".join(f"[{c.case}] {c.message}" for c in self.open_cases)
        return "accept"


def judge(
    request: CreateImageRequest | Params | Iterable[tuple[str, str]] | Mapping[str, str],
    account: Account,
) -> Verdict:
    """Judge a typed request or raw wire parameters against the seed and the account."""
    params = _as_params(request)
    readings, wire_opens = read(params)
    results = []
    opens: list[OpenCase] = list(wire_opens)
    views = [View.of(reading, account) for reading in readings]
    for view in views:
        breaches: list[Breach] = []
        for rule in RULEBOOK:
            for finding in rule(view):
                if isinstance(finding, Breach):
                    breaches.append(finding)
                elif finding not in opens:
                    opens.append(finding)
        results.append(breaches)
    if all(results):
        return Verdict(Outcome.REJECT, tuple(results[0]), tuple(opens), views[0])
    if opens:
        return Verdict(Outcome.UNSPECIFIED, (), tuple(opens), views[0])
    return Verdict(Outcome.ACCEPT, view=views[0])


def _as_params(
    request: CreateImageRequest | Params | Iterable[tuple[str, str]] | Mapping[str, str],
) -> Params:
    if isinstance(request, CreateImageRequest):
        return encode_params(request)
    if isinstance(request, Mapping):
        return tuple((str(k), str(v)) for k, v in request.items())
    return tuple((str(k), str(v)) for k, v in request)

