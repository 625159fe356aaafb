"""Replay a cassette: answer requests from it, and re-check what it recorded.

`FixtureTarget` is a target like any other, except that its answers come from a cassette:
a request is matched on method, action path and query (exactly as sent), body, and how
it was signed; identical requests get their recordings in order, the last one again
after that. A request with no recording raises `NotRecorded`, which a run counts and
lists instead of failing. `recheck` judges one recorded exchange against the contract as
it stands now, so a cassette of a misbehaving service fails with the same rule ids.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import ClassVar

from harness.checks.response import (
    Answer,
    CheckResult,
    check_answer,
    check_auth_failure,
    is_transient,
)
from harness.contract.account import Account
from harness.contract.model import ACTION
from harness.contract.oracle import Verdict, judge
from harness.contract.probe import Method, Probe
from harness.contract.wire import decode
from harness.core.errors import NotRecorded, TargetTimeout, UnreadableBody, Violation
from harness.core.signing import SPOILED, Signing
from harness.recording.cassette import Cassette
from harness.recording.har import Exchange
from harness.spec.body import parse_body
from harness.spec.build import NEIGHBOURS
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget

__all__ = ["FixtureTarget", "accounts_along", "answer_of", "probe_of", "recheck",
           "recorded_account"]

_API = "/vserver/v2/"
_KNOWN = frozenset(n[0] for n in NEIGHBOURS)


def _key(method: str, target: str, body: bytes, signing: str) -> tuple[str, str, bytes, str]:
    at = target.find(_API)
    return method.upper(), target[at:] if at >= 0 else target, body, signing


def answer_of(exchange: Exchange) -> Answer:
    """The recorded answer."""
    return Answer(exchange.status, dict(exchange.response_headers), exchange.response_body)


def probe_of(exchange: Exchange) -> Probe:
    """The recorded createServerImageFromSnapshot request as a probe, with its label and rules."""
    method: Method = "POST" if exchange.method == "POST" else "GET"
    return Probe(decode(exchange.wire), method, exchange.label, exchange.rules,
                 raw=exchange.wire)


@dataclass
class FixtureTarget(HttpTarget):
    """A target that answers from a cassette and sends nothing anywhere."""

    cassette: Cassette | None = None
    creates: ClassVar[bool] = False
    _recorded: dict[tuple[str, str, bytes, str], list[Exchange]] = field(
        default_factory=lambda: defaultdict(list))
    _played: dict[tuple[str, str, bytes, str], int] = field(
        default_factory=lambda: defaultdict(int))

    @classmethod
    def of(cls, cassette: Cassette | None) -> FixtureTarget:
        """The fixture target of a cassette."""
        return cls("https://cassette.invalid", None, name="fixtures", cassette=cassette)

    def __post_init__(self) -> None:
        super().__post_init__()
        for exchange in self.cassette.ordered() if self.cassette else ():
            self._recorded[_key(exchange.method, exchange.target, exchange.request_body,
                                exchange.signing)].append(exchange)

    @property
    def endpoint(self) -> str:
        """Where the answers come from."""
        return f"cassette {self.cassette.directory}" if self.cassette else "cassette"

    def _once(self, method: str, action: str, wire: str, signing: Signing) -> Answer:
        target, body = self.target_of(method, action, wire)
        key = _key(method, target, body, signing)
        recorded = self._recorded.get(key)
        if not recorded:
            raise NotRecorded(f"{method.upper()} {key[1]}" + (
                f"  body: {wire}" if body else "") + (
                f"  ({signing} signature)" if signing != "valid" else ""))
        index = min(self._played[key], len(recorded) - 1)
        self._played[key] += 1
        exchange = recorded[index]
        if exchange.error:
            raise TargetTimeout(f"{action}: no answer was recorded ({exchange.error})")
        return answer_of(exchange)


def recorded_account(cassette: Cassette) -> Account:
    """The account the recorded run learned, from the cassette's own neighbour answers."""
    target = FixtureTarget.of(cassette)
    try:
        return discover(target, region=cassette.region)
    finally:
        target.close()


def _created_names(exchange: Exchange) -> list[str]:
    if exchange.action != ACTION or exchange.status != 200:
        return []
    try:
        body = parse_body(exchange.response_body, action=ACTION)
    except UnreadableBody:
        return []
    images = body.inner.get("serverImageList") if body.kind == "success" else None
    return [str(i["serverImageName"]) for i in images or []
            if isinstance(i, dict) and i.get("serverImageName")]


def accounts_along(cassette: Cassette, account: Account) -> dict[str, Account]:
    """The account as each recorded exchange met it (image names created earlier are taken)."""
    out: dict[str, Account] = {}
    current = account
    for exchange in cassette.ordered():
        out[exchange.where] = current
        names = set(_created_names(exchange)) - current.image_names
        if names:
            current = replace(current, image_names=current.image_names | names)
    return out


def recheck(exchange: Exchange, account: Account) -> tuple[Verdict | None, CheckResult]:
    """One recorded exchange judged by today's contract: the verdict (creates) and checks."""
    if exchange.error:
        return None, CheckResult(transient=True)
    answer = answer_of(exchange)
    if exchange.action != ACTION or exchange.method not in ("GET", "POST"):
        return None, _recheck_other(exchange, answer)
    if exchange.signing != "valid":
        return None, check_auth_failure(answer, SPOILED.get(exchange.signing,
                                                               "an unsigned request"))
    probe = probe_of(exchange)
    verdict = judge(probe.params, account)
    return verdict, check_answer(probe, verdict, answer, account)


def _recheck_other(exchange: Exchange, answer: Answer) -> CheckResult:
    """A neighbour action's answer: no 5xx, and the schema when the contract describes it."""
    if is_transient(answer):
        return CheckResult(transient=True)
    ran = (("SEED-S5", "not_a_server_error"), ("SEED-S2", "response_schema"))
    if answer.status >= 500:
        return CheckResult((Violation("SEED-S5", "not_a_server_error",
                                      f"{exchange.action} answered {answer.status}",
                                      expected="< 500", actual=answer.status),), ran=ran[:1])
    if exchange.action not in _KNOWN:
        return CheckResult(ran=ran[:1])  # an action the contract does not describe: no 5xx
    try:
        body = parse_body(answer.body, action=exchange.action)
    except UnreadableBody as exc:
        return CheckResult(tuple(exc.violations), ran=ran)
    return CheckResult(tuple(body.problems), (), body, ran=ran)
