"""Named faults the simulator can be started with, to prove the harness finds each one.

`Simulator(fault="refuses-order-20")` or `ncp-harness serve --fault refuses-order-20` turns
the simulator into a service with exactly one bug. Every fault names the rule, or the
clause, a correct diagnosis blames (`blames`), so `benchmarks/mutation.py` can score
detection and blame. `forgets-SEED-R9.3` and its siblings forget one clause each.

Kinds: `accepts` (takes a request a seed rule forbids), `refuses` (turns away a request a
seed rule allows), `shape` and `echo` (a success or error body the contract does not
allow), `auth` (the gateway's signature check), `transport` (how parameters and formats
travel), `crash` (a 500 on one particular input). `FAULTS` lists them in that order.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.contract.account import GIB, Account
from harness.contract.clauses import CLAUSES, Clause
from harness.contract.model import Params
from harness.contract.oracle import Outcome, Verdict
from harness.contract.reading import read
from harness.contract.rulebook import Storage, View
from harness.contract.wire import small_int
from harness.core.errors import ConfigError
from harness.core.xmlcodec import from_xml, to_xml
from harness.sim.bodyfaults import (
    capital_bool,
    description_trimmed,
    drop_last_mapping,
    each_mapping,
    inner_of,
    json_error,
    json_only,
    name_short,
    on_image,
    on_inner,
    plain_error,
    renamed_root,
    set_if_present,
    size_in_gb,
    wrong_snapshot,
    xml_only,
)
from harness.sim.render import Format, SimResponse

__all__ = ["FAULTS", "FAULT_NAMES", "FORGETTING", "KINDS", "Fault", "closest_faults", "fault_named",
           "with_fault"]

KINDS = ("accepts", "refuses", "shape", "echo", "auth", "transport", "crash", "side-effect")
Auth = Literal["none", "stale", "wrong", "forbidden"]
"""A spoiled signing (core.signing.SPOILED) the gateway lets through, or 403 for 401."""
Data = dict[str, Any]


@dataclass(frozen=True)
class Fault:
    """One bug: what the broken service does, the rule to blame, and where it bites."""

    name: str
    kind: str
    blames: str
    does: str
    ignores: frozenset[str] = frozenset()
    """Seed rules or clauses (SEED-R9.3) the service does not enforce: their breaches are
    dropped from the verdict."""
    rewrite: Callable[[Params], Params] | None = None
    """How the service misreads the parameters before judging them."""
    refuses: Callable[[Params, Account], bool] | None = None
    """Valid requests the service turns away (400)."""
    crashes: Callable[[Params], bool] | None = None
    """Inputs the service answers with a 500."""
    auth: Auth | None = None
    reads_form: bool = True
    default_format: Format = "xml"
    honours_format: bool = True
    reshape: Callable[[Data, Format], Data] | None = None
    """What the service does to the create action's success body."""
    error_body: Callable[[bytes, Format], tuple[bytes, str]] | None = None
    """What the service does to an error body: new body and Content-Type."""
    content_type: dict[Format, str] = field(default_factory=dict)
    """Content-Type of success bodies, where the service labels them wrongly."""
    after_create: tuple[int, bytes, str] | None = None
    """What the service answers a create it carried out, in place of its success: status,
    body and Content-Type. The image is made all the same (a refusal with a side effect)."""

    def judged(self, verdict: Verdict) -> Verdict:
        """The verdict as this service sees it: breaches of ignored rules do not count."""
        if verdict.outcome is not Outcome.REJECT or not self.ignores:
            return verdict
        kept = tuple(b for b in verdict.breaches
                     if b.rule not in self.ignores and b.clause not in self.ignores)
        if kept:
            return Verdict(Outcome.REJECT, kept, verdict.open_cases, verdict.view)
        return Verdict(Outcome.UNSPECIFIED if verdict.open_cases else Outcome.ACCEPT, (),
                       verdict.open_cases, verdict.view)


def _storages(params: Params, account: Account) -> tuple[Storage, ...]:
    return View.of(read(params)[0][0], account).storages


def _top(params: Params, key: str) -> str | None:
    return next((v for k, v in params if k == key), None)


def _ignoring(rule: str, does: str) -> Fault:
    name = {"SEED-R1": "region", "SEED-R2": "name-rules", "SEED-R3": "description-bytes",
            "SEED-R4": "order-rules", "SEED-R5": "snapshot-rules", "SEED-R7": "size-limits",
            "SEED-R8": "volume-type-rules", "SEED-R9": "empty-flag-rules",
            "SEED-R11": "hypervisor"}[rule]
    return Fault(f"ignores-{name}", "accepts", rule, does, ignores=frozenset({rule}))


def _typed_by_default(params: Params) -> Params:
    """SEED-R6 broken: an entry with neither snapshot nor type becomes a new CB1 storage."""
    bare = {k.rsplit(".", 1)[0] for k, _ in params if k.startswith("blockStorageList.")}
    has = {k.rsplit(".", 1)[0] for k, _ in params
           if k.endswith((".snapshotInstanceNo", ".blockStorageVolumeTypeCode"))}
    out = [(k, "true") if k.endswith(".emptyBlockStorage") and k.rsplit(".", 1)[0] not in has
           else (k, v) for k, v in params]
    for entry in sorted(bare - has):
        out.append((f"{entry}.blockStorageVolumeTypeCode", "CB1"))
        if (f"{entry}.emptyBlockStorage", "true") not in out:
            out.append((f"{entry}.emptyBlockStorage", "true"))
    return tuple(out)


def _size_equal(params: Params, account: Account) -> bool:
    for storage in _storages(params, account):
        snap = account.snapshot(storage.snapshot_no or "")
        size = storage.entry.fields.get("blockStorageSize", "")
        number = small_int(size)
        if snap and number is not None and number * GIB < snap.size_bytes + 10 * GIB:
            return True  # within one step of the snapshot's size: "must be larger"
    return False


def _type_changed(params: Params, account: Account) -> bool:
    for storage in _storages(params, account):
        snap = account.snapshot(storage.snapshot_no or "")
        if storage.kind == "attach" and snap and storage.volume_type not in (
                None, snap.volume_type):
            return True
    return False


def _fb_snapshot(params: Params, account: Account) -> bool:
    for storage in _storages(params, account):
        snap = account.snapshot(storage.snapshot_no or "")
        if snap is not None and snap.volume_type.startswith("FB"):
            return True
    return False


def _has_non_ascii_description(params: Params) -> bool:
    return not (_top(params, "serverImageDescription") or "").isascii()


def _entries(params: Params) -> int:
    return len({k.rsplit(".", 1)[0] for k, _ in params if k.startswith("blockStorageList.")})


def _repeated_key(params: Params) -> bool:
    keys = [k for k, _ in params]
    return len(keys) != len(set(keys))


def _huge_number(params: Params) -> bool:
    return any(v.isascii() and v.isdigit() and len(v) > 9 for _, v in params)


_REFUSAL = b'{"responseError": {"returnCode": "24000", "returnMessage": "Invalid parameter"}}'
_GATEWAY_PAGE = (b"<html><head><title>504 Gateway Time-out</title></head><body>"
                 b"<h1>504 Gateway Time-out</h1></body></html>")

FAULTS: tuple[Fault, ...] = (
    _ignoring("SEED-R1", "accepts a regionCode that getRegionList does not list"),
    _ignoring("SEED-R2", "accepts any image name: upper case first, '_', 2 or 31 characters"),
    _ignoring("SEED-R3", "accepts a description of any length"),
    _ignoring("SEED-R4", "accepts orders above 20, two bases, no base, 22 entries"),
    _ignoring("SEED-R5", "accepts a base without a snapshot, unknown or non-bootable ones"),
    Fault("defaults-volume-type", "accepts", "SEED-R6",
          "reads an entry with neither snapshot nor type as a new CB1 storage",
          rewrite=_typed_by_default),
    _ignoring("SEED-R7", "accepts any blockStorageSize: missing, off-step, out of limits"),
    _ignoring("SEED-R8", "accepts any volume type code, also on the base storage"),
    _ignoring("SEED-R9", "accepts any emptyBlockStorage value, also on the base storage"),
    Fault("ignores-response-format", "accepts", "SEED-R10",
          "answers XML whatever responseFormatType asks for", honours_format=False),
    _ignoring("SEED-R11", "accepts snapshots of a XEN server"),
    Fault("refuses-region-code", "refuses", "SEED-R1",
          "refuses any request that names regionCode, even the default region's",
          refuses=lambda p, _: _top(p, "regionCode") is not None),
    Fault("refuses-30-char-names", "refuses", "SEED-R2",
          "refuses a name of 30 characters (its limit is 29)",
          refuses=lambda p, _: len(_top(p, "serverImageName") or "") == 30),
    Fault("refuses-1000-byte-description", "refuses", "SEED-R3",
          "refuses a description of exactly 1000 bytes (its limit is 999)",
          refuses=lambda p, _: len((_top(p, "serverImageDescription") or "").encode()) >= 1000),
    Fault("refuses-order-20", "refuses", "SEED-R4",
          "refuses order 20 (its additional orders run 1 to 19)",
          refuses=lambda p, a: any(s.order == 20 for s in _storages(p, a))),
    Fault("refuses-attached-snapshots", "refuses", "SEED-R5",
          "refuses a snapshot attached as an additional storage (base only)",
          refuses=lambda p, a: any(s.kind == "attach" for s in _storages(p, a))),
    # SEED-R8, not R6: R6's one clause asks for at least one of the two and allows nothing;
    # a volume type on an attached snapshot is what SEED-R8.4 allows.
    Fault("refuses-snapshot-with-type", "refuses", "SEED-R8",
          "refuses an entry that carries both snapshotInstanceNo and a volume type",
          refuses=lambda p, a: any({"snapshotInstanceNo", "blockStorageVolumeTypeCode"}
                                   <= set(s.entry.fields) for s in _storages(p, a))),
    Fault("refuses-size-near-snapshot", "refuses", "SEED-R7",
          "refuses a size less than 10 GB above its snapshot's (it must be at least equal)",
          refuses=_size_equal),
    Fault("refuses-type-change", "refuses", "SEED-R8",
          "refuses a new volume type on an attached snapshot", refuses=_type_changed),
    Fault("refuses-new-empty-storage", "refuses", "SEED-R9",
          "refuses emptyBlockStorage=true: no new empty storage can be added",
          refuses=lambda p, a: any(s.empty is True for s in _storages(p, a))),
    Fault("refuses-explicit-xml", "refuses", "SEED-R10",
          "refuses responseFormatType=xml spelled out (only the default works)",
          refuses=lambda p, _: _top(p, "responseFormatType") == "xml"),
    Fault("refuses-fb-snapshots", "refuses", "SEED-R11",
          "refuses KVM snapshots of FB volumes, taking them for XEN ones",
          refuses=_fb_snapshot),
    Fault("json-wrapper-from-table", "shape", "SEED-S1",
          "wraps a JSON success in getServerImageListResponse, as the seed's table says",
          reshape=renamed_root("json")),
    Fault("xml-wrapper-from-table", "shape", "SEED-S1",
          "roots an XML success at getServerImageListResponse",
          reshape=renamed_root("xml")),
    Fault("json-return-code-number", "shape", "SEED-S2",
          "writes returnCode as the JSON number 0, not the string \"0\"",
          reshape=on_inner(json_only(lambda inner: set_if_present(inner, "returnCode", 0)))),
    Fault("xml-no-request-id", "shape", "SEED-S2", "leaves requestId out of XML successes",
          reshape=on_inner(xml_only(lambda inner: inner.pop("requestId", None)))),
    Fault("total-rows-zero", "echo", "SEED-S2", "answers totalRows 0 with one image",
          reshape=on_inner(lambda data, _: set_if_present(inner_of(data), "totalRows", 0))),
    Fault("echo-name-cut", "echo", "SEED-S3", "echoes the image name without its last letter",
          reshape=on_image(name_short)),
    Fault("echo-description-trimmed", "echo", "SEED-S3",
          "echoes the description with surrounding white space stripped",
          reshape=on_image(description_trimmed)),
    Fault("json-size-in-gb", "echo", "SEED-S4",
          "gives blockStorageSize in GB, not bytes, in JSON",
          reshape=each_mapping(size_in_gb, "json")),
    Fault("xml-boolean-capitalised", "shape", "SEED-S4",
          "writes isEncryptedVolume as False/True in XML",
          reshape=each_mapping(capital_bool, "xml")),
    Fault("echo-drops-last-mapping", "echo", "SEED-S4",
          "leaves the last storage out of blockStorageMappingList",
          reshape=on_image(drop_last_mapping)),
    Fault("echo-wrong-snapshot", "echo", "SEED-S4",
          "maps the first attached snapshot to the next snapshot number",
          reshape=on_image(wrong_snapshot)),
    Fault("error-body-plain-text", "shape", "SEED-S5",
          "answers a refused request with a text/plain 'Bad Request'", error_body=plain_error),
    Fault("xml-error-as-json", "shape", "SEED-S6",
          "answers a refused XML request with a JSON responseError", error_body=json_error),
    Fault("auth-accepts-unsigned", "auth", "SEED-S5",
          "serves requests without a signature", auth="none"),
    Fault("auth-accepts-stale", "auth", "SEED-S5",
          "serves requests signed more than 5 minutes ago", auth="stale"),
    Fault("auth-accepts-wrong", "auth", "SEED-S5",
          "serves requests whose signature does not match", auth="wrong"),
    Fault("auth-403", "auth", "SEED-S5",
          "answers a bad signature 403, not 401", auth="forbidden"),
    Fault("form-body-ignored", "transport", "REQ-2",
          "reads only the query: a POST's form body is lost", reads_form=False),
    Fault("default-format-json", "transport", "SEED-S6",
          "answers JSON when responseFormatType is left out", default_format="json"),
    Fault("json-labelled-text", "transport", "SEED-R10",
          "labels JSON successes Content-Type text/plain",
          content_type={"json": "text/plain;charset=UTF-8"}),
    Fault("xml-labelled-html", "transport", "SEED-S6",
          "labels XML successes Content-Type text/html",
          content_type={"xml": "text/html;charset=UTF-8"}),
    Fault("crash-on-non-ascii-description", "crash", "SEED-S5",
          "answers 500 to a description with any non-ASCII character",
          crashes=_has_non_ascii_description),
    Fault("crash-on-21-entries", "crash", "SEED-S5",
          "answers 500 to a list of 21 entries (the most allowed)",
          crashes=lambda p: _entries(p) >= 21),
    Fault("crash-on-repeated-key", "crash", "SEED-S5",
          "answers 500 when a parameter key is sent twice", crashes=_repeated_key),
    Fault("crash-on-huge-number", "crash", "SEED-S5",
          "answers 500 to a value of more than 9 digits", crashes=_huge_number),
    Fault("creates-then-refuses", "side-effect", "SEED-S5",
          "makes the image, then answers 400 with a responseError, as if it had refused",
          after_create=(400, _REFUSAL, "application/json")),
    Fault("creates-then-500", "side-effect", "SEED-S5",
          "makes the image, then answers a plain 500 Internal Server Error",
          after_create=(500, b"Internal Server Error", "text/plain")),
    Fault("creates-then-gateway-504", "side-effect", "SEED-S5",
          "makes the image, then a proxy answers its HTML 504 Gateway Time-out page",
          after_create=(504, _GATEWAY_PAGE, "text/html")),
)
"""Every named fault, by kind: seed rules both ways, bodies, auth, transport, crashes."""


def _forgets(clause: Clause) -> Fault:
    """The service that forgets one clause, with those it cannot be broken without.

    Forgetting SEED-R5.2 alone would change no answer: SEED-R9.3 still refuses the request.
    """
    forgotten = frozenset({clause.id, *clause.with_})
    also = f" (and {', '.join(clause.with_)}, which it travels with)" if clause.with_ else ""
    return Fault(f"forgets-{clause.id}", "accepts", clause.id,
                 f"accepts a request breaking {clause.id}{also}: {clause.says}",
                 ignores=forgotten)


FORGETTING: tuple[Fault, ...] = tuple(_forgets(c) for c in CLAUSES.values() if c.refuses)
"""One fault per refusing clause: the mutation benchmark scores each, blamed on its clause."""

FAULTS = tuple(sorted((*FAULTS, *FORGETTING), key=lambda f: KINDS.index(f.kind)))

_BY_NAME = {fault.name: fault for fault in FAULTS}
FAULT_NAMES: tuple[str, ...] = tuple(_BY_NAME)


def closest_faults(name: str, most: int = 3) -> list[str]:
    """The named faults spelled most like `name` (a typo's likely meaning), best first."""
    return difflib.get_close_matches(name, FAULT_NAMES, n=most, cutoff=0.4)


def fault_named(name: str) -> Fault:
    """The fault of that name; a `ConfigError` (the name was typed) says how to list them."""
    try:
        return _BY_NAME[name]
    except KeyError:
        close = closest_faults(name)
        raise ConfigError(f"no fault named {name!r}"
                          + (f" (closest: {', '.join(close)})" if close else "")
                          + f"; `ncp-harness serve --list-faults` lists the {len(FAULTS)}"
                          " there are") from None


def with_fault(fault: Fault, answer: SimResponse, fmt: Format) -> SimResponse:
    """The create action's answer as the faulty service sends it."""
    if answer.status == 200 and (fault.reshape or fault.content_type):
        body = answer.body
        if fault.reshape is not None:
            data = json.loads(body) if fmt == "json" else from_xml(body)
            data = fault.reshape(data, fmt)
            body = (json.dumps(data, ensure_ascii=False).encode("utf-8") if fmt == "json"
                    else to_xml(data))
        headers = dict(answer.headers)
        if fmt in fault.content_type:
            headers["Content-Type"] = fault.content_type[fmt]
        return SimResponse(answer.status, headers, body)
    if 400 <= answer.status < 500 and fault.error_body is not None:
        body, content_type = fault.error_body(answer.body, fmt)
        return SimResponse(answer.status, {**answer.headers, "Content-Type": content_type},
                           body)
    return answer
