"""Judge the answers a HAR file holds, three ways, as a run judges its own.

The action's answer is checked against the oracle's verdict on the request that got it
(`check_answer`: status, error shape, schema, format, echo); a neighbour's against what the
reference requires of its answer (`check_neighbour`). Breaking the seed or a field the
reference marks Required is a violation; an assumption or an Optional field, a finding; a
throttle or a backend hiccup, neither. An answer to a request whose parameters could not
be read (REQ-2) is judged for its shape only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from harness.checks.request import RequestReport, check_request
from harness.checks.response import CheckResult, check_answer, check_neighbour, check_status
from harness.checks.traffic import Captured
from harness.contract.account import Account
from harness.contract.model import ACTION, Params
from harness.contract.oracle import Outcome
from harness.contract.probe import Probe
from harness.contract.wire import ACTION_PATH, decode
from harness.core.errors import Finding

__all__ = ["ACCOUNT_UNKNOWN", "AnswerReport", "TrafficReport", "judge_answer", "judge_traffic"]

ACCOUNT_UNKNOWN = "TRAFFIC-account-unknown"
"""The finding id of a verdict that rests on account state a capture does not show."""


@dataclass(frozen=True)
class AnswerReport:
    """What one captured answer got right and wrong."""

    captured: Captured
    result: CheckResult
    note: str = ""
    """Why the answer was judged less than fully (its request's parameters are unknown)."""

    @property
    def ok(self) -> bool:
        """No violation (findings and hiccups do not count against the service)."""
        return self.result.ok

    def as_dict(self) -> dict[str, Any]:
        """The judgment as `check-traffic --format json` prints it."""
        answer = self.captured.answer
        return {
            "request": self.captured.request.label, "action": self.captured.action,
            "status": answer.status if answer is not None else None,
            "keeps_contract": self.ok, "transient": self.result.transient,
            "body_captured": self.captured.body_captured,
            "note": self.note or None,
            "violations": [{"rule": v.rule, "path": v.path, "check": v.check,
                            "message": v.message} for v in self.result.violations],
            "findings": [{"cases": list(f.cases), "message": f.message}
                         for f in self.result.findings],
        }

    def lines(self) -> list[str]:
        """One line for the answer, then one per violation and finding."""
        status = self.captured.answer.status if self.captured.answer is not None else 0
        kind = ("a transient failure (throttle or hiccup), not judged" if self.result.transient
                else "keeps the contract" if self.ok
                else f"{len(self.result.violations)} violation(s)")
        head = f"  answer {status} to {self.captured.action}: {kind}"
        out = [head + (f" ({self.note})" if self.note else "")]
        out.extend(f"    violation [{v.rule or '-'}] {v.path or '(body)'}: {v.message}"
                   for v in self.result.violations)
        out.extend(f"    finding   [{', '.join(f.cases)}] {f.message}"
                   for f in self.result.findings)
        return out


def _params(captured: Captured) -> Params:
    request = captured.request
    params = decode(request.query)
    content_type = (request.header("Content-Type") or "").lower()
    if request.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        params += decode(request.body)
    return params


def _format(params: Params) -> str:
    value = next((v for k, v in params if k == "responseFormatType"), None)
    return "json" if value == "json" else "xml"


def judge_answer(captured: Captured, report: RequestReport | None,
                 account: Account | Callable[[Params], Account]) -> AnswerReport:
    """Judge one captured answer; `report` is the check of its request (the action only).

    A callable `account` is a guess made from each request (no --scenario): whether a
    request is valid then rests on account state the capture cannot show (its snapshots,
    their sizes and hypervisors, names in use), so a refusal of a request that looks valid
    is a finding, not the service's violation. An answer whose body was not captured is
    judged by its status alone (`check_status`).
    """
    answer = captured.answer
    if answer is None:
        raise ValueError("judge_answer needs a captured answer")
    params = _params(captured)
    if captured.action != ACTION or report is None or report.verdict is None:
        note = ("" if captured.action != ACTION
                else "its request's parameters could not be read; shape only")
        if not captured.body_captured:
            return AnswerReport(captured, check_status(None, None, answer), note)
        fmt = _format(params) if captured.action != ACTION else None
        return AnswerReport(captured, check_neighbour(captured.action, answer, fmt,
                                                      expect_success=False), note)
    verdict = report.verdict
    probe = Probe(params, "POST" if captured.request.method == "POST" else "GET",
                  captured.request.label, tuple(verdict.rules), raw=_raw(captured))
    chosen = account(params) if callable(account) else account
    result = (check_answer(probe, verdict, answer, chosen)
              if captured.body_captured else check_status(probe, verdict, answer))
    if result.stop is not None:  # the client's key, not the service, is refused
        result = CheckResult(findings=(Finding(("TRAFFIC-permission",), "the gateway refused"
                                               f" the client's key: {result.stop}",
                                               status=answer.status),))
    if callable(account) and verdict.outcome is Outcome.ACCEPT:
        result = _state_unknown(result)
    return AnswerReport(captured, result)


def _raw(captured: Captured) -> str:
    """The request's wire as captured (query, and a form body), for its encoding's sake."""
    request = captured.request
    body = request.body.decode("utf-8", "surrogateescape") if request.method == "POST" else ""
    return "&".join(part for part in (request.query, body) if part)


def _state_unknown(result: CheckResult) -> CheckResult:
    """A refusal of a request that looks valid, when the account is a guess: a finding."""
    refused = [v for v in result.violations
               if v.check == "status_agrees_with_oracle" and v.expected == 200]
    if not refused:
        return result
    notes = tuple(Finding((ACCOUNT_UNKNOWN,), f"{v.message}; whether the request was valid"
                          " rests on the account (its snapshots, their sizes and hypervisors,"
                          " names in use), which a capture does not show: give --scenario"
                          " to judge it", status=v.actual if isinstance(v.actual, int)
                          else None) for v in refused)
    return replace(result, violations=tuple(v for v in result.violations if v not in refused),
                   findings=(*result.findings, *notes))


@dataclass(frozen=True)
class TrafficReport:
    """Every request to the action checked, and every captured answer judged, in file order."""

    captured: tuple[Captured, ...]
    requests: tuple[RequestReport, ...]
    answers: tuple[AnswerReport, ...]

    @property
    def violating(self) -> int:
        """Requests that break the contract."""
        return sum(not r.ok for r in self.requests)

    @property
    def answers_violating(self) -> int:
        """Answers that break the contract."""
        return sum(not a.ok for a in self.answers)

    @property
    def hiccups(self) -> int:
        """Answers that were a throttle or a backend hiccup."""
        return sum(a.result.transient for a in self.answers)

    @property
    def not_captured(self) -> int:
        """Answers whose body the capture left out (judged by their status alone)."""
        return sum(not a.captured.body_captured for a in self.answers)

    def as_dict(self) -> dict[str, Any]:
        """Counts, then every request and answer (`check-traffic --format json`)."""
        return {"checked": len(self.requests), "violating": self.violating,
                "answers": len(self.answers), "answers_violating": self.answers_violating,
                "service_hiccups": self.hiccups, "answers_not_captured": self.not_captured,
                "requests": [r.as_dict() for r in self.requests],
                "responses": [a.as_dict() for a in self.answers]}

    def summary(self, skipped: int) -> str:
        """The last line of the text report: what was checked and judged, what broke."""
        hiccups = f", {self.hiccups} service hiccup(s)" if self.hiccups else ""
        if self.not_captured:
            hiccups += (f", {self.not_captured} answer(s) not captured (no body in the file:"
                        " status judged only)")
        return (f"{len(self.requests)} request(s) to {ACTION_PATH} checked,"
                f" {self.violating} break the contract; {len(self.answers)} answer(s)"
                f" judged, {self.answers_violating} break it{hiccups};"
                f" {skipped} other entr{'y' if skipped == 1 else 'ies'} skipped")

    def lines(self) -> list[str]:
        """Each entry in file order: its request's check, then its answer's."""
        requests = {id(r.request): r for r in self.requests}
        answers = {id(a.captured.request): a for a in self.answers}
        out: list[str] = []
        for entry in self.captured:
            report = requests.get(id(entry.request))
            out.extend(report.lines() if report is not None
                       else [f"{entry.request.title}: a neighbour action"])
            if id(entry.request) in answers:
                out.extend(answers[id(entry.request)].lines())
        return out


def judge_traffic(captured: list[Captured], account: Account | Callable[[Params], Account],
                  secret_for: Callable[[str], str | None]) -> TrafficReport:
    """Check each request to the action, and judge each answer the file holds."""
    requests: list[RequestReport] = []
    answers: list[AnswerReport] = []
    for entry in captured:
        report = None
        if entry.action == ACTION:
            report = check_request(entry.request, account, secret_for=secret_for)
            requests.append(report)
        if entry.answer is not None:
            answers.append(judge_answer(entry, report, account))
    return TrafficReport(tuple(captured), tuple(requests), tuple(answers))
