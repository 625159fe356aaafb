"""A probe: one request to send, how to send it, and what it is meant to exercise."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from harness.contract.account import Account
from harness.contract.model import CreateImageRequest, Params
from harness.contract.oracle import Verdict
from harness.contract.wire import encode, encode_params

__all__ = ["Method", "Probe"]

Method = Literal["GET", "POST"]


@dataclass(frozen=True)
class Probe:
    """What a strategy drew: parameters (or exact raw wire), method, and intent.

    `label` names the strategy class (`valid:base+new`, `break:SEED-R7`, `open:U1`,
    `wire:duplicate-key`); `rules` are the rule or case ids the probe exercises, used to
    attribute a finding. The oracle, not the label, decides what the answer must be.
    """

    params: Params
    method: Method
    label: str
    rules: tuple[str, ...]
    request: CreateImageRequest | None = None
    raw: str | None = None
    judged: tuple[Params, Account, Verdict] | None = field(default=None, compare=False,
                                                             repr=False)
    """The verdict a strategy already had from the oracle, with what it judged."""
    clause: str | None = None
    """The clause the probe was built to break (SEED-R9.3), for a clause's breaker."""

    def verdict_for(self, account: Account) -> Verdict | None:
        """The strategy's verdict, when it judged these very parameters against `account`.

        Identity, not equality: parameters edited since (a rename) or another account (one
        whose names in use differ) get None, and the caller asks the oracle again.
        """
        if self.judged is None:
            return None
        params, judged_against, verdict = self.judged
        return verdict if params is self.params and judged_against is account else None

    @classmethod
    def of(cls, request: CreateImageRequest, method: Method, label: str,
           rules: tuple[str, ...]) -> Probe:
        """A probe for a typed request."""
        return cls(encode_params(request), method, label, rules, request)

    @property
    def wire(self) -> str:
        """The exact query string or form body to send."""
        return self.raw if self.raw is not None else encode(self.params)

    @property
    def response_format(self) -> str:
        """The format the answer must come in: json only when asked, else XML (SEED-S6)."""
        value = next((v for k, v in self.params if k == "responseFormatType"), None)
        return "json" if value == "json" else "xml"

    def with_method(self, method: Method) -> Probe:
        """The same probe sent with another method."""
        return replace(self, method=method)
