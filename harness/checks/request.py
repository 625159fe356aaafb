"""Check one request a client sent against the contract: REQ-1..REQ-5 and the seed's rules.

A client keeps the contract when its request has the right method and path (REQ-1), puts
its parameters where the service reads them (REQ-2), percent-encodes them (REQ-3), flattens
`blockStorageList` the SDKs' way (REQ-4), is signed (REQ-5), and asks for something the
oracle accepts (SEED-R1..R11). A breach is a `Violation` naming the request, the key and the
rule; where the seed is silent (U1..U10, UH1..UH4) or the client takes a documented liberty
(the Go SDK's `-v1` signature header) the report carries a finding instead, never a failure.

No message quotes an access key, a secret or a signature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from harness.contract.account import Account, Snapshot
from harness.contract.keys import parse_entry_key
from harness.contract.model import Params
from harness.contract.oracle import Outcome, Verdict, judge
from harness.contract.rules import ENTRY_FIELDS, LIST_PREFIX, rule_sort_key
from harness.contract.wire import ACTION_PATH, decode
from harness.core.errors import Finding, Violation
from harness.core.scrub import is_redacted
from harness.core.signing import (
    ACCESS_KEY_HEADER,
    SIGNATURE_V1,
    SIGNATURE_V2,
    TIMESTAMP_HEADER,
    verify,
)

__all__ = [
    "ClientRequest",
    "RequestReport",
    "assumed_account",
    "check_request",
]

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_RAW_ALLOWED = re.compile(r"[A-Za-z0-9\-._~%+=&!$'()*,;:@/?]*", re.ASCII)
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class ClientRequest:
    """One request as a client sent it: method, full URL, headers, body, when, and a label."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    sent_ms: int | None = None
    """When it was sent (epoch milliseconds), for the timestamp check; None: unknown."""
    label: str = "request"
    """How messages name it: `request 3`, `traffic.har entry 5`."""

    @property
    def path(self) -> str:
        """The URL's path."""
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        """The URL's raw query, exactly as sent."""
        return urlsplit(self.url).query

    def header(self, name: str) -> str | None:
        """The first header of that name, case-insensitively, or None."""
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)

    @property
    def title(self) -> str:
        """`request 3 (POST /vserver/v2/createServerImageFromSnapshot)`."""
        return f"{self.label} ({self.method} {self.path or '/'})"


@dataclass(frozen=True)
class RequestReport:
    """What one request got right and wrong."""

    request: ClientRequest
    violations: tuple[Violation, ...]
    findings: tuple[Finding, ...]
    verdict: Verdict | None
    """The oracle's verdict on the parameters; None when they could not be read (REQ-2)."""

    @property
    def ok(self) -> bool:
        """No violation (findings do not count against the client)."""
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        """The report as `check-traffic --format json` prints it."""
        return {
            "request": self.request.label, "method": self.request.method,
            "path": self.request.path, "conforms": self.ok,
            "violations": [{"rule": v.rule, "path": v.path, "check": v.check,
                            "message": v.message} for v in self.violations],
            "findings": [{"cases": list(f.cases), "path": f.path, "message": f.message}
                         for f in self.findings],
        }

    def lines(self) -> list[str]:
        """The report as text: a title line, then one line per violation and finding."""
        head = "conforms" if self.ok else f"{len(self.violations)} violation(s)"
        out = [f"{self.request.title}: {head}"]
        prefix = f"{self.request.title}: "
        out.extend(f"  violation {str(v).replace(prefix, '', 1)}" for v in self.violations)
        out.extend(f"  finding   {f}" for f in self.findings)
        return out


def assumed_account(params: Params) -> Account:
    """An account in which every snapshot and region the request names exists and fits.

    For traffic captured elsewhere the account is unknown: the rules that depend on it
    (SEED-R1 region list, R5 existence and bootability, R7 snapshot size, R11 hypervisor,
    U10 names in use) are taken to hold, and only the request's own shape is judged.
    """
    numbers = sorted({v for k, v in params if k.endswith(".snapshotInstanceNo") and v})
    regions = tuple(dict.fromkeys(v for k, v in params if k == "regionCode" and v)) or ("KR",)
    snapshots = tuple(Snapshot(instance_no=n, size_bytes=0, bootable=True) for n in numbers)
    return Account(snapshots=snapshots, regions=regions, home_region=regions[0])


def check_request(
    request: ClientRequest,
    account: Account | Callable[[Params], Account] = assumed_account,
    *,
    secret_for: Mapping[str, str] | Callable[[str], str | None] | None = None,
) -> RequestReport:
    """Check one client request; `secret_for` maps access keys to secrets to verify REQ-5."""
    out: list[Violation] = []
    notes: list[Finding] = []
    _method_and_path(request, out)
    if request.method not in ("GET", "POST"):  # the gateway answers 405; nothing else counts
        return RequestReport(request, tuple(out), (), None)
    params = _parameters(request, out)
    _encoding(request, out, form_body=params is not None and request.method == "POST")
    _signature(request, secret_for, out, notes)
    verdict = None
    if params is not None:
        _list_keys(request, params, out)
        chosen = account(params) if callable(account) else account
        verdict = judge(params, chosen)
        if verdict.outcome is Outcome.REJECT:
            out.extend(_v(request, b.rule, "request_valid", b.path, b.message)
                       for b in verdict.breaches)
        notes.extend(Finding((c.case,), c.message, c.path) for c in verdict.open_cases)
    if any(v.rule == "REQ-4" for v in out):  # the client's fault already says it all
        notes = [n for n in notes if n.cases != ("U7",)]
    out.sort(key=lambda v: rule_sort_key(v.rule or ""))
    return RequestReport(request, tuple(out), tuple(notes), verdict)


def _v(request: ClientRequest, rule: str, check: str, key: str, message: str) -> Violation:
    return Violation(rule=rule, check=check, message=f"{request.title}: {message}", path=key)


def _method_and_path(request: ClientRequest, out: list[Violation]) -> None:
    if request.method not in ("GET", "POST"):
        out.append(_v(request, "REQ-1", "request_method", "method",
                      f"{request.method[:20]!r} is not GET or POST"))
    if request.path != ACTION_PATH:
        out.append(_v(request, "REQ-1", "request_method", "path",
                      f"the path is {request.path[:200]!r}; the action lives at {ACTION_PATH}"))


def _parameters(request: ClientRequest, out: list[Violation]) -> Params | None:
    """The parameters the service reads: the query, plus a POST's form body (REQ-2)."""
    params = decode(request.query)
    if not request.body:
        return params
    if request.method != "POST":
        out.append(_v(request, "REQ-2", "request_transport", "body",
                      f"a {request.method} carries a {len(request.body)}-byte body; the"
                      " service reads only the query, so what the body holds is lost"))
        return params
    content_type = request.header("Content-Type")
    if content_type is None:
        out.append(_v(request, "REQ-2", "request_transport", "Content-Type",
                      f"the POST body has no Content-Type; send {_FORM}"))
        return None
    if not content_type.lower().startswith(_FORM):
        out.append(_v(request, "REQ-2", "request_transport", "Content-Type",
                      f"the POST body is {content_type[:80]!r}; the service reads only a"
                      f" {_FORM} body, so its parameters are lost"))
        return None
    return params + decode(request.body)


def _encoding(request: ClientRequest, out: list[Violation], *, form_body: bool) -> None:
    places = [("query", request.query)]
    if form_body and request.body:
        places.append(("body", request.body.decode("latin-1")))
    for where, raw in places:
        for segment in raw.split("&"):
            key_raw = segment.partition("=")[0]
            key = _shown_key(key_raw)
            if not _RAW_ALLOWED.fullmatch(segment):
                bad = next(ch for ch in segment if not _RAW_ALLOWED.fullmatch(ch))
                out.append(_v(request, "REQ-3", "request_encoding", key,
                              f"the {where} carries a raw {bad!r} (U+{ord(bad):04X});"
                              " percent-encode it"))
            elif _BAD_ESCAPE.search(segment):
                out.append(_v(request, "REQ-3", "request_encoding", key,
                              f"the {where} has a '%' not followed by two hex digits"))
            elif not _utf8(segment):
                out.append(_v(request, "REQ-3", "request_encoding", key,
                              f"the {where}'s percent-escapes do not decode as UTF-8"))


def _shown_key(raw: str) -> str:
    try:
        return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")[:100]
    except UnicodeDecodeError:
        return raw[:100]


def _utf8(segment: str) -> bool:
    try:
        unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _list_keys(request: ClientRequest, params: Params, out: list[Violation]) -> None:
    indexes: set[int] = set()
    labels: set[str] = set()
    for key, _ in params:
        if not key.startswith(LIST_PREFIX):
            continue
        parsed = parse_entry_key(key)
        if parsed is not None:
            labels.add(parsed.label)  # every entry the client meant, a 0 or a junk N too
        if parsed is None or parsed.index is None or not parsed.well_formed:
            out.append(_v(request, "REQ-4", "request_list_keys", key,
                          f"{key[:100]!r} is not {LIST_PREFIX}.N.field with N = 1, 2, 3,"
                          f" ... (fields: {', '.join(ENTRY_FIELDS)})"))
            continue
        indexes.add(parsed.index)
    entries = max(len(labels), len(indexes))
    if indexes and sorted(indexes) != list(range(1, entries + 1)):
        out.append(_v(request, "REQ-4", "request_list_keys", f"{LIST_PREFIX}.N",
                      f"the list indexes are {sorted(labels, key=_by_number)[:25]}; number"
                      f" the {entries} entr{'y' if entries == 1 else 'ies'} 1 to {entries}"
                      " with no gap"))


def _by_number(label: str) -> tuple[int, str]:
    return (int(label), "") if label.isdigit() and len(label) < 10 else (10**10, label)


def _signature(
    request: ClientRequest,
    secret_for: Mapping[str, str] | Callable[[str], str | None] | None,
    out: list[Violation],
    notes: list[Finding],
) -> None:
    """REQ-5 by the gateway's own check (`signing.verify`), at the time the request was sent."""
    lookup: Callable[[str], str | None] = (
        (lambda _: None) if secret_for is None
        else secret_for.get if isinstance(secret_for, Mapping) else secret_for)
    redacted = [name for name in (TIMESTAMP_HEADER, ACCESS_KEY_HEADER, SIGNATURE_V2, SIGNATURE_V1)
                if (value := request.header(name)) is not None and is_redacted(value)]
    if redacted:  # a recording's redaction is not the client's mistake: it cannot be checked
        notes.append(Finding(("REQ-5",), path=redacted[0],
                             message=f"the signature was not verified: {', '.join(redacted)}"
                             " redacted in the recording"))
        return
    stamp = request.header(TIMESTAMP_HEADER) or ""
    sent = request.sent_ms if request.sent_ms is not None else (
        int(stamp) if stamp.isascii() and stamp.isdigit() and len(stamp) <= 15 else 0)
    result = verify(dict(request.headers), request.method, request.url, lookup, now_ms=sent)
    v2 = request.header(SIGNATURE_V2)
    if result.problem == "missing":
        first = next(name for name in (TIMESTAMP_HEADER, ACCESS_KEY_HEADER, SIGNATURE_V2)
                     if not (request.header(name) or (name == SIGNATURE_V2
                                                      and request.header(SIGNATURE_V1))))
        out.append(_v(request, "REQ-5", "request_signature", first,
                      f"{result.reason}; the gateway answers 401"))
        return
    if request.header(SIGNATURE_V1) and not v2:
        notes.append(Finding(("REQ-5",), path=SIGNATURE_V1,
                             message=f"the signature travels as {SIGNATURE_V1}, the Go SDK's"
                             f" name; the docs name {SIGNATURE_V2}, and the gateway takes both"))
    if result.problem in ("timestamp", "stale"):
        out.append(_v(request, "REQ-5", "request_signature", TIMESTAMP_HEADER,
                      f"{result.reason} when the request was sent"))
    elif result.problem == "unknown_key":
        notes.append(Finding(("REQ-5",), path=ACCESS_KEY_HEADER,
                             message="the signature was not verified: no secret key is known"
                             " for the access key it names (check-traffic: give --scenario, or"
                             " set NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY)"))
    elif result.problem == "mismatch":
        out.append(_v(request, "REQ-5", "request_signature", SIGNATURE_V2 if v2 else SIGNATURE_V1,
                      f"{result.reason}: sign METHOD, path and query exactly as sent"))
