"""The rules oracle: accept and reject examples per seed rule, open cases, and properties.

Each example is written from the seed's words (../shared/seed/README.md); the expected
rule ids are exact, so a rule that fires where it should not fails the test too.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.contract.account import Account
from harness.contract.limits import LimitsProfile, VolumeTypeLimits
from harness.contract.model import BlockStorage, CreateImageRequest, Params
from harness.contract.oracle import Outcome, Verdict, judge
from harness.contract.rules import OPEN_CASES, RULES
from harness.sim.scenario import sample_account
from tests.helpers import valid_requests

BASE: dict[str, object] = {"order": 0, "snapshotInstanceNo": "1000001"}


def new(order: object, size: object = 100, vtype: object = "CB1") -> dict[str, object]:
    return {"order": order, "blockStorageSize": size, "blockStorageVolumeTypeCode": vtype,
            "emptyBlockStorage": "true"}


def attach(order: object, snap: str = "1000002", **more: object) -> dict[str, object]:
    return {"order": order, "snapshotInstanceNo": snap, "emptyBlockStorage": "false", **more}


def wire(*entries: dict[str, object], **top: object) -> Params:
    values = {"serverImageName": "img-1", **top}
    pairs = [(k, str(v)) for k, v in values.items() if v is not None]
    for n, entry in enumerate(entries, start=1):
        pairs += [(f"blockStorageList.{n}.{field}", str(v)) for field, v in entry.items()]
    return tuple(pairs)


ACCEPT = Outcome.ACCEPT
REJECT = Outcome.REJECT
OPEN = Outcome.UNSPECIFIED

# (id, params, outcome, rule ids for a reject / open-case ids for unspecified)
EXAMPLES: list[tuple[str, Params, Outcome, set[str]]] = [
    # SEED-R1 regionCode: optional; a region of getRegionList
    ("SEED-R1 absent", wire(BASE), ACCEPT, set()),
    ("SEED-R1 listed region", wire(BASE, regionCode="SGN"), ACCEPT, set()),
    ("SEED-R1 unknown region", wire(BASE, regionCode="XX"), REJECT, {"SEED-R1"}),
    ("SEED-R1 region in lower case is not listed", wire(BASE, regionCode="kr"),
     REJECT, {"SEED-R1"}),
    # SEED-R2 serverImageName: required; 3-30; letters, digits, '-'; a-z first; a-z/0-9 last
    ("SEED-R2 three characters", wire(BASE, serverImageName="abc"), ACCEPT, set()),
    ("SEED-R2 thirty characters", wire(BASE, serverImageName="a" * 29 + "1"), ACCEPT, set()),
    ("SEED-R2 hyphens inside", wire(BASE, serverImageName="my-img-2025"), ACCEPT, set()),
    ("SEED-R2 missing", wire(BASE, serverImageName=None), REJECT, {"SEED-R2"}),
    ("SEED-R2 two characters", wire(BASE, serverImageName="ab"), REJECT, {"SEED-R2"}),
    ("SEED-R2 thirty-one characters", wire(BASE, serverImageName="a" * 31), REJECT, {"SEED-R2"}),
    ("SEED-R2 digit first", wire(BASE, serverImageName="1abc"), REJECT, {"SEED-R2"}),
    ("SEED-R2 upper case first", wire(BASE, serverImageName="Abc"), REJECT, {"SEED-R2"}),
    ("SEED-R2 hyphen last", wire(BASE, serverImageName="abc-"), REJECT, {"SEED-R2"}),
    ("SEED-R2 underscore", wire(BASE, serverImageName="ab_c"), REJECT, {"SEED-R2"}),
    ("SEED-R2 non-ASCII letter", wire(BASE, serverImageName="abé1"), REJECT, {"SEED-R2"}),
    # SEED-R3 serverImageDescription: 0 to 1000 bytes, not characters
    ("SEED-R3 empty", wire(BASE, serverImageDescription=""), ACCEPT, set()),
    ("SEED-R3 1000 ASCII bytes", wire(BASE, serverImageDescription="x" * 1000), ACCEPT, set()),
    ("SEED-R3 1001 ASCII bytes", wire(BASE, serverImageDescription="x" * 1001),
     REJECT, {"SEED-R3"}),
    ("SEED-R3 exactly 1000 bytes of multi-byte text",
     wire(BASE, serverImageDescription="あ" * 333 + "a"), ACCEPT, set()),
    ("SEED-R3 334 characters but 1002 bytes",
     wire(BASE, serverImageDescription="あ" * 334), REJECT, {"SEED-R3"}),
    # SEED-R4 order: required integer; exactly one 0; additional 1-20; at most 21 entries
    ("SEED-R4 base plus twenty", wire(BASE, *[new(i) for i in range(1, 21)]), ACCEPT, set()),
    ("SEED-R4 twenty-two entries", wire(BASE, *[new(i) for i in range(1, 22)]),
     REJECT, {"SEED-R4"}),
    ("SEED-R4 base need not be first", wire(new(1), BASE), ACCEPT, set()),
    ("SEED-R4 no entries", wire(), REJECT, {"SEED-R4"}),
    ("SEED-R4 order missing", wire({"snapshotInstanceNo": "1000001"}), REJECT, {"SEED-R4"}),
    ("SEED-R4 order not an integer", wire(BASE, {**new(1), "order": "one"}), REJECT, {"SEED-R4"}),
    ("SEED-R4 order 21", wire(BASE, new(21)), REJECT, {"SEED-R4"}),
    ("SEED-R4 order -1", wire(BASE, new(-1)), REJECT, {"SEED-R4"}),
    ("SEED-R4 two bases", wire(BASE, BASE), REJECT, {"SEED-R4"}),
    ("SEED-R4 no base", wire(new(1)), REJECT, {"SEED-R4"}),
    # SEED-R5 snapshotInstanceNo: on the base and on attached snapshots; bootable only
    ("SEED-R5 base without snapshot",
     wire({"order": 0, "blockStorageSize": 10}), REJECT, {"SEED-R5", "SEED-R6"}),
    ("SEED-R5 unknown snapshot", wire({"order": 0, "snapshotInstanceNo": "999"}), REJECT,
     {"SEED-R5"}),
    ("SEED-R5 non-bootable base", wire({"order": 0, "snapshotInstanceNo": "1000003"}), REJECT,
     {"SEED-R5"}),
    ("SEED-R5 attached bootable snapshot", wire(BASE, attach(1)), ACCEPT, set()),
    ("SEED-R5 attach without snapshot",
     wire(BASE, {"order": 1, "blockStorageVolumeTypeCode": "CB1", "emptyBlockStorage": "false"}),
     REJECT, {"SEED-R5", "SEED-R9"}),
    ("SEED-R5 unknown attached snapshot", wire(BASE, attach(1, "42")), REJECT, {"SEED-R5"}),
    # SEED-R6: snapshotInstanceNo or blockStorageVolumeTypeCode on every entry
    ("SEED-R6 neither on a new storage",
     wire(BASE, {"order": 1, "blockStorageSize": 100, "emptyBlockStorage": "true"}), REJECT,
     {"SEED-R6", "SEED-R8"}),
    ("SEED-R6 snapshot only", wire(BASE, {"order": 1, "snapshotInstanceNo": "1000002",
                                     "emptyBlockStorage": "false"}), ACCEPT, set()),
    # SEED-R7 size: integer GB; >= the snapshot; required for a new storage; type limits
    ("SEED-R7 new without size",
     wire(BASE, {"order": 1, "blockStorageVolumeTypeCode": "CB1", "emptyBlockStorage": "true"}),
     REJECT, {"SEED-R7"}),
    ("SEED-R7 not an integer", wire(BASE, new(1, size="ten")), REJECT, {"SEED-R7"}),
    ("SEED-R7 below the minimum", wire(BASE, new(1, size=5)), REJECT, {"SEED-R7"}),
    ("SEED-R7 the minimum", wire(BASE, new(1, size=10)), ACCEPT, set()),
    ("SEED-R7 the maximum", wire(BASE, new(1, size=16380)), ACCEPT, set()),
    ("SEED-R7 above the maximum", wire(BASE, new(1, size=16390)), REJECT, {"SEED-R7"}),
    ("SEED-R7 off the 10 GB step", wire(BASE, new(1, size=15)), REJECT, {"SEED-R7"}),
    ("SEED-R7 base at the snapshot's size",
     wire({"order": 0, "snapshotInstanceNo": "1000002", "blockStorageSize": 50}), ACCEPT, set()),
    ("SEED-R7 base smaller than its snapshot",
     wire({"order": 0, "snapshotInstanceNo": "1000002", "blockStorageSize": 40}), REJECT,
     {"SEED-R7"}),
    ("SEED-R7 one byte over 15 GB needs 20",
     wire({"order": 0, "snapshotInstanceNo": "1000006", "blockStorageSize": 20}), ACCEPT, set()),
    ("SEED-R7 one byte over 10 GB does not fit 10",
     wire({"order": 0, "snapshotInstanceNo": "1000006", "blockStorageSize": 10}), REJECT,
     {"SEED-R7"}),
    ("SEED-R7 attached smaller than its snapshot",
     wire(BASE, attach(1, blockStorageSize=40)), REJECT, {"SEED-R7"}),
    # SEED-R8 volume type: CB1|CB2|FB1|FB2; not on the base; required when new; may change
    *[(f"SEED-R8 new {t}", wire(BASE, new(1, vtype=t)), ACCEPT, set())
      for t in ("CB1", "CB2", "FB1", "FB2")],
    ("SEED-R8 on the base", wire({**BASE, "blockStorageVolumeTypeCode": "CB1"}),
     REJECT, {"SEED-R8"}),
    ("SEED-R8 unknown type", wire(BASE, new(1, vtype="CB3")), REJECT, {"SEED-R8"}),
    ("SEED-R8 no type with a snapshot and true is U2",
     wire(BASE, {"order": 1, "blockStorageSize": 100, "snapshotInstanceNo": "1000002",
                 "emptyBlockStorage": "true"}),
     OPEN, {"U2"}),
    ("SEED-R8 new without type or snapshot",
     wire(BASE, {"order": 1, "blockStorageSize": 100, "emptyBlockStorage": "true"}),
     REJECT, {"SEED-R6", "SEED-R8"}),
    ("SEED-R8 attached snapshot changes type",
     wire(BASE, attach(1, blockStorageVolumeTypeCode="FB2")), ACCEPT, set()),
    # SEED-R9 emptyBlockStorage: boolean; not on the base; false needs a snapshot
    ("SEED-R9 true creates a new storage", wire(BASE, new(1)), ACCEPT, set()),
    ("SEED-R9 false attaches the snapshot", wire(BASE, attach(1)), ACCEPT, set()),
    ("SEED-R9 on the base", wire({**BASE, "emptyBlockStorage": "false"}), REJECT, {"SEED-R9"}),
    ("SEED-R9 not a boolean", wire(BASE, {**attach(1), "emptyBlockStorage": "yes"}), REJECT,
     {"SEED-R9"}),
    # SEED-R10 responseFormatType: xml (default) or json
    ("SEED-R10 xml", wire(BASE, responseFormatType="xml"), ACCEPT, set()),
    ("SEED-R10 json", wire(BASE, responseFormatType="json"), ACCEPT, set()),
    # SEED-R11: KVM-based snapshots only
    ("SEED-R11 KVM snapshots", wire(BASE, attach(1, "1000006")), ACCEPT, set()),
    ("SEED-R11 XEN base", wire({"order": 0, "snapshotInstanceNo": "1000004"}),
     REJECT, {"SEED-R11"}),
    ("SEED-R11 XEN attached", wire(BASE, attach(1, "1000004")), REJECT, {"SEED-R11"}),
    # Open cases (ncp-api.md section 7, and this project's UH cases)
    ("U1 attached snapshot without the flag",
     wire(BASE, {"order": 1, "snapshotInstanceNo": "1000002"}), OPEN, {"U1"}),
    ("U1 new storage without the flag",
     wire(BASE, {"order": 1, "blockStorageSize": 100, "blockStorageVolumeTypeCode": "CB1"}),
     OPEN, {"U1"}),
    ("U1 without flag and invalid either way",
     wire(BASE, {"order": 1}), REJECT, {"SEED-R6", "SEED-R7", "SEED-R8"}),
    ("U2 true with a snapshot", wire(BASE, {**new(1), "snapshotInstanceNo": "1000002"}), OPEN,
     {"U2"}),
    ("U3 non-bootable attached", wire(BASE, attach(1, "1000003")), OPEN, {"U3"}),
    ("U4 upper case inside", wire(BASE, serverImageName="myImage1"), OPEN, {"U4"}),
    ("U5 gaps in orders", wire(BASE, new(5), new(9)), OPEN, {"U5"}),
    ("U6 the same order twice", wire(BASE, new(1), new(1)), OPEN, {"U6"}),
    ("U7 gap in N", (("serverImageName", "img-1"), ("blockStorageList.1.order", "0"),
                     ("blockStorageList.1.snapshotInstanceNo", "1000001"),
                     ("blockStorageList.3.order", "1"),
                     ("blockStorageList.3.snapshotInstanceNo", "1000002"),
                     ("blockStorageList.3.emptyBlockStorage", "false")), OPEN, {"U7"}),
    ("U7 N not a number", (("serverImageName", "img-1"), ("blockStorageList.a.order", "0"),
                           ("blockStorageList.a.snapshotInstanceNo", "1000001")), OPEN, {"U7"}),
    ("U7 with a breach every reading sees",
     (("serverImageName", "1bad"), ("blockStorageList.2.order", "0"),
      ("blockStorageList.2.snapshotInstanceNo", "1000001")), REJECT, {"SEED-R2"}),
    ("U8 noBlockStorage", (*wire(BASE), ("blockStorageList.1.noBlockStorage", "true")), OPEN,
     {"U8"}),
    ("U8 unknown top-level key", (*wire(BASE), ("dryRun", "true")), OPEN, {"U8"}),
    ("U9 unknown format", wire(BASE, responseFormatType="yaml"), OPEN, {"U9"}),
    ("U9 empty format", wire(BASE, responseFormatType=""), OPEN, {"U9"}),
    ("U10 name in use", wire(BASE, serverImageName="existing-image"), OPEN, {"U10"}),
    ("UH1 a key twice", (*wire(BASE), ("serverImageName", "img-2")), OPEN, {"UH1"}),
    ("UH1 twice, invalid both times", (*wire(BASE, serverImageName="A"),
                                       ("serverImageName", "B")), REJECT, {"SEED-R2"}),
    ("UH2 True", wire(BASE, {**new(1), "emptyBlockStorage": "True"}), OPEN, {"UH2"}),
    ("UH3 snapshot still INIT", wire({"order": 0, "snapshotInstanceNo": "1000005"}), OPEN,
     {"UH3"}),
    ("UH4 empty region", wire(BASE, regionCode=""), OPEN, {"UH4"}),
    ("UH4 empty type on the base", wire({**BASE, "blockStorageVolumeTypeCode": ""}), OPEN,
     {"UH4"}),
]


@pytest.mark.parametrize(("params", "outcome", "ids"), [e[1:] for e in EXAMPLES],
                         ids=[e[0] for e in EXAMPLES])
def test_example(params: Params, outcome: Outcome, ids: set[str], account: Account) -> None:
    verdict = judge(params, account)
    assert verdict.outcome is outcome, str(verdict)
    if outcome is REJECT:
        assert set(verdict.rules) == ids, str(verdict)
    elif outcome is OPEN:
        assert set(verdict.cases) == ids, str(verdict)
    else:
        assert not verdict.breaches
        assert not verdict.open_cases


def test_every_rule_and_open_case_has_an_example() -> None:
    labels = {e[0].split()[0] for e in EXAMPLES}
    for rule in (r for r in RULES if r.startswith("SEED-R")):
        outcomes = {e[2] for e in EXAMPLES if e[0].split()[0] == rule}
        # SEED-R10 cannot reject: any other format is the open case U9.
        expected = {ACCEPT} if rule == "SEED-R10" else {ACCEPT, REJECT}
        assert expected <= outcomes, rule
    assert set(OPEN_CASES) <= labels


def test_messages_name_the_parameter_and_the_value(account: Account) -> None:
    verdict = judge(wire(BASE, new(1, size=15)), account)
    (breach,) = verdict.breaches
    assert breach.path == "blockStorageList.2.blockStorageSize"
    assert "'15'" in breach.message
    assert "10 to 16380 GB in steps of 10 GB" in breach.message


def test_typed_requests_and_mappings_are_judged_like_wire(account: Account) -> None:
    typed = CreateImageRequest("img-1", (BlockStorage(0, "1000001"),
                                         BlockStorage(1, None, 100, "CB1", empty=True)))
    assert judge(typed, account).outcome is ACCEPT
    assert judge(dict(wire(BASE)), account).outcome is ACCEPT


def test_limits_come_from_the_account() -> None:
    small = replace(sample_account(), limits=LimitsProfile(
        {"CB1": VolumeTypeLimits(10, 100, 10)}, max_entries=2, max_order=1))
    assert judge(wire(BASE, new(1, size=100)), small).outcome is ACCEPT
    assert judge(wire(BASE, new(1, size=110)), small).rules == ("SEED-R7",)
    assert judge(wire(BASE, new(1, vtype="CB2")), small).outcome is ACCEPT  # listed by seed
    assert judge(wire(BASE, new(2)), small).rules == ("SEED-R4",)


# --- properties -------------------------------------------------------------------------

KEYS = ["serverImageName", "serverImageDescription", "regionCode", "responseFormatType",
        "noBlockStorage", *[f"blockStorageList.{n}.{f}" for n in ("1", "2", "3", "0", "x", "")
                            for f in ("order", "snapshotInstanceNo", "blockStorageSize",
                                      "blockStorageVolumeTypeCode", "emptyBlockStorage", "y")]]
VALUES = st.one_of(st.sampled_from(["0", "1", "20", "21", "-1", "1000001", "1000003", "1000004",
                                    "CB1", "FB2", "true", "false", "True", "", "img-1", "KR",
                                    "json", "xml", "10", "100"]),
                   st.text(max_size=12))
ARBITRARY = st.lists(st.tuples(st.sampled_from(KEYS) | st.text(max_size=8), VALUES),
                     max_size=14).map(tuple)


def _consistent(verdict: Verdict) -> bool:
    if verdict.outcome is REJECT:
        return bool(verdict.breaches)
    if verdict.outcome is OPEN:
        return bool(verdict.open_cases) and not verdict.breaches
    return not verdict.breaches and not verdict.open_cases


@given(ARBITRARY)
def test_any_parameters_get_exactly_one_consistent_verdict(params: Params) -> None:
    verdict = judge(params, sample_account())
    assert verdict.outcome in set(Outcome)
    assert _consistent(verdict)


@given(valid_requests(sample_account()))
def test_valid_by_construction_is_accepted(request_value: CreateImageRequest) -> None:
    verdict = judge(request_value, sample_account())
    assert verdict.outcome is ACCEPT, str(verdict)
