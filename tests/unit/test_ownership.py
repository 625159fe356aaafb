"""The ownership proofs: what a create answer proves, what a name may recover, what refuses."""

from __future__ import annotations

import pytest

from harness.core.ownership import (
    CLOCK_SKEW_S,
    Attempt,
    ImageRow,
    claim,
    create_time,
    mismatch,
    recoverable,
    rows_of,
)

SENT = 1796198400.0  # 2026-12-02T17:00:00+0900
ATTEMPT = Attempt(1, "abct4g0001", "KR", SENT, unique=True)
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


def test_recovery_by_name_wants_the_name_a_later_create_time_and_a_new_number() -> None:
    early = f"2026-12-02T16:{59 - int(CLOCK_SKEW_S // 60)}:00+0900"  # skew and a minute before
    rows = [row("200"), row("201", "other"), row("100"), row("202", date=early),
            row("203", date=""), row("204")]
    assert [r.number for r in recoverable(ATTEMPT, rows, INVENTORY, {"204"})] == ["200"]
    within = f"2026-12-02T16:{60 - int(CLOCK_SKEW_S // 60)}:00+0900"  # just inside the skew
    assert recoverable(ATTEMPT, [row("205", date=within)], INVENTORY, set())


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
