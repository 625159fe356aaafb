"""Success bodies the contract allows, in JSON and XML, with the reading a client must get.

Each `LegalAnswer` is one createServerImageFromSnapshot success body (SEED-S1..S4) and
`reading`, the values it carries in plain Python: instance numbers as digit strings, sizes
and counts as `int`, flags as `bool`, absent optional fields as `None`. The draws lean on
the surprising-but-legal: instance numbers beyond 2**31 and 2**63, the snapshot number bare
or quoted (SEED-S4 allows both), empty and 21-entry mapping lists, optional fields left
out, long names and descriptions in any script, shuffled JSON keys and either JSON layout.

Text never holds what XML 1.0 cannot carry, nor a carriage return (an XML parser turns it
into a line feed), so both formats carry the same reading.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from hypothesis import strategies as st

from harness.contract.model import ACTION
from harness.contract.rules import DESCRIPTION_MAX_BYTES, VOLUME_TYPES
from harness.core.xmlcodec import to_xml
from harness.strategies.valid import names

__all__ = ["CODE_FIELDS", "LegalAnswer", "legal_answers"]

Format = Literal["json", "xml"]

CODE_FIELDS: dict[str, tuple[str, ...]] = {
    "serverImageType": ("NCP", "SELF"),
    "serverImageLifeCyclePhase": ("IN_SERVICE", "FADE_OUT", "RETIRED"),
    "hypervisorType": ("XEN", "KVM"),
    "cpuArchitectureType": ("X86_64", "ARM64"),
    "osCategoryType": ("LINUX", "WINDOWS"),
    "osType": ("UBUNTU", "ROCKY", "WINDOWS"),
    "serverImageStatus": ("INIT", "CREAT", "CREFL"),
    "serverImageOperation": ("NULL", "CREAT"),
    "shareStatus": ("NULL", "SHARED"),
}
"""The code/codeName pairs of SEED-S3 and the codes they take."""

_BOUNDARY_NUMBERS = (1, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 10**20)
_GIB = 2**30


@dataclass(frozen=True)
class LegalAnswer:
    """One legal success body, its format, and what a correct reading of it holds."""

    format: Format
    body: bytes
    reading: dict[str, Any]

    @property
    def text(self) -> str:
        """The body as text, for reports."""
        return self.body.decode("utf-8")


def _text(min_size: int = 0, max_size: int = 60) -> st.SearchStrategy[str]:
    """Any script, emoji and marks included; nothing XML 1.0 refuses, no carriage return."""
    alphabet = st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\n",
                             exclude_characters="\ufffe\uffff")
    return st.text(alphabet, min_size=min_size, max_size=max_size)


def _number() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(1, 2**31 - 1), st.integers(2**31, 2**64),
                     st.sampled_from(_BOUNDARY_NUMBERS))


def _description() -> st.SearchStrategy[str | None]:
    return st.none() | _text(0, 400).filter(
        lambda s: len(s.encode("utf-8")) <= DESCRIPTION_MAX_BYTES)


@st.composite
def _code(draw: st.DrawFn, codes: tuple[str, ...]) -> dict[str, str]:
    return {"code": draw(st.sampled_from(codes)), "codeName": draw(_text(0, 40))}


@st.composite
def _mapping(draw: st.DrawFn, order: int) -> tuple[dict[str, Any], bool]:
    """A mapping's reading, and whether JSON prints its snapshot number bare (SEED-S4)."""
    from_snapshot = draw(st.booleans())
    snapshot_no = str(draw(_number())) if from_snapshot else None
    reading = {
        "order": order,
        "blockStorageSnapshotInstanceNo": snapshot_no,
        "blockStorageSnapshotName": draw(_text(0, 120)) if from_snapshot else None,
        "blockStorageSize": draw(st.integers(1, 1638)) * 10 * _GIB,
        "blockStorageVolumeType": draw(_code(VOLUME_TYPES)),
        "iops": draw(st.integers(0, 2**40)),
        "throughput": draw(st.integers(0, 2**40)),
        "isEncryptedVolume": draw(st.booleans()),
    }
    return reading, draw(st.booleans())


@st.composite
def _image(draw: st.DrawFn) -> tuple[dict[str, Any], list[bool]]:
    count = draw(st.sampled_from([0, 1, 2, 21]) | st.integers(0, 21))
    mappings = [draw(_mapping(order)) for order in range(count)]
    image: dict[str, Any] = {
        "serverImageNo": str(draw(_number())),
        "serverImageName": draw(names()),
        "serverImageDescription": draw(_description()),
    }
    image.update({field: draw(_code(codes)) for field, codes in CODE_FIELDS.items()})
    wall = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31))  # noqa: DTZ001 - naive
    stamp = draw(wall).strftime("%Y-%m-%dT%H:%M:%S")  # on purpose: the offset is drawn apart
    offset = draw(st.sampled_from(["+0900", "+0000", "-0530", "+1400"]))
    image.update({
        "serverImageStatusName": draw(_text(0, 30)),
        "blockStorageMappingList": [m for m, _ in mappings],
        "sharedLoginIdList": draw(st.lists(_text(1, 30), max_size=3)),
        "serverImageProductCode": draw(_text(0, 40)),
        "createDate": f"{stamp}{offset}",
        "platformCategoryCode": draw(st.sampled_from(["OS", "APP", "DBMS"])),
    })
    return image, [bare for _, bare in mappings]


@st.composite
def legal_answers(draw: st.DrawFn,
                  formats: tuple[Format, ...] = ("json", "xml")) -> LegalAnswer:
    """A legal success body in one of `formats`, and its reading."""
    fmt = draw(st.sampled_from(formats))
    image, bare = draw(_image())
    reading = {"requestId": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)), version=4)),
               "returnCode": "0", "returnMessage": draw(st.sampled_from(["success", ""])),
               "totalRows": 1, "serverImageList": [image]}
    wire = _wire(reading, bare, for_json=fmt == "json")
    if fmt == "xml":
        return LegalAnswer(fmt, to_xml({f"{ACTION}Response": wire}), reading)
    if draw(st.booleans()):
        wire = _shuffled(wire, draw(st.randoms(use_true_random=False)))
    indent = draw(st.sampled_from([None, 2]))
    text = json.dumps({f"{ACTION}Response": wire}, indent=indent,
                      ensure_ascii=draw(st.booleans()))
    return LegalAnswer(fmt, text.encode("utf-8"), reading)


def _wire(reading: dict[str, Any], bare: list[bool], *, for_json: bool) -> dict[str, Any]:
    """The body's data: absent fields left out, snapshot numbers bare where drawn so."""
    image = {k: v for k, v in reading["serverImageList"][0].items() if v is not None}
    mappings = []
    for mapping, is_bare in zip(image["blockStorageMappingList"], bare, strict=True):
        row = {k: v for k, v in mapping.items() if v is not None}
        number = row.get("blockStorageSnapshotInstanceNo")
        if for_json and is_bare and number is not None:
            row["blockStorageSnapshotInstanceNo"] = int(number)
        mappings.append(row)
    image["blockStorageMappingList"] = mappings
    return {**reading, "serverImageList": [image]}


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON with every object's keys in another order (RFC 8259: unordered)."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value
