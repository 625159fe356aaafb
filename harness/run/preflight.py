"""Preflight: what a live run would find, learned without creating or deleting anything.

Before the first run on a shared account: are the keys accepted, is this machine's clock
close enough to the gateway's for a signature to live (five minutes, ncp-api.md section 2),
do the neighbour actions answer as the reference says (judged three ways, as in a run),
and what does the account hold: regions, usable snapshots, volume-type limits and the unit
they came in, images already present. Then what a run with `--max-creates N` would cover:
the create budget is spent on the covering set first (harness.run.covering), minus the reserve
kept for invalid requests a faulty service accepts (harness.custody.gate.reserve_of).

Only list actions are called, each once per format (and every page of the image and
snapshot lists, as discovery reads them). No create, no delete, unless asked to prove
create permission (`--check-create`, harness.run.createcheck): then one create that cannot
make an image is sent, under custody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from harness.checks.response import CheckResult, check_neighbour
from harness.contract.account import Account
from harness.contract.model import READ_ACTIONS
from harness.contract.volumetypes import learn
from harness.core.answer import Answer
from harness.core.errors import ConfigError, TargetError
from harness.core.gateway import permission_denied
from harness.custody.ledger import Ledger, LedgerState
from harness.run.covering import COVER_ITEMS, covering_set
from harness.run.createcheck import ASSUMED_XML_ERROR, CreateCheck
from harness.run.createcheck import check_create as create_check
from harness.run.plan import Plan, plan_for
from harness.run.profiles import PROFILES
from harness.strategies.valid import usable_snapshots
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget

__all__ = ["CLOCK_LIMIT_S", "CLOCK_WARN_S", "Preflight", "clock_skew", "preflight"]

CLOCK_LIMIT_S = 300
"""The gateway refuses a signature whose timestamp is more than five minutes off."""
CLOCK_WARN_S = 60
"""Past this, a run's signatures still live but a slow request may outlast them."""


def clock_skew(date_header: str, now: float) -> float | None:
    """Seconds the gateway's clock (an HTTP `Date` header) is ahead of `now`; None: unknown."""
    if not date_header:
        return None
    try:
        moment = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp() - now


@dataclass(frozen=True)
class Judged:
    """One neighbour call: the action, the format asked, the status, and the checks."""

    action: str
    fmt: str
    status: int
    result: CheckResult


@dataclass
class Preflight:
    """Everything preflight learned; `exit_code` says what a user should do next."""

    endpoint: str
    max_creates: int
    skew_s: float | None = None
    problems: list[str] = field(default_factory=list)
    """What stops a run from starting (keys refused, clock too far off, a list unreadable)."""
    warnings: list[str] = field(default_factory=list)
    judged: list[Judged] = field(default_factory=list)
    account: Account | None = None
    base_usable: dict[str, bool] = field(default_factory=dict)
    covered: list[str] = field(default_factory=list)
    not_covered: list[str] = field(default_factory=list)
    cover_problem: str = ""
    plan: Plan | None = None
    """What a run of the whole suite with --max-creates would buy (`harness.run.plan`)."""
    create: CreateCheck | None = None
    """What the one impossible create proved (--check-create), None when not asked."""
    owed_before: int | None = None
    """Images earlier runs of the ledger still own on this endpoint (None: no ledger)."""
    pending_before: int = 0

    def debts(self, state: LedgerState) -> None:
        """What earlier runs of the run's ledger still owe here (a run settles it first)."""
        mine = [run for run in state.runs if run.record.endpoint == self.endpoint]
        self.owed_before = sum(len(run.owned) for run in mine)
        self.pending_before = sum(len(run.pending) for run in mine)

    @property
    def violations(self) -> int:
        """Neighbour answers that break the contract (and a create of nothing accepted)."""
        accepted = self.create is not None and self.create.outcome == "accepted"
        return sum(len(j.result.violations) for j in self.judged) + accepted

    @property
    def exit_code(self) -> int:
        """0: ready; 1: a neighbour answer breaks the contract; 2: a run could not start."""
        if self.problems:
            return 2
        return 1 if self.violations else 0

    def as_dict(self) -> dict[str, Any]:
        """The result as `--format json` prints it (no key, secret or signature)."""
        account = self.account
        return {
            "endpoint": self.endpoint, "exit_code": self.exit_code,
            "clock_skew_s": None if self.skew_s is None else round(self.skew_s, 1),
            "problems": self.problems, "warnings": self.warnings,
            "neighbours": [{"action": j.action, "format": j.fmt, "status": j.status,
                            "transient": j.result.transient,
                            "violations": [{"rule": v.rule, "path": v.path,
                                            "message": v.message}
                                           for v in j.result.violations],
                            "findings": [{"cases": list(f.cases), "message": f.message}
                                         for f in j.result.findings]}
                           for j in self.judged],
            "account": None if account is None else {
                "regions": list(account.regions), "region": account.home_region,
                "usable_snapshots": [s.instance_no for s in usable_snapshots(account)],
                "snapshots": len(account.snapshots),
                "volume_size_unit": account.size_unit,
                "volume_types": {code: {"min_gb": t.min_gb, "max_gb": t.max_gb,
                                        "usable_as_base": self.base_usable.get(code)}
                                 for code, t in sorted(account.limits.volume_types.items())},
                "images_present": len(account.inventory)},
            "max_creates": self.max_creates,
            "plan": None if self.plan is None else self.plan.as_dict(),
            "would_cover": self.covered, "would_not_cover": self.not_covered,
            "cover_problem": self.cover_problem or None,
            "ledger_owes": None if self.owed_before is None else {
                "images": self.owed_before, "creates_to_settle": self.pending_before},
            "check_create": None if self.create is None else self.create.as_dict(),
        }

    def lines(self) -> list[str]:
        """The result for a person, most important first."""
        how = ("--check-create: one create that cannot make an image was sent; nothing else"
               " was created or deleted" if self.create is not None
               else "read-only: nothing was created or deleted")
        out = [f"preflight of {self.endpoint} ({how})"]
        out += [f"PROBLEM: {p}" for p in self.problems]
        out += [f"warning: {w}" for w in self.warnings]
        if self.skew_s is not None:
            out.append(f"clock: the gateway is {self.skew_s:+.0f} s from this machine"
                       f" (signatures live {CLOCK_LIMIT_S} s)")
        for j in self.judged:
            verdict = ("transient (throttle or hiccup)" if j.result.transient
                       else "keeps the contract" if j.result.ok
                       else f"{len(j.result.violations)} violation(s)")
            out.append(f"{j.action} ({j.fmt}): {j.status}, {verdict}")
            out += [f"  violation [{v.rule}] {v.path}: {v.message}" for v in j.result.violations]
            out += [f"  finding   [{', '.join(f.cases)}] {f.message}" for f in j.result.findings]
        out += self._create_lines()
        out += self._account_lines()
        return out

    def _create_lines(self) -> list[str]:
        check = self.create
        if check is None:
            return []
        out = [f"create permission: {check.said}"]
        if check.xml_as_assumed is not None:
            out.append(f"  XML error shape: {check.xml_shape} ("
                       + ("as the harness assumes" if check.xml_as_assumed
                          else f"differs from the assumed {ASSUMED_XML_ERROR}; a run judges"
                          " XML refusals by it: report it") + ")")
        if check.cleanup.deleted:
            out.append(f"  the service made image(s) anyway; deleted: "
                       f"{', '.join(check.cleanup.deleted)}")
        return out

    def _account_lines(self) -> list[str]:
        account = self.account
        if account is None:
            return []
        usable = usable_snapshots(account)
        out = [(f"regions: {', '.join(account.regions)}; testing in"
               f" {account.home_region or account.regions[0]}"),
               (f"snapshots: {len(account.snapshots)}, of which {len(usable)} usable (bootable,"
               f" KVM, CREAT): {', '.join(s.instance_no for s in usable[:10]) or 'none'}"),
               f"volume-type limits (sizes came in {account.size_unit or 'an unknown unit'}):"]
        for code, limits in sorted(account.limits.volume_types.items()):
            base = self.base_usable.get(code)
            flag = "" if base is None else f"; usable as base: {'yes' if base else 'no'}"
            out.append(f"  {code}: {limits.min_gb} to {limits.max_gb} GB{flag}")
        out.append(f"images already present: {len(account.inventory)} (never touched by a run)")
        if self.owed_before:
            out.append(f"the ledger: earlier runs still own {self.owed_before} image(s) here"
                       f" ({self.pending_before} create(s) to settle); a run settles them"
                       " first and charges those still being made to its budget")
        if self.plan is not None:
            out += self.plan.lines()
        if self.cover_problem:
            out.append(f"  it could not build its covering set: {self.cover_problem}")
        elif self.not_covered:
            out.append(f"  it would show {len(self.covered)} of {len(COVER_ITEMS)} covering"
                       f" items; not: {', '.join(self.not_covered)}")
        else:
            out.append(f"  it would show all {len(COVER_ITEMS)} covering items (every class"
                       " and boundary) before spending the rest on generated requests")
        return out


def _skew(result: Preflight, answer: Answer, now: float) -> None:
    skew = clock_skew(answer.header("Date"), now)
    result.skew_s = skew
    if skew is None:
        result.warnings.append("the gateway sent no readable Date header; the clock could"
                               " not be compared")
    elif abs(skew) > CLOCK_LIMIT_S:
        result.problems.append(f"this machine's clock is {abs(skew):.0f} s"
                               f" {'behind' if skew > 0 else 'ahead of'} the gateway's; every"
                               f" signature would be refused as stale (limit {CLOCK_LIMIT_S} s)"
                               ": set the clock (NTP) and run again")
    elif abs(skew) > CLOCK_WARN_S:
        result.warnings.append(f"the clock is {abs(skew):.0f} s off the gateway's; a run"
                               " works, but sync it (NTP) before a long one")


def _coverage(result: Preflight, account: Account) -> None:
    try:
        covers = covering_set(account)
    except ConfigError as exc:
        result.cover_problem = str(exc)
        return
    result.plan = plan_for(result.max_creates, account, None, PROFILES["dev"].max_examples)
    shown: set[str] = set()
    for cover in covers[:result.plan.cover]:
        shown |= cover.items
    result.covered = [i for i in COVER_ITEMS if i in shown]
    result.not_covered = [i for i in COVER_ITEMS if i not in shown]


def preflight(target: HttpTarget, *, max_creates: int, region: str | None = None,
              now: Callable[[], float], check_create: bool = False,
              ledger: Ledger | None = None) -> Preflight:
    """Call the read-only neighbours of `target`, judge them, and learn the account.

    With `check_create`, then prove create permission with one create that cannot make
    an image (harness.run.createcheck), under custody in `ledger`.
    """
    result = Preflight(target.endpoint, max_creates)
    first = True
    for action in READ_ACTIONS:
        for fmt in ("json", "xml"):
            params = (("responseFormatType", fmt),)
            sent = now()
            answer = target.call(action, (("regionCode", region), *params) if region
                                 and action != "getRegionList" else params)
            if first:
                _skew(result, answer, sent)
                first = False
            if answer.status in (401, 403):
                result.problems.append(permission_denied(answer, action) or (
                    f"{action} answered {answer.status}: the gateway refused the key pair;"
                    " check NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY (and that the key may"
                    " call the Server API)"))
                return result
            result.judged.append(Judged(action, fmt, answer.status,
                                        check_neighbour(action, answer, fmt)))
    try:
        result.account = discover(target, region=region)
    except TargetError as exc:
        result.problems.append(str(exc))
        return result
    result.base_usable = _base_flags(result.judged)
    _coverage(result, result.account)
    if check_create:
        try:
            result.create = create_check(target, result.account, region=region, ledger=ledger)
        except TargetError as exc:
            result.problems.append(str(exc))
            return result
        if result.create.problem:
            result.problems.append(result.create.problem)
    return result


def _base_flags(judged: list[Judged]) -> dict[str, bool]:
    """The "usable as base" flags of the volume-type answer already judged, any spelling."""
    for j in judged:
        body = j.result.body
        if j.action == "getBlockStorageVolumeTypeList" and body is not None and isinstance(
                body.inner, dict):
            rows = body.inner.get("blockStorageVolumeTypeList")
            return dict(learn(rows if isinstance(rows, list) else []).base_usable)
    return {}
