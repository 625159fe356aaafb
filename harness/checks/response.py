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
from harness.contract.wire import encoding_problem
from harness.core.answer import Answer
from harness.core.errors import Finding, UnreadableBody, Violation
from harness.core.gateway import (
    TOO_LARGE,
    TRANSIENT,
    gateway_code,
    is_hiccup,
    is_transient,
    permission_denied,
    refused_by_gateway,
)
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
    "check_status",
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
    stop: str | None = None
    """The gateway said the key may not call the action (401/210, 403/230): a configuration
    error that ends the run, not a verdict on the service (harness.core.gateway)."""

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


def check_answer(probe: Probe, verdict: Verdict, answer: Answer, account: Account, *,
                 may_create: bool = False) -> CheckResult:
    """Every check of one createServerImageFromSnapshot exchange.

    `may_create`: the key has been seen to create in this run, so a permission denial is
    the service's inconsistency, judged like any answer, not a configuration error.
    """
    early = _before_the_body(probe, verdict, answer, may_create=may_create)
    if early is not None:
        return early
    out: list[Violation] = []
    findings: list[Finding] = []
    ran: list[tuple[str, str]] = [("SEED-S5", "not_a_server_error")]
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


def _before_the_body(probe: Probe, verdict: Verdict, answer: Answer, *,
                     may_create: bool) -> CheckResult | None:
    """The answers judged before their body is read: the gateway's, 5xx, broken wire's.

    Transient answers are no judgment; a permission denial stops the run (unless the key
    was seen to create); a 5xx is SEED-S5; wire whose encoding is broken is a finding
    whatever the answer (short of 5xx); the gateway's own refusal of a request the oracle
    rejects (400/100, 413/430) is a refusal, whatever its body. None: read the body.
    """
    if is_transient(answer):
        return CheckResult(transient=True)  # throttling and gateway outages are not the contract's
    denied = None if may_create else permission_denied(answer, ACTION)
    if denied is not None:
        return CheckResult(stop=denied)
    ran: list[tuple[str, str]] = [("SEED-S5", "not_a_server_error")]
    if answer.status >= 500:
        return CheckResult((_v("SEED-S5", "not_a_server_error",
                               f"the service answered {answer.status} to {probe.label}",
                               expected="< 500", actual=answer.status),), ran=tuple(ran))
    broken = encoding_problem(probe.raw) if probe.raw is not None else None
    if broken is not None:  # how such wire is read is nobody's to say: no 5xx is all we ask
        try:  # the body still says whether an image was made (names in use, custody)
            body = parse_body(answer.body, action=ACTION)
        except UnreadableBody:
            body = None
        return CheckResult(findings=(_malformed(answer, broken),), body=body, ran=tuple(ran))
    if verdict.outcome is Outcome.REJECT and (answer.status in TOO_LARGE
                                              or refused_by_gateway(answer) is not None):
        ran.extend((counted, "status_agrees_with_oracle")
                   for counted in _status_rules(probe, verdict))
        return CheckResult(ran=tuple(ran))  # refused by the gateway before the Server API saw it
    return None


def _malformed(answer: Answer, problem: str) -> Finding:
    """What the service did with wire whose encoding is broken: a finding, whatever it was."""
    row = gateway_code(answer)
    what = ("accepted it" if answer.status == 200 else
            f"answered {answer.status}" + (f" (the API Gateway's {row.code} {row.message})"
                                           if row is not None else ""))
    return Finding(("REF-malformed-encoding",), f"{problem}; the service {what}",
                   status=answer.status)


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
        detail, row = "", gateway_code(answer)
        if row is not None:
            detail = f"the API Gateway's {row.code} {row.message}"
        elif body is not None and isinstance(body.inner, dict):
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
    denied = permission_denied(answer, action) if expect_success else None
    if denied is not None:
        return CheckResult(stop=denied)
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


NOT_CAPTURED = "TRAFFIC-not-captured"
"""The finding id of an answer whose body a capture left out."""


def check_status(probe: Probe | None, verdict: Verdict | None, answer: Answer) -> CheckResult:
    """An answer whose body was not captured, judged by what its status alone proves.

    HAR 1.2 leaves `content.text` out when the body is not available. A 5xx but 500 is
    SEED-S5; an invalid request accepted, or a valid one refused, breaks the status check.
    What only the body could tell is a finding: a 500 (a hiccup's returnCode 1000, or a
    server error), a 401 or 403 (the gateway's auth or permission), and everything of the
    body's shape. A throttle or outage status is transient.
    """
    status = answer.status
    said = ("the capture holds no body for this answer (content.text left out, as HAR 1.2"
            " allows when it is not available); only its status was judged")
    if status in (500, 401, 403):
        said += f": a {status} without its body cannot be told apart (" + (
            "a hiccup, returnCode 1000, or a server error)" if status == 500 else
            "the gateway's authentication or permission error)")
    note = Finding((NOT_CAPTURED,), said, status=status)
    ran: list[tuple[str, str]] = [("SEED-S5", "not_a_server_error")]
    if status in TRANSIENT:
        return CheckResult(findings=(note,), transient=True)
    if status > 500:
        return CheckResult((_v("SEED-S5", "not_a_server_error", f"the service answered {status}"
                               " (its body was not captured)", expected="< 500",
                               actual=status),), (note,), ran=tuple(ran))
    if (status in (500, 401, 403) or probe is None or verdict is None
            or verdict.outcome is Outcome.UNSPECIFIED):
        return CheckResult(findings=(note,), ran=tuple(ran))
    ran.extend((rule, "status_agrees_with_oracle") for rule in _status_rules(probe, verdict))
    rule = probe.rules[0] if probe.rules else None
    if verdict.outcome is Outcome.ACCEPT and status != 200:
        return CheckResult((_v(rule, "status_agrees_with_oracle", f"a valid request"
                               f" ({probe.label}) was refused with {status} (its body was not"
                               " captured)", expected=200, actual=status),), (note,),
                           ran=tuple(ran))
    if verdict.outcome is Outcome.REJECT and not 400 <= status < 500:
        breach = verdict.breaches[0]
        return CheckResult((_v(breach.rule, "status_agrees_with_oracle", f"an invalid request"
                               f" was answered {status}: {breach.message}", path=breach.path,
                               expected="4xx", actual=status, clause=breach.clause),),
                           (note,), ran=tuple(ran))
    return CheckResult(findings=(note,), ran=tuple(ran))


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
