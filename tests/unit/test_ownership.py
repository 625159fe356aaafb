"""The ownership proofs: what a create answer proves, what a name may recover, what refuses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.core.imagerow import ImageRow, create_time, rows_of
from harness.core.skew import Skew
from harness.custody.ownership import (
    CLOCK_SKEW_S,
    Attempt,
    claim,
    mismatch,
    sighting,
    window_of,
)

SENT = 1796198400.0  # 2026-12-02T17:00:00+0900
ATTEMPT = Attempt(1, "abct4g0001", "KR", SENT, unique=True)
MEASURED = Skew(-0.2, 0.4)  # the service's clock 0.2 s behind to 0.4 s ahead of ours
INVENTORY = frozenset({"100"})


def row(number: str, name: str = "abct4g0001", date: str = "2026-12-02T17:00:01+0900",
        status: str = "INIT", operation: str = "NULL") -> ImageRow:
    return ImageRow(number, name, date, status, operation)


def test_an_answer_naming_exactly_the_new_image_proves_it() -> None:
    found = claim(ATTEMPT, [row("200")], INVENTORY, set())
    assert (found.number, found.violations) == ("200", ())


@pytest.mark.parametrize(("rows", "owned", "says", "proven"), [
    ([row("100")], set(), "existed before the run", None),
    ([row("200"), row("100", "older")], set(), "existed before the run", "200"),
    ([row("150")], {"150"}, "an earlier request of this run", None),
    ([row("200"), row("201")], set(), "one of 2 new images", None),
])
def test_other_numbers_in_an_answer_are_violations_never_the_runs(
        rows: list[ImageRow], owned: set[str], says: str, proven: str | None) -> None:
    found = claim(ATTEMPT, rows, INVENTORY, owned)
    assert found.violations
    assert all(v.rule == "SEED-S3" for v in found.violations)
    assert any(says in v.message for v in found.violations)
    assert found.number == proven


def test_an_answer_under_another_name_or_none_proves_nothing() -> None:
    assert claim(ATTEMPT, [row("200", "other")], INVENTORY, set()).number is None
    assert claim(ATTEMPT, [], INVENTORY, set()).number is None
    nameless = Attempt(2, "", "KR", SENT, unique=False)
    assert claim(nameless, [row("200", "")], INVENTORY, set()).number is None


def _at(seconds: int) -> str:
    """SENT plus `seconds`, in SEED-S3's style."""
    minutes, rest = divmod(seconds, 60)
    return f"2026-12-02T17:{minutes:02d}:{rest:02d}+0900"


def test_a_lost_create_is_recovered_by_its_name_a_later_create_time_and_a_new_number() -> None:
    lost = replace(ATTEMPT, window=window_of(SENT, None, MEASURED), kind="lost")
    rows = [row("201", "other"), row("100"), row("202", date="2026-12-02T16:59:55+0900"),
            row("204"), row("200", date=_at(600))]  # no end: made 10 minutes later is fine
    seen = sighting(lost, rows, INVENTORY, {"204"})
    assert (seen.outcome, [r.number for r in seen.rows]) == ("found", ["200"])
    assert sighting(lost, [row("203", date="")], INVENTORY, set()).outcome == "unclear"
    assert sighting(lost, [row("205"), row("206")], INVENTORY, set()).outcome == "unclear"


def test_a_refused_create_owns_only_an_image_made_before_its_answer() -> None:
    refused = replace(ATTEMPT, window=window_of(SENT, SENT + 1, MEASURED), kind="refused",
                      status=400)
    assert sighting(refused, [row("200", date=_at(1))], INVENTORY, set()).outcome == "found"
    # A colleague copies the name ten seconds after the answer: never the run's.
    assert sighting(refused, [row("201", date=_at(11))], INVENTORY, set()).outcome == "none"
    # Unmeasured (no Date header): an image of the name may be a colleague's; left to a person.
    blind = replace(refused, window=window_of(SENT, SENT + 1, Skew()))
    seen = sighting(blind, [row("200", date=_at(1))], INVENTORY, set())
    assert (seen.outcome, "could not be measured" in seen.why) == ("unclear", True)
    untagged = replace(refused, unique=False)
    assert sighting(untagged, [row("200", date=_at(1))], INVENTORY, set()).outcome == "unclear"


def test_the_unmeasured_window_is_the_gateways_five_minutes() -> None:
    span = window_of(SENT, SENT + 2, None)
    assert not span.measured
    assert span.holds(SENT - CLOCK_SKEW_S)
    assert not span.holds(SENT - CLOCK_SKEW_S - 2)
    assert span.holds(SENT + 2 + CLOCK_SKEW_S)
    measured = window_of(SENT, SENT + 2, MEASURED)
    assert measured.holds(SENT)
    assert measured.holds(SENT + 2)
    assert not measured.holds(SENT + 5)


def test_mismatch_names_what_differs() -> None:
    listed = row("200")
    assert mismatch(listed, name="abct4g0001", sent_at=SENT) is None
    assert mismatch(None, name="x", sent_at=SENT) == "not listed in its region"
    assert "listed as 'abct4g0001'" in (mismatch(listed, name="y", sent_at=SENT) or "")
    assert "not 2026-01-01" in (mismatch(listed, name="abct4g0001", sent_at=SENT,
                                         create_date="2026-01-01T00:00:00+0900") or "")
    late = SENT + 3 * CLOCK_SKEW_S
    assert "before the run's request" in (mismatch(listed, name="abct4g0001",
                                                   sent_at=late) or "")


def test_rows_are_read_tolerantly() -> None:
    rows = rows_of([{"serverImageNo": 7, "serverImageName": "a",
                     "serverImageStatus": {"code": "CREAT"},
                     "serverImageOperation": {"code": "TERMT"}},
                    {"serverImageName": "no number"}, "junk", {"serverImageNo": {"x": 1}}])
    assert rows == [ImageRow("7", "a", "", "CREAT", "TERMT")]
    assert rows[0].terminating
    assert not row("1").terminating
    assert row("1", status="TERMT").terminating
    assert rows_of(None) == []
    assert rows_of({"a": 1}) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-06-26T10:33:37+0900", 1750901617.0),
    ("2025-06-26T01:33:37+0000", 1750901617.0),
    ("2025-06-26T10:33:37.500+09:00", 1750901617.5),
    ("", None), ("yesterday", None), ("2025-06-26T10:33:37", None),
])
def test_create_times_in_the_seeds_style(text: str, expected: float | None) -> None:
    assert create_time(text) == expected
