"""Probes made by editing valid requests, kept only when the oracle confirms the intent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from harness.contract.account import Account
from harness.contract.clauses import rule_of
from harness.contract.model import Params
from harness.contract.oracle import Outcome, judge
from harness.contract.probe import Probe
from harness.contract.wire import encode_params
from harness.strategies.valid import METHODS, valid_request

__all__ = ["Edit", "edited_probes"]

Edit = Callable[[Any, Params, Account], Params]
"""(draw, valid parameters, account) -> edited parameters."""


def edited_probes(account: Account, edit: Edit, *, label: str, target: str,
                  outcome: Outcome, additional: tuple[int, int],
                  alongside: tuple[str, ...] = ()) -> st.SearchStrategy[Probe]:
    """Valid requests edited by `edit`, sent by GET or POST, confirmed by the oracle.

    A probe is kept when the oracle's verdict is `outcome` and names `target`: a rule or a
    clause (SEED-R9.3) for a reject, a case for an unspecified verdict. A clause must be
    broken alone, or only with the clauses `alongside` it.
    """
    requests = valid_request(account, additional=additional)
    methods = st.sampled_from(METHODS)
    clause = target if "." in target else None
    rule = rule_of(target)

    @st.composite
    def build(draw: Any) -> Probe:
        params = edit(draw, encode_params(draw(requests)), account)
        return Probe(params, draw(methods), label, (rule,), clause=clause,
                     judged=(params, account, judge(params, account)))

    def confirmed(probe: Probe) -> bool:
        verdict = probe.verdict_for(account) or judge(probe.params, account)
        if verdict.outcome is not outcome:
            return False
        if clause is not None:
            return clause in verdict.clauses and set(verdict.clauses) <= {clause, *alongside}
        named = verdict.rules if outcome is Outcome.REJECT else verdict.cases
        return target in named

    return build().filter(confirmed)
