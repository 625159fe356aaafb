"""What NCP's published reference lists for the codes in the answers the harness reads.

A code list the reference prints (`hypervisorType`: XEN | KVM) is not a closed contract:
the government site adds RHV, an image being deleted shows TERMT, older accounts carry SSD
and HDD volumes, lifecycle phases and image types grow. So a code outside the list is a
*finding* ("the service differs from the reference"), never a violation; only a list the
seed itself closes (SEED-R8's request codes) is closed, and that is the oracle's business.
Each list names its page, language and date; docs/reference.md has them all.

The same holds for the shape of an answer: a constraint of the response schemas that rests
on an assumption of ours, or on a field some version of the reference calls Optional, sits
in a schema node marked `x-lenient` with the id of a note below (`SHAPE_NOTES`). Breaking
it is a finding citing that note; breaking any other constraint (the seed's, or a field the
reference marks Required) is a violation (harness.spec.body).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ASSUMED_XML_ERROR", "NOTES", "SHAPE_NOTES", "WIRE_NOTES", "Difference", "Note",
           "differences"]

_SERVER_IMAGE = "ServerImage (api.ncloud-docs.com, en, updated 2026-09-17)"
_SERVER_IMAGE_OLD = ("ServerImage (api.ncloud-docs.com, ja, an older version of the page without"
                     " serverImageLifeCyclePhase and platformCategoryCode; ko likewise)")
_MAPPING = "BlockStorageMapping (api.ncloud-docs.com, en, updated 2026-09-17)"
_MAPPING_JA = "BlockStorageMapping (api.ncloud-docs.com, ja and ko, updated 2026-09-17)"
_EXAMPLES = ("the XML response examples of the reference (getBlockStorageInstanceDetail and"
             " others, api.ncloud-docs.com, ko)")
_ERRORS = "Server API common errors (ncp-api.md section 4)"


ASSUMED_XML_ERROR = "<responseError><returnCode/><returnMessage/></responseError>"
"""The Server API's XML error shape the harness assumes (no public XML error body exists;
ncp-api.md section 4): a run and `preflight --check-create` say whether the service's is it."""


@dataclass(frozen=True)
class Note:
    """One fact of the reference a finding can cite: its id, what it says, where."""

    id: str
    text: str
    source: str
    known: frozenset[str] = frozenset()


def _codes(field: str, codes: str, source: str, extra: str = "") -> Note:
    known = frozenset(codes.split(" | "))
    text = f"{field} codes the reference lists: {codes}" + (f"; {extra}" if extra else "")
    return Note(f"REF-{field}", text, source, known)


_CODE_NOTES = (
    _codes("serverImageType", "NCP | SELF", _SERVER_IMAGE),
    _codes("serverImageLifeCyclePhase", "IN_SERVICE | FADE_OUT | RETIRED", _SERVER_IMAGE),
    _codes("hypervisorType", "XEN | KVM | RHV", _SERVER_IMAGE,
           "RHV on the government site (api-gov.ncloud-docs.com, 2026-10-22)"),
    _codes("serverImageStatus", "INIT | CREAT | CREFL | TERMT", _SERVER_IMAGE,
           "TERMT while an image is deleted (ncp-api.md section 9)"),
    _codes("blockStorageVolumeType", "SSD | HDD | CB1 | CB2 | FB1 | FB2", _MAPPING,
           "the page lists SSD | HDD | CB1 | FB1; the seed's SEED-R8 adds CB2 and FB2"),
    _codes("blockStorageSnapshotInstanceStatus", "INIT | CREAT", "ncp-api.md section 5"),
)
SHAPE_NOTES = (
    Note("REF-requestId-empty", "SEED-S2 says requestId is a UUID; the reference's XML"
         " examples print <requestId></requestId> empty", _EXAMPLES),
    Note("REF-lifecycle-phase", "SEED-S3 lists serverImageLifeCyclePhase; the older ServerImage"
         " page has no such field", _SERVER_IMAGE_OLD),
    Note("REF-platform-category", "SEED-S3 lists platformCategoryCode; the older ServerImage"
         " page has no such field", _SERVER_IMAGE_OLD),
    Note("REF-mapping-snapshot-no", "SEED-S4 lists blockStorageSnapshotInstanceNo; the"
         " reference marks it Optional (a new empty storage has none)", _MAPPING),
    Note("REF-mapping-snapshot-name", "SEED-S4 lists blockStorageSnapshotName; the reference"
         " marks it Optional, and ja and ko spell it blockStorageSnapshotInstanceName",
         _MAPPING_JA),
    Note("REF-mapping-iops", "SEED-S4 lists iops and throughput; the reference marks both"
         " Optional", _MAPPING),
    Note("REF-mapping-order-max", "assumed: a mapping's order stays within the request's 0..20"
         " (SEED-R4); the reference types it Integer only", _MAPPING),
    Note("REF-return-code-digits", "assumed: the Server API's returnCode is digits; the"
         " reference types it String", _ERRORS),
)
"""Shape notes: the constraints of the response schemas whose breach is a finding."""
_GATEWAY = ("API call error handling (api-gov.ncloud-docs.com, api-call-lgc-errorhandling, ko,"
            " updated 2026-10-22)")
WIRE_NOTES = (
    Note("REF-malformed-encoding", "the seed does not say how a malformed percent-escape or"
         " bytes that are not UTF-8 are read; NCP's API Gateway refuses requests whose encoding"
         " (UTF-8) or protocol it cannot take with 400, errorCode 100 \"Bad Request Exception\"",
         _GATEWAY),
)
"""Notes on wire the seed leaves unread: what the service does with it is a finding."""
NOTES: dict[str, Note] = {note.id: note for note in (*_CODE_NOTES, *SHAPE_NOTES, *WIRE_NOTES)}
"""Finding id -> the reference's words and source (summary.json and the report show them)."""
_BY_FIELD = {note.id.removeprefix("REF-"): note for note in _CODE_NOTES}


@dataclass(frozen=True)
class Difference:
    """A place where an answer differs from the reference: an unlisted code, a lenient shape."""

    note: Note
    path: str
    message: str


def differences(data: Any, *, at: str = "") -> list[Difference]:
    """Every code in `data` (a parsed body) that the reference's list for its field lacks."""
    found: list[Difference] = []
    stack: list[tuple[str, Any]] = [(at, data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                where = f"{path}.{key}" if path else str(key)
                note = _BY_FIELD.get(str(key))
                if note is not None and isinstance(child, dict):
                    code = child.get("code")
                    if isinstance(code, str) and code and code not in note.known:
                        found.append(Difference(
                            note, where, f"{where}: {code!r} is not a code the reference"
                            f" lists ({' | '.join(sorted(note.known))})"))
                    continue
                stack.append((where, child))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(value))
    return sorted(found, key=lambda d: d.path)
