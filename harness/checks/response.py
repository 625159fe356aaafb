"""Checks: whether one answer keeps the contract, given the oracle's verdict on its request.

Pure functions over a probe, its verdict, the account and the answer. Each returns the
violations (definite breaches of the contract, each with rule, check, expected, actual)
and the findings (what the service did where the seed is silent). Only violations fail a
run. The checks:

* not_a_server_error       never 5xx, whatever was sent (SEED-S5)
* status_agrees_with_oracle accept -> 200; reject -> 4xx; unspecified -> a finding
* error_body_shape         a reject's body is a `responseError` (SEED-S5)
* response_schema          bodies match the OpenAPI schemas, JSON or XML (SEED-S1..S4)
* format_matches_request   body and Content-Type in the asked format, XML by default (SEED-S6)
* echo                     the image echoes the request: name, description, one mapping per
                           storage with its order, size in bytes, type, snapshot (SEED-S3/S4)
* auth_failure_is_401      a bad signature gets 401 with the gateway error body
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.contract.account import GIB, Account
from harness.contract.model import ACTION
from harness.contract.oracle import Outcome, Verdict
from harness.contract.probe import Probe
from harness.contract.reading import read
from harness.contract.reference import differences
from harness.contract.rulebook import View
from harness.core.answer import TOO_LARGE, Answer, is_hiccup, is_transient
from harness.core.errors import Finding, UnreadableBody, Violation
from harness.core.xmlcodec import xml_safe
from harness.spec.body import ParsedBody, parse_body

__all__ = [
    "CHECKS",
    "TOO_LARGE",
    "Answer",
    "CheckResult",
    "Finding",
    "check_answer",
    "check_auth_failure",
    "check_neighbour",
    "is_hiccup",
    "is_transient",
    "reference_findings",
    "xml_comparable",
]

CHECKS = ("not_a_server_error", "status_agrees_with_oracle", "error_body_shape",
          "response_schema", "format_matches_request", "echo", "auth_failure_is_401")

_TYPES = {"json": ("application/json",), "xml": ("application/xml", "text/xml")}


@dataclass(frozen=True)
class CheckResult:
    """The violations and findings of one exchange, and the checks that ran on it."""

    violations: tuple[Violation, ...] = ()
    findings: tuple[Finding, ...] = ()
    body: ParsedBody | None = field(default=None, compare=False)
    transient: bool = False
    ran: tuple[tuple[str, str], ...] = ()
    """(rule, check) of every check that ran, each recorded where it runs: the per-rule
    counts of the report, junit and HTML come from here, never from a second tree."""

    @property
    def ok(self) -> bool:
        """No violation."""
        return not self.violations


def _v(rule: str | None, check: str, message: str, *, path: str = "", expected: Any = None,
       actual: Any = None, clause: str | None = None) -> Violation:
    return Violation(rule=rule, check=check, message=message, path=path, expected=expected,
                     actual=actual, clause=clause)


def _parse(answer: Answer, out: list[Violation], action: str = ACTION) -> ParsedBody | None:
    try:
        return parse_body(answer.body, action=action)
    except UnreadableBody as exc:
        out.append(_v("SEED-S1" if answer.status == 200 else "SEED-S5", "response_schema",
                      exc.violations[0].message, actual=exc.head))
        return None


def _format_checks(probe: Probe, answer: Answer, body: ParsedBody | None,
                   out: list[Violation]) -> None:
    wanted = probe.response_format
    rule = "SEED-R10" if wanted == "json" else "SEED-S6"
    content_type = answer.header("Content-Type").split(";")[0].strip().lower()
    if content_type not in _TYPES[wanted]:
        out.append(_v(rule, "format_matches_request",
                      f"Content-Type is {content_type or 'absent'!r} for a {wanted} answer",
                      expected=" or ".join(_TYPES[wanted]), actual=content_type or None))
    if body is not None and body.format != wanted:
        out.append(_v(rule, "format_matches_request",
                      f"the body is {body.format.upper()} but {wanted.upper()} was asked for"
                      + ("" if wanted == "json" else " (XML is the default)"),
                      expected=wanted, actual=body.format))


def check_answer(probe: Probe, verdict: Verdict, answer: Answer,
                 account: Account) -> CheckResult:
    """Every check of one createServerImageFromSnapshot exchange."""
    if is_transient(answer):
        return CheckResult(transient=True)  # throttling and gateway outages are not the contract's
    out: list[Violation] = []
    findings: list[Finding] = []
    ran: list[tuple[str, str]] = [("SEED-S5", "not_a_server_error")]
    if answer.status >= 500:
        out.append(_v("SEED-S5", "not_a_server_error",
                      f"the service answered {answer.status} to {probe.label}",
                      expected="< 500", actual=answer.status))
        return CheckResult(tuple(out), ran=tuple(ran))
    if answer.status in TOO_LARGE and verdict.outcome is Outcome.REJECT:
        return CheckResult(ran=tuple(ran))  # refused by the gateway before the Server API saw it
    body = _parse(answer, out)
    findings.extend(reference_findings(body, answer.status))
    if verdict.outcome is Outcome.UNSPECIFIED:
        what = "accepted it" if answer.status == 200 else f"answered {answer.status}"
        message = (body.inner.get("returnMessage", "") if body is not None
                   and isinstance(body.inner, dict) else "")
        findings.append(Finding(verdict.cases, f"the service {what}"
                                + (f": {message}" if message else ""), status=answer.status))
        return CheckResult(tuple(out), tuple(findings), body, ran=tuple(ran))
    checks = _Checks(out, findings, ran)
    if verdict.outcome is Outcome.ACCEPT:
        _accepted(probe, verdict, answer, account, body, checks)
    else:
        _rejected(probe, verdict, answer, body, checks)
    return CheckResult(tuple(out), tuple(findings), body, ran=tuple(ran))


@dataclass(frozen=True)
class _Checks:
    """Where the checks of one answer put what they find, and say that they ran."""

    out: list[Violation]
    findings: list[Finding]
    ran: list[tuple[str, str]]

    def run(self, rule: str, check: str) -> None:
        self.ran.append((rule, check))


def _status_rules(probe: Probe, verdict: Verdict) -> list[str]:
    """The rules the status check counts under: the probe's seed rules, else a reject's first."""
    return [r for r in probe.rules if r.startswith("SEED-R")] or (
        list(verdict.rules[:1]) if verdict.outcome is Outcome.REJECT else [])


def _body_checks(probe: Probe, answer: Answer, body: ParsedBody, checks: _Checks) -> None:
    checks.run("SEED-R10" if probe.response_format == "json" else "SEED-S6",
               "format_matches_request")
    _format_checks(probe, answer, body, checks.out)
    checks.run("SEED-S1", "response_schema")
    checks.out.extend(body.problems)


def _accepted(probe: Probe, verdict: Verdict, answer: Answer, account: Account,
              body: ParsedBody | None, checks: _Checks) -> None:
    rule = probe.rules[0] if probe.rules else None
    for counted in _status_rules(probe, verdict):
        checks.run(counted, "status_agrees_with_oracle")
    if answer.status != 200:
        detail = ""
        if body is not None and isinstance(body.inner, dict):
            detail = str(body.inner.get("returnMessage") or body.inner.get("message") or "")
        checks.out.append(_v(rule, "status_agrees_with_oracle",
                             f"a valid request ({probe.label}) was refused with {answer.status}"
                             + (f": {detail}" if detail else ""), expected=200,
                             actual=answer.status))
        return
    if body is None:
        return
    _body_checks(probe, answer, body, checks)
    if body.kind != "success":
        checks.out.append(_v("SEED-S1", "response_schema",
                             f"a 200 answer wraps {body.root!r}, not {ACTION}Response",
                             expected=f"{ACTION}Response", actual=body.root))
        return
    checks.run("SEED-S3", "echo")
    view = verdict.view or View.of(read(probe.params)[0][0], account)  # a verdict made by hand
    _echo(view, body, checks.out, checks.findings)


def _rejected(probe: Probe, verdict: Verdict, answer: Answer, body: ParsedBody | None,
              checks: _Checks) -> None:
    # The rule the probe was built to break, when the oracle confirms it is broken: an R6
    # breaker also breaks R5 or R8, and the service that let it through missed R6.
    rule = next((r for r in probe.rules if r in verdict.rules), verdict.rules[0])
    for counted in _status_rules(probe, verdict):
        checks.run(counted, "status_agrees_with_oracle")
    if not 400 <= answer.status < 500:
        breach = next((b for b in verdict.breaches if b.clause == probe.clause), None) or next(
            b for b in verdict.breaches if b.rule == rule)  # the clause it was built to break
        checks.out.append(_v(rule, "status_agrees_with_oracle",
                             f"an invalid request was answered {answer.status}: {breach.message}",
                             path=breach.path, expected="4xx", actual=answer.status,
                             clause=breach.clause))
        return
    if body is None:
        return
    checks.run("SEED-S5", "error_body_shape")
    if body.kind != "error":
        checks.out.append(_v("SEED-S5", "error_body_shape",
                             f"a {answer.status} for an invalid request carries {body.root!r},"
                             " not responseError", expected="responseError", actual=body.root))
        return
    _body_checks(probe, answer, body, checks)


def _echo(view: View, body: ParsedBody, out: list[Violation], findings: list[Finding]) -> None:
    inner = body.inner
    images = inner.get("serverImageList")
    if not isinstance(images, list):
        return  # the schema check has already said so
    if inner.get("totalRows") != len(images):
        out.append(_v("SEED-S2", "echo", "totalRows differs from the length of serverImageList",
                      path="totalRows", expected=len(images), actual=inner.get("totalRows")))
    if len(images) != 1:
        out.append(_v("SEED-S2", "echo", "a create must answer with exactly the new image",
                      path="serverImageList", expected=1, actual=len(images)))
        return
    image = images[0]
    reading = view.reading
    name = reading.top.get("serverImageName")
    if image.get("serverImageName") != name:
        out.append(_v("SEED-S3", "echo", "the image's name is not the name sent",
                      path="serverImageList[0].serverImageName", expected=name,
                      actual=image.get("serverImageName")))
    description = reading.top.get("serverImageDescription")
    if description and body.format == "xml" and description != xml_comparable(description):
        findings.append(Finding(("SEED-S3",), "the description holds characters XML 1.0"
                                " cannot carry (controls, CR); its echo was not compared",
                                path="serverImageList[0].serverImageDescription", status=200))
    elif description:
        echoed = image.get("serverImageDescription")
        if echoed is None:
            findings.append(Finding(("SEED-S3",), "the image does not carry"
                                    " serverImageDescription (the seed does not list it)",
                                    path="serverImageList[0]", status=200))
        elif echoed != description:
            out.append(_v("SEED-S3", "echo", "the image's description is not the one sent",
                          path="serverImageList[0].serverImageDescription",
                          expected=description, actual=echoed))
    _echo_mappings(view, image.get("blockStorageMappingList"), out)


def _echo_mappings(view: View, mappings: Any, out: list[Violation]) -> None:
    if not isinstance(mappings, list):
        return
    sent = {s.order: s for s in view.storages if s.order is not None}
    got = {m.get("order"): m for m in mappings if isinstance(m, dict)}
    where = "serverImageList[0].blockStorageMappingList"
    if sorted(sent) != sorted(k for k in got if isinstance(k, int)) or len(mappings) != len(sent):
        out.append(_v("SEED-S4", "echo", "one mapping per requested storage, by order",
                      path=where, expected=sorted(sent), actual=[m.get("order") for m in
                                                                 mappings if isinstance(m, dict)]))
        return
    for order, storage in sent.items():
        mapping = got[order]
        at = f"{where}[order={order}]"
        size = storage.entry.fields.get("blockStorageSize")
        if size and size.isdigit() and mapping.get("blockStorageSize") != int(size) * GIB:
            out.append(_v("SEED-S4", "echo", f"size of order {order} is not {size} GB in bytes",
                          path=f"{at}.blockStorageSize", expected=int(size) * GIB,
                          actual=mapping.get("blockStorageSize")))
        vtype = storage.volume_type
        got_type = (mapping.get("blockStorageVolumeType") or {}).get("code") if isinstance(
            mapping.get("blockStorageVolumeType"), dict) else None
        if vtype and got_type != vtype:
            out.append(_v("SEED-S4", "echo", f"volume type of order {order} is not the one sent",
                          path=f"{at}.blockStorageVolumeType.code", expected=vtype,
                          actual=got_type))
        if storage.kind in ("base", "attach") and storage.snapshot_no:
            got_snap = mapping.get("blockStorageSnapshotInstanceNo")
            if got_snap is None or str(got_snap) != storage.snapshot_no:
                out.append(_v("SEED-S4", "echo",
                              f"snapshot of order {order} is not the one sent",
                              path=f"{at}.blockStorageSnapshotInstanceNo",
                              expected=storage.snapshot_no, actual=got_snap))


def check_neighbour(action: str, answer: Answer, fmt: str | None, *,
                    expect_success: bool = True) -> CheckResult:
    """A neighbour action's answer, judged by what the reference requires of it.

    A success must match the action's schema (violations for the seed's and the
    reference's Required constraints, findings for the rest) in the format asked (`fmt`;
    None: not known). With `expect_success`, the harness's own well-formed call, anything
    but a 200 success is a violation; without it (traffic a client sent), an error answer
    need only be a well-formed error. Throttling and hiccups are transient, never judged.
    """
    if is_transient(answer):
        return CheckResult(transient=True)
    out: list[Violation] = []
    ran = (("SEED-S5", "not_a_server_error"), ("SEED-S2", "status_agrees_with_oracle"),
           ("SEED-S2", "response_schema"))
    if answer.status >= 500:
        out.append(_v("SEED-S5", "not_a_server_error", f"{action} answered {answer.status}",
                      expected="< 500", actual=answer.status))
        return CheckResult(tuple(out), ran=ran[:1])
    body = _parse(answer, out, action)
    if body is None:
        return CheckResult(tuple(out), ran=ran)
    success = answer.status == 200 and body.kind == "success"
    if not success and (expect_success or body.kind in {"success", "unknown"}):
        out.append(_v("SEED-S5", "status_agrees_with_oracle",
                      f"{action} answered {answer.status} ({body.root or 'no root'})",
                      expected=200 if expect_success else "200 or an error body",
                      actual=answer.status))
    elif fmt is not None and body.format != fmt and body.kind != "gateway_error":
        out.append(_v("SEED-R10" if fmt == "json" else "SEED-S6", "format_matches_request",
                      f"{action} answered {body.format}, not {fmt}", expected=fmt,
                      actual=body.format))
    out.extend(body.problems)
    return CheckResult(tuple(out), tuple(reference_findings(body, answer.status)), body, ran=ran)


def reference_findings(body: ParsedBody | None, status: int) -> list[Finding]:
    """Where the answer differs from the reference: findings, each citing its note.

    Codes the reference does not list, and breaches of the schema's lenient constraints
    (assumptions, fields the reference calls Optional; harness.spec.body).
    """
    if body is None:
        return []
    found = [*body.differences, *(differences(body.data) if body.kind == "success" else ())]
    return [Finding((d.note.id,), d.message, status=status) for d in found]


def xml_comparable(text: str) -> str:
    """What of `text` survives an XML round trip: no C0 controls, CR folded to LF."""
    return xml_safe(text.replace("\r\n", "\n").replace("\r", "\n"))


def check_auth_failure(answer: Answer, what: str) -> CheckResult:
    """A request with a missing, wrong or stale signature must get 401 and the gateway body."""
    out: list[Violation] = []
    ran = (("SEED-S5", "auth_failure_is_401"),)
    if is_transient(answer):  # a throttle, an outage, a hiccup: no judgment (sent again)
        return CheckResult(transient=True)
    if answer.status != 401:
        out.append(_v("SEED-S5", "auth_failure_is_401", f"{what} was answered {answer.status}",
                      expected=401, actual=answer.status))
        return CheckResult(tuple(out), ran=ran)
    body = _parse(answer, out)
    if body is not None and body.kind != "gateway_error":
        out.append(_v("SEED-S5", "auth_failure_is_401",
                      f"the 401 body wraps {body.root!r}, not the gateway's error",
                      expected="error", actual=body.root))
    elif body is not None:
        out.extend(body.problems)
    return CheckResult(tuple(out), (), body, ran=ran)
