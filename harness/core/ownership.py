"""What proves an image is the run's own: the rules every deletion must pass, as pure functions.

An image is the run's own only when (a) a create request of this run got a success answer
naming exactly one image whose number was not in the account before the run (the
inventory taken at discovery, all pages) and whose name is the name sent (`claim`), or
(b) a create whose answer never arrived, or arrived unreadable, was sent under a name
unique to the run (`harness.core.names`) and exactly one image of that name exists that was
created after the request was sent and was not in the inventory (`recoverable`). Before
any deletion the image is listed again by number in its region and must still carry that
name and a create time no earlier than the request (`mismatch`). Anything else a create
answer names is a violation to report, never a deletion.

Create times are compared with `CLOCK_SKEW_S` of slack: the gateway refuses signatures
more than five minutes off its clock, so a run whose requests were accepted keeps a clock
within five minutes of the service's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harness.core.errors import Violation

__all__ = ["CLOCK_SKEW_S", "Attempt", "Claim", "ImageRow", "Owned", "claim", "create_time",
           "mismatch", "recoverable", "rows_of"]

CLOCK_SKEW_S = 300.0
TERMINATING = frozenset({"TERMT"})
"""Status or operation codes of an image being deleted (NCP lists it a while longer)."""


@dataclass(frozen=True)
class Attempt:
    """One create request of the run, as the ownership rules need to know it."""

    serial: int
    name: str
    region: str
    sent_at: float
    """When it was sent, seconds since the epoch (this machine's clock)."""
    unique: bool
    """Whether `name` carries the run's tag (sent by this run and nothing else)."""
    label: str = ""

    def describe(self) -> str:
        """The attempt as a report line names it."""
        when = datetime.fromtimestamp(self.sent_at).astimezone().isoformat(timespec="seconds")
        return f"name {self.name or '(none)'!r} in {self.region}, sent {when}" + (
            f" ({self.label})" if self.label else "")


@dataclass(frozen=True)
class ImageRow:
    """One server image as a list answer gives it, reduced to what ownership reads."""

    number: str
    name: str
    create_date: str = ""
    status: str = ""
    operation: str = ""

    @property
    def created(self) -> float | None:
        """The create time in seconds since the epoch, None when absent or unreadable."""
        return create_time(self.create_date)

    @property
    def terminating(self) -> bool:
        """Being deleted: status or operation TERMT (ncp-api.md section 9)."""
        return self.status in TERMINATING or self.operation in TERMINATING


def create_time(text: str) -> float | None:
    """`2025-06-26T10:33:37+0900` (SEED-S3's style) as seconds since the epoch, else None."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        pass
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return None


def _code(value: Any) -> str:
    return str(value.get("code") or "") if isinstance(value, dict) else str(value or "")


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def rows_of(images: Any) -> list[ImageRow]:
    """The readable rows of a `serverImageList` (anything else in it is skipped)."""
    if not isinstance(images, list):
        return []
    return [ImageRow(_text(i.get("serverImageNo")), _text(i.get("serverImageName")),
                     _text(i.get("createDate")), _code(i.get("serverImageStatus")),
                     _code(i.get("serverImageOperation")))
            for i in images if isinstance(i, dict) and _text(i.get("serverImageNo"))]


@dataclass(frozen=True)
class Claim:
    """What one success answer to a create proves: the run's image (or None), and lies."""

    number: str | None
    row: ImageRow | None
    violations: tuple[Violation, ...] = ()


def claim(attempt: Attempt, rows: list[ImageRow], inventory: Collection[str],
          owned: Collection[str]) -> Claim:
    """The image a success answer proves the run created, and every other number it names."""
    new = [r for r in rows if r.number not in inventory and r.number not in owned]
    mine = [r for r in new if attempt.name and r.name == attempt.name]
    violations = []
    for row in rows:
        if row.number in inventory:
            why = "existed before the run (it is in the inventory taken at discovery)"
        elif row.number in owned:
            why = "was created by an earlier request of this run"
        elif len(mine) > 1 and row in mine:
            why = f"is one of {len(mine)} new images named {attempt.name!r} in one answer"
        else:
            continue  # the run's image, or a stranger the echo check already reports
        violations.append(Violation(
            "SEED-S3", "echo", f"the create answer names serverImageNo {row.number}, which {why};"
            " it is not the run's image and will not be deleted", path="serverImageList",
            expected=attempt.name, actual=row.number))
    if len(mine) == 1:
        return Claim(mine[0].number, mine[0], tuple(violations))
    return Claim(None, None, tuple(violations))


def recoverable(attempt: Attempt, rows: Iterable[ImageRow], inventory: Collection[str],
                owned: Collection[str]) -> list[ImageRow]:
    """Images that may be this attempt's: its name, created after it was sent, new to the run."""
    earliest = int(attempt.sent_at) - CLOCK_SKEW_S  # create dates have whole seconds
    return [r for r in rows if r.name == attempt.name and r.number not in inventory
            and r.number not in owned and (created := r.created) is not None
            and created >= earliest]


def mismatch(row: ImageRow | None, *, name: str, sent_at: float | None,
             create_date: str = "") -> str | None:
    """Why a listed image is not the one the run recorded (None: it is), for a refusal."""
    if row is None:
        return "not listed in its region"
    if row.name != name:
        return f"listed as {row.name!r}, not the name the run sent ({name!r})"
    if create_date and row.create_date and row.create_date != create_date:
        return (f"created {row.create_date}, not {create_date} as the create answer said"
                " (another image under the same number?)")
    created = row.created
    if sent_at is not None and created is not None and created < int(sent_at) - CLOCK_SKEW_S:
        return f"created {row.create_date}, before the run's request was sent"
    return None


@dataclass(frozen=True)
class Owned:
    """An image the run proved its own: where it lives and what the proof recorded."""

    number: str
    name: str
    region: str
    create_date: str = ""
    """As the create answer (or the listing that recovered it) gave it."""
    sent_at: float | None = None
    serial: int | None = None
    recovered: bool = False
    """Found by name after its answer was lost or unreadable, not named by the answer."""
    unique: bool = False
    """Whether the name carries the run's tag (so the image can be looked for by name)."""

    def attempt(self) -> Attempt:
        """The create request this image came from, as far as the record tells."""
        return Attempt(self.serial if self.serial is not None else -1, self.name, self.region,
                       self.sent_at or 0.0, self.unique)
