"""Each seed rule split into its clauses, one promise each, in the seed's own words.

A rule is several promises: SEED-R9 says `emptyBlockStorage` is a boolean (SEED-R9.1),
that `true` makes a new empty storage (R9.2), that `false` then needs
`snapshotInstanceNo` (R9.3) and that it is not allowed on the base storage (R9.4). The
oracle's breaches name the clause they break, and so do the violations, the reports and
junit, so "SEED-R9: 50 rejected" can no longer hide a promise nobody tested.

A clause *refuses* when a request that breaks it must be refused (a breaker can show
that), *allows* when a request at its edge must be accepted (a valid class can show that:
a name of exactly 30 characters, a size equal to the snapshot's), or both. The response
clauses (SEED-S1..S6) are promises about answers. `with_` names the clauses the smallest
request breaking this one cannot help breaking too: no snapshot on an attached storage
breaks SEED-R5.2 and SEED-R9.3 at once; an entry with neither a snapshot nor a type is a
new storage without its type, SEED-R6.1 and SEED-R8.3; 22 entries need an order above 20
(SEED-R4.5), or one sent twice, which is the open case U6 and no breach at all. The words
are those of the seed's rendering in the README ("The rules"), cut at their commas and
semicolons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = ["CLAUSES", "Clause", "clauses_of", "rule_of"]

Kind = Literal["refuses", "allows", "both", "answers"]


@dataclass(frozen=True, slots=True)
class Clause:
    """One promise of a seed rule: its id (SEED-R9.3), what it promises, and how it shows."""

    id: str
    says: str
    kind: Kind
    with_: tuple[str, ...] = ()
    """Clauses the smallest request breaking this one cannot help breaking as well."""

    @property
    def rule(self) -> str:
        """The rule the clause belongs to: SEED-R9 for SEED-R9.3."""
        return rule_of(self.id)

    @property
    def refuses(self) -> bool:
        """A request breaking it must be refused."""
        return self.kind in ("refuses", "both")

    @property
    def allows(self) -> bool:
        """A request at its edge must be accepted."""
        return self.kind in ("allows", "both")


def rule_of(clause_id: str) -> str:
    """SEED-R9 for SEED-R9.3; a rule's own id is its own rule."""
    return clause_id.split(".", 1)[0]


def _table(*rows: Clause) -> Mapping[str, Clause]:
    return MappingProxyType({row.id: row for row in rows})


CLAUSES: Mapping[str, Clause] = _table(
    Clause("SEED-R1.1", "regionCode is optional", "allows"),
    Clause("SEED-R1.2", "a region from getRegionList", "both"),
    Clause("SEED-R1.3", "default: the first region of that list", "allows"),
    Clause("SEED-R2.1", "serverImageName is required", "refuses"),
    Clause("SEED-R2.2", "3 to 30 characters", "both"),
    Clause("SEED-R2.3", "letters, digits and '-'", "refuses"),
    Clause("SEED-R2.4", "first character a lowercase letter", "refuses"),
    Clause("SEED-R2.5", "last character a lowercase letter or a digit", "refuses"),
    Clause("SEED-R3.1", "serverImageDescription is optional", "allows"),
    Clause("SEED-R3.2", "0 to 1000 bytes (not characters)", "both"),
    Clause("SEED-R4.1", "order is required for every list entry", "refuses"),
    Clause("SEED-R4.2", "order is an integer", "refuses"),
    Clause("SEED-R4.3", "the base (boot) storage has order 0 and is required", "refuses"),
    Clause("SEED-R4.4", "exactly one base storage", "refuses"),
    Clause("SEED-R4.5", "additional storages have orders 1 to 20", "both"),
    Clause("SEED-R4.6", "at most 21 entries including the base", "both",
           with_=("SEED-R4.5",)),
    Clause("SEED-R5.1", "snapshotInstanceNo is required for the base storage", "refuses",
           with_=("SEED-R6.1",)),
    Clause("SEED-R5.2", "snapshotInstanceNo is required when an existing snapshot is attached"
           " as an additional storage", "refuses", with_=("SEED-R9.3",)),
    Clause("SEED-R5.3", "from getBlockStorageSnapshotInstanceList", "refuses"),
    Clause("SEED-R5.4", "only snapshots with isBootable=true may be used", "refuses"),
    Clause("SEED-R6.1", "every entry carries snapshotInstanceNo or blockStorageVolumeTypeCode,"
           " at least one of the two", "refuses", with_=("SEED-R8.3",)),
    Clause("SEED-R7.1", "blockStorageSize is an integer, in GB", "refuses"),
    Clause("SEED-R7.2", "with snapshotInstanceNo at least the snapshot's size", "both"),
    Clause("SEED-R7.3", "required when a new (empty) storage is added", "refuses"),
    Clause("SEED-R7.4", "per-type limits of the storage spec", "both"),
    Clause("SEED-R8.1", "one of CB1, CB2, FB1, FB2", "refuses"),
    Clause("SEED-R8.2", "not allowed on the base storage", "refuses"),
    Clause("SEED-R8.3", "required when a new storage is added", "refuses",
           with_=("SEED-R6.1",)),
    Clause("SEED-R8.4", "when an existing snapshot is attached the type may be changed",
           "allows"),
    Clause("SEED-R9.1", "emptyBlockStorage is a boolean", "refuses"),
    Clause("SEED-R9.2", "true creates a new empty storage", "allows"),
    Clause("SEED-R9.3", "false does not (then snapshotInstanceNo is required)", "refuses",
           with_=("SEED-R5.2",)),
    Clause("SEED-R9.4", "not allowed on the base storage", "refuses"),
    Clause("SEED-R10.1", "responseFormatType is optional; xml (default) or json", "allows"),
    Clause("SEED-R11.1", "the image is made from KVM-based snapshots: a XEN snapshot cannot be"
           " used", "refuses"),
    Clause("SEED-S1.1", "the success body wraps one object, createServerImageFromSnapshotResponse",
           "answers"),
    Clause("SEED-S2.1", "the wrapper carries requestId (UUID)", "answers"),
    Clause("SEED-S2.2", "returnCode ('0' on success) and returnMessage", "answers"),
    Clause("SEED-S2.3", "totalRows and serverImageList", "answers"),
    Clause("SEED-S3.1", "each server image carries its number, name, code/codeName pairs,"
           " status name, block storage mappings, shared login ids, product code, createDate,"
           " platform", "answers"),
    Clause("SEED-S4.1", "each mapping carries order, snapshot number, snapshot name, size,"
           " volume type, iops, throughput, isEncryptedVolume", "answers"),
    Clause("SEED-S4.2", "blockStorageSize in bytes (10737418240 for a 10 GB request)",
           "answers"),
    Clause("SEED-S5.1", "error status codes are the Server API's common ones", "answers"),
    Clause("SEED-S6.1", "the default response format is XML", "answers"),
)
"""Every clause of RULES, in seed order."""


def clauses_of(rule: str) -> tuple[Clause, ...]:
    """The clauses of one rule, in order."""
    return tuple(c for c in CLAUSES.values() if c.rule == rule)
