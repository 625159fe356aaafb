"""Volume-type limits, whatever unit and spelling a gateway answers them in."""

from __future__ import annotations

import pytest

from harness.contract.account import GIB
from harness.contract.volumetypes import PLAUSIBLE_GB, learn, size_of


def row(code: str, low: object, high: object, **extra: object) -> dict[str, object]:
    return {"blockStorageVolumeType": {"code": code, "codeName": code},
            "minVolumeSize": low, "maxVolumeSize": high, **extra}


@pytest.mark.parametrize(("rows", "unit", "limits"), [
    ([row("CB1", 10 * GIB, 16380 * GIB)], "bytes", (10, 16380)),  # the reference's example
    ([row("CB1", 10, 16380)], "GB", (10, 16380)),
    ([row("CB1", "10737418240", "2199023255552")], "bytes", (10, 2048)),  # XML text
    ([row("CB1", 10 * GIB + 1, 100 * GIB - 1)], "bytes", (11, 99)),  # whole GB inside
    ([row("CB1", 20, 40), row("FB1", 20 * GIB, 40 * GIB)], "GB and bytes", (20, 40)),
    ([row("CB1", 0, 0), "junk", row("CB1", True, 5)], "none", (10, 16380)),
    # a code no request may send (an older account's SSD) still says the unit
    ([row("SSD", 10 * GIB, 2048 * GIB)], "bytes", (10, 16380)),
])
def test_the_unit_is_learned_from_what_is_plausible(rows: list[object], unit: str,
                                                   limits: tuple[int, int]) -> None:
    learned = learn(rows)
    assert learned.unit == " and ".join(sorted(unit.split(" and ")))
    cb1 = learned.limits.for_type("CB1")
    assert (cb1.min_gb, cb1.max_gb) == limits
    assert learned.limits.for_type("CB2").max_gb == 16380  # not listed: the default


def test_a_plausible_number_of_gb_is_a_petabyte_at_most() -> None:
    assert learn([row("CB1", 10, PLAUSIBLE_GB)]).unit == "GB"
    assert learn([row("CB1", PLAUSIBLE_GB + 1, 2 * GIB)]).unit == "bytes"
    assert learn([row("CB1", 10, PLAUSIBLE_GB + 1)]).unit == "none"  # 0 whole GB: unusable


@pytest.mark.parametrize(("value", "size"), [(5, 5), ("5", 5), (-1, None), (True, None),
                                             ("5.0", None), ("٣", None), ("9" * 21, None),
                                             (None, None), ({"a": 1}, None)])
def test_sizes_are_whole_numbers_or_nothing(value: object, size: int | None) -> None:
    assert size_of(value) == size
