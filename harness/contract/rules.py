"""The seed's rules and open cases as data, one row each, in the seed's own words.

`RULES` is SEED-R1..R11 and SEED-S1..S6 of ../shared/seed/README.md; `OPEN_CASES` is
U1..U10 of ../shared/reference/ncp-api.md section 7, plus the UH cases this project found
the seed silent on at the wire level. A reviewer checks these tables against the seed line
by line; the functions that enforce them live in `harness.contract.rulebook`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from harness.contract.limits import VOLUME_TYPES

__all__ = [
    "CONTRADICTIONS",
    "DESCRIPTION_MAX_BYTES",
    "ENTRY_FIELDS",
    "LIST_PREFIX",
    "NAME_ALLOWED",
    "NAME_MAX",
    "NAME_MIN",
    "OPEN_CASES",
    "REQUEST_RULES",
    "RESPONSE_FORMATS",
    "RULES",
    "TOP_LEVEL_KEYS",
    "VOLUME_TYPES",
    "Breach",
    "OpenCase",
    "Rule",
    "rule_sort_key",
]


@dataclass(frozen=True, slots=True)
class Rule:
    """One documented rule: its id, the parameter it governs and what the seed says."""

    id: str
    parameter: str
    text: str


@dataclass(frozen=True, slots=True)
class Breach:
    """A request breaks a rule's clause: which clause (SEED-R9.3), at which path, and how."""

    clause: str
    path: str
    message: str

    @property
    def rule(self) -> str:
        """The rule of the clause: SEED-R9 for SEED-R9.3."""
        return self.clause.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class OpenCase:
    """A request falls where the seed does not decide (U1..U10, UH1..UH4)."""

    case: str
    path: str
    message: str


def rule_sort_key(rule_id: str) -> tuple[str, int]:
    """Sort SEED-R2 before SEED-R11 and U2 before U10."""
    head = rule_id.rstrip("0123456789")
    tail = rule_id[len(head):]
    return head, int(tail) if tail else 0


def _table(*rows: Rule) -> Mapping[str, Rule]:
    return MappingProxyType({row.id: row for row in rows})


RULES: Mapping[str, Rule] = _table(
    Rule("SEED-R1", "regionCode",
         "optional; a region from getRegionList; default: the first region of that list"),
    Rule("SEED-R2", "serverImageName",
         "required; 3 to 30 characters; letters, digits and '-'; first character a lowercase"
         " letter; last character a lowercase letter or a digit"),
    Rule("SEED-R3", "serverImageDescription", "optional; 0 to 1000 bytes (not characters)"),
    Rule("SEED-R4", "blockStorageList.N.order",
         "required integer for every entry; exactly one base storage with order 0; additional"
         " storages have orders 1 to 20; at most 21 entries including the base"),
    Rule("SEED-R5", "blockStorageList.N.snapshotInstanceNo",
         "required for the base storage and when an existing snapshot is attached as an"
         " additional storage; from getBlockStorageSnapshotInstanceList; only snapshots with"
         " isBootable=true may be used"),
    Rule("SEED-R6", "blockStorageList.N.snapshotInstanceNo|blockStorageVolumeTypeCode",
         "every entry carries at least one of the two"),
    Rule("SEED-R7", "blockStorageList.N.blockStorageSize",
         "integer GB; with snapshotInstanceNo at least the snapshot's size; required when a"
         " new (empty) storage is added; per-type limits of the storage spec"),
    Rule("SEED-R8", "blockStorageList.N.blockStorageVolumeTypeCode",
         "one of CB1, CB2, FB1, FB2; not allowed on the base storage; required when a new"
         " storage is added; may change the type of an attached snapshot"),
    Rule("SEED-R9", "blockStorageList.N.emptyBlockStorage",
         "boolean; true creates a new empty storage, false does not (then snapshotInstanceNo"
         " is required); not allowed on the base storage"),
    Rule("SEED-R10", "responseFormatType", "optional; xml (default) or json"),
    Rule("SEED-R11", "blockStorageList.N.snapshotInstanceNo",
         "the image is made from KVM-based snapshots: a XEN snapshot cannot be used"),
    Rule("SEED-S1", "response",
         "the success body wraps one object, createServerImageFromSnapshotResponse (the"
         " example's name; the table's getServerImageListResponse is a slip)"),
    Rule("SEED-S2", "response",
         "the wrapper carries requestId (UUID), returnCode ('0' on success), returnMessage,"
         " totalRows and serverImageList"),
    Rule("SEED-S3", "response.serverImageList[]",
         "each server image carries its number, name, code/codeName pairs, status name,"
         " block storage mappings, shared login ids, product code, createDate, platform"),
    Rule("SEED-S4", "response.serverImageList[].blockStorageMappingList[]",
         "each mapping carries order, snapshot number, snapshot name, size in bytes, volume"
         " type, iops, throughput, isEncryptedVolume"),
    Rule("SEED-S5", "response", "error status codes are the Server API's common ones"),
    Rule("SEED-S6", "responseFormatType", "the default response format is XML"),
)

OPEN_CASES: Mapping[str, Rule] = _table(
    Rule("U1", "blockStorageList.N.emptyBlockStorage",
         "an additional storage without emptyBlockStorage: the default is not documented"),
    Rule("U2", "blockStorageList.N.emptyBlockStorage",
         "emptyBlockStorage=true together with snapshotInstanceNo"),
    Rule("U3", "blockStorageList.N.snapshotInstanceNo",
         "a non-bootable snapshot attached as an additional storage"),
    Rule("U4", "serverImageName", "upper-case letters inside the name"),
    Rule("U5", "blockStorageList.N.order", "gaps in the order values (0, 5, 9)"),
    Rule("U6", "blockStorageList.N.order", "the same additional order twice"),
    Rule("U7", "blockStorageList.N",
         "list indexes N that do not start at 1, have gaps, or are not numbers"),
    Rule("U8", "*", "parameters the seed does not list (the SDKs know noBlockStorage)"),
    Rule("U9", "responseFormatType", "an unknown responseFormatType"),
    Rule("U10", "serverImageName", "an image name that is already in use"),
    # Found by this project, at the wire level; ncp-api.md section 7 does not list them.
    Rule("UH1", "*", "the same parameter key sent more than once"),
    Rule("UH2", "blockStorageList.N.emptyBlockStorage",
         "a boolean spelled in other letter cases than true/false (True, FALSE)"),
    Rule("UH3", "blockStorageList.N.snapshotInstanceNo",
         "a snapshot that is not yet available (status INIT, still being created)"),
    Rule("UH4", "*", "an optional or conditional parameter sent with an empty value"),
)

CONTRADICTIONS: tuple[tuple[str, str], ...] = (
    ("SEED-S1", ("the response table names the wrapper getServerImageListResponse, the example"
     " createServerImageFromSnapshotResponse; every other Ncloud action answers"
     " <action>Response, so the checks expect the example's name")),
    ("SEED-S4", ("the example prints blockStorageSnapshotInstanceNo as a bare number while"
     " every other instance number is a string; the checks accept both")),
)
"""Places where the seed page contradicts itself, and how the checks read them."""

REQUEST_RULES: Mapping[str, Rule] = _table(
    Rule("REQ-1", "method and path",
         "GET or POST to /vserver/v2/createServerImageFromSnapshot (the seed's Request"
         " section)"),
    Rule("REQ-2", "Content-Type",
         "parameters travel in the query of a GET, or in the query or an"
         " application/x-www-form-urlencoded body of a POST; a GET carries no body (the"
         " seed's Request section, ncp-api.md section 1)"),
    Rule("REQ-3", "encoding",
         "keys and values are percent-encoded UTF-8: no raw space, control or non-ASCII"
         " byte, every % followed by two hex digits (ncp-api.md section 1)"),
    Rule("REQ-4", "blockStorageList.N.*",
         "a list is flattened to blockStorageList.N.field, N counted 1, 2, 3, ... over the"
         " entries, as the official SDKs send it (ncp-api.md section 1); how the service"
         " reads other numbering is open (U7), but a client has no reason to send it"),
    Rule("REQ-5", "x-ncp-apigw-signature-v2",
         "signed: x-ncp-apigw-timestamp (epoch milliseconds, within 5 minutes of sending),"
         " x-ncp-iam-access-key, and the signature of the request as sent, under"
         " x-ncp-apigw-signature-v2 or, as the Go SDK names it, -v1 (ncp-api.md section 2)"),
)
"""What a client's request must look like on the wire, besides the parameters' own rules."""

# SEED-R2: 3 to 30 characters of letters, digits and '-'.
NAME_MIN = 3
NAME_MAX = 30
NAME_ALLOWED = re.compile(r"[A-Za-z0-9-]*")

# SEED-R3: the description is limited in bytes, not characters.
DESCRIPTION_MAX_BYTES = 1000

# SEED-R10: xml is the default.
RESPONSE_FORMATS: tuple[str, ...] = ("xml", "json")

LIST_PREFIX = "blockStorageList"

# The parameters the seed lists, in the order the official SDKs send them.
TOP_LEVEL_KEYS: tuple[str, ...] = (
    "regionCode",
    "serverImageName",
    "serverImageDescription",
    "responseFormatType",
)
ENTRY_FIELDS: tuple[str, ...] = (
    "order",
    "snapshotInstanceNo",
    "blockStorageSize",
    "blockStorageVolumeTypeCode",
    "emptyBlockStorage",
)
