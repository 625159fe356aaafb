"""Prove the key may create images without making one: a create that cannot succeed.

`preflight --check-create` (opt-in) sends one create request naming a snapshot the account's
inventory shows does not exist, under a fresh tagged name, asked in XML (the default
format), under custody like any run's create: written to the ledger before it is sent, and
settled from the account's listing afterwards (an image a faulty service made anyway is
found by its name and deleted). What the answer proves:

* a Server API refusal (4xx `responseError`): the key may create here, and the body is the
  service's real XML error shape, compared with the one the harness assumes
  (`<responseError><returnCode/><returnMessage/></responseError>`, ncp-api.md section 4);
* the gateway's 401/210 or 403/230: the key may not create here (harness.core.gateway);
* a throttle, an outage or a hiccup: nothing (said so);
* a success: the service accepted a snapshot that does not exist, a contract breach.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.contract.account import Account
from harness.contract.model import ACTION
from harness.contract.probe import Probe
from harness.contract.reference import ASSUMED_XML_ERROR
from harness.core.answer import Answer
from harness.core.errors import TargetError, TargetTimeout, UnreadableBody
from harness.core.gateway import gateway_code, is_transient, permission_denied
from harness.core.xmlcodec import xml_skeleton
from harness.custody.cleanup import CleanupReport, Waiting, settle
from harness.custody.keeper import Custody, new_record
from harness.custody.ledger import Ledger
from harness.spec.body import parse_body
from harness.targets.paging import every_row
from harness.targets.transport import HttpTarget

__all__ = ["ASSUMED_XML_ERROR", "CreateCheck", "check_create"]

Outcome = Literal["may-create", "may-not-create", "unknown", "accepted"]


@dataclass
class CreateCheck:
    """What the one impossible create proved."""

    outcome: Outcome
    status: int | None
    snapshot: str
    name: str
    said: str
    """One line for a person: what was sent and what it proves."""
    xml_shape: str = ""
    """The skeleton of the XML error body the service sent (element names only)."""
    xml_as_assumed: bool | None = None
    """Whether that skeleton is the assumed one (None: no XML error body came)."""
    cleanup: CleanupReport = field(default_factory=CleanupReport)

    @property
    def problem(self) -> str:
        """What stops a run (the key may not create), or an image left; empty when none."""
        if self.outcome == "may-not-create":
            return self.said
        left = {**self.cleanup.leaked, **self.cleanup.owed, **self.cleanup.possibly}
        if left:
            return ("the check-create request left image(s) on the account: "
                    + "; ".join(f"{number}: {why}" for number, why in left.items()))
        return ""

    def as_dict(self) -> dict[str, Any]:
        """For `preflight --format json`."""
        return {"outcome": self.outcome, "status": self.status, "snapshot": self.snapshot,
                "name": self.name, "said": self.said, "xml_error_shape": self.xml_shape or None,
                "xml_error_as_assumed": self.xml_as_assumed,
                "deleted": list(self.cleanup.deleted),
                "left": {**self.cleanup.leaked, **self.cleanup.owed, **self.cleanup.possibly}}


def check_create(target: HttpTarget, account: Account, *, region: str | None,
                 ledger: Ledger | None = None, waiting: Waiting | None = None) -> CreateCheck:
    """Send the impossible create, settle it from the account, and say what it proved."""
    snapshot = _absent_snapshot(target, account, region)
    name = f"pfc-{secrets.token_hex(4)}"
    params = ((("regionCode", region),) if region else ()) + (
        ("serverImageName", name), ("blockStorageList.1.order", "0"),
        ("blockStorageList.1.snapshotInstanceNo", snapshot))
    probe = Probe(params, "GET", "preflight:check-create", ("SEED-R5",))
    custody = Custody(new_record(target.endpoint, region or account.image_region,
                                 account.inventory, tag=name),
                      ledger=ledger, skew=target.skew)
    attempt = custody.begin(name, region or account.image_region, unique=True,
                            label=probe.label)
    answer: Answer | None = None
    try:
        answer = target.send(probe)
    except TargetTimeout:
        custody.no_answer(attempt)
    else:
        custody.answered(attempt, answer)
    report = settle(target, custody.state(), ledger, waiting=waiting or Waiting(seconds=60.0))
    if ledger is not None:
        ledger.release(custody.record.run)
    check = _judge(answer, snapshot, name)
    check.cleanup = report
    return check


def _absent_snapshot(target: HttpTarget, account: Account, region: str | None) -> str:
    """A snapshot number the inventory lists nowhere, confirmed by a filtered listing."""
    known = {s.instance_no for s in account.snapshots}
    digits = [int(n) for n in known if n.isdigit()]
    base = max(digits, default=100_000_000) + 7_919
    for step in range(5):
        candidate = str(base + step * 104_729)
        if candidate in known:
            continue
        filters = ((("regionCode", region),) if region else ()) + (
            ("blockStorageSnapshotInstanceNoList.1", candidate),)
        listed = every_row(target, "getBlockStorageSnapshotInstanceList",
                           "blockStorageSnapshotInstanceList",
                           lambda row: str(row.get("blockStorageSnapshotInstanceNo")),
                           params=filters, page_size=100)
        if listed.complete and not any(str(row.get("blockStorageSnapshotInstanceNo"))
                                       == candidate for row in listed.rows):
            return candidate
    raise TargetError("check-create: no snapshot number could be shown not to exist (the"
                      " snapshot list did not answer, or listed every number tried)")


def _judge(answer: Answer | None, snapshot: str, name: str) -> CreateCheck:
    sent = f"a create of snapshot {snapshot}, which the account does not have (name {name})"
    if answer is None:
        return CreateCheck("unknown", None, snapshot, name,
                           f"{sent} got no answer in time: create permission is not known")
    if is_transient(answer):
        return CreateCheck("unknown", answer.status, snapshot, name,
                           f"{sent} was answered {answer.status}, a throttle, an outage or a"
                           " hiccup: create permission is not known; try again later")
    denied = permission_denied(answer, ACTION)
    if denied is not None:
        return CreateCheck("may-not-create", answer.status, snapshot, name, denied)
    if 200 <= answer.status < 300:
        return CreateCheck("accepted", answer.status, snapshot, name,
                           f"{sent} was accepted ({answer.status}): the key may create, and"
                           " the service broke SEED-R5 (a snapshot that does not exist)")
    row = gateway_code(answer)
    if row is not None or not 400 <= answer.status < 500:
        what = f"the API Gateway's {row.code} {row.message}" if row is not None else "no verdict"
        return CreateCheck("unknown", answer.status, snapshot, name,
                           f"{sent} was answered {answer.status} ({what}): create permission"
                           " is not known")
    shape, assumed = _xml_shape(answer.body)
    return CreateCheck("may-create", answer.status, snapshot, name,
                       f"{sent} was refused with {answer.status} by the Server API: the key"
                       " may create images here", shape, assumed)


def _xml_shape(body: bytes) -> tuple[str, bool | None]:
    """The element skeleton of an XML body, and whether it is the assumed error shape."""
    try:
        parsed = parse_body(body, action=ACTION)
        if parsed.format != "xml":
            return "(not XML: the error came as JSON though XML was asked, SEED-S6)", False
        skeleton = xml_skeleton(body)
    except UnreadableBody:
        return "", None
    return skeleton, parsed.kind == "error" and not parsed.problems and skeleton == (
        ASSUMED_XML_ERROR)
