"""What proves an image is the run's own: the rules every deletion must pass, as pure functions.

An image is the run's own only when (a) a create request of this run got a success answer
naming exactly one image whose number was not in the account before the run (the
inventory taken at discovery, all pages) and whose name is the name sent (`claim`), or
(b) any other create of the run (refused, unreadable, lost, unproven: whatever it was
answered) was sent under a name unique to the run (`harness.custody.names`) and exactly one
image of that name exists, new to the run, whose create time lies inside the request's
*window* (`sighting`).

The window is the span of service create times the request's image could carry: from
when it was sent to when its answer arrived, turned into the service's clock by the skew
measured from its Date headers (`harness.core.skew`). An image of that name created after
the answer arrived (a colleague copying it) is outside and never the run's. A request whose
answer never came (a timeout, a dropped connection, the gateway's 502/503/504: the service
may still be at it) has a window open at the end. Where the skew could not be measured, a
closed window proves nothing that would be deleted: the image is left to a person.

Before any deletion the image is listed again by number in its region and must still carry
that name and a create time no earlier than the request (`mismatch`). Anything else a
create answer names is a violation to report, never a deletion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from harness.core.errors import Violation
from harness.core.imagerow import ImageRow
from harness.core.skew import MAX_SKEW_S, Skew
from harness.custody.names import TAGGED_MIN

__all__ = ["CLOCK_SKEW_S", "SIDE_EFFECT_CHECK", "AnswerKind", "Attempt", "ByName", "Claim",
           "Owned",
           "Sighting", "Window", "claim", "mismatch", "refusal_made_an_image", "sighting",
           "window_of"]

SIDE_EFFECT_CHECK = "refusal_makes_no_image"
"""The check a refused create breaks when a listing shows the image it made anyway."""

CLOCK_SKEW_S = MAX_SKEW_S
"""Slack where the skew is unmeasured: the gateway refuses signatures five minutes off."""
_SLACK_S = 1.0
"""Between the gateway's Date and the image's createDate (two clocks of one service)."""


@dataclass(frozen=True)
class Window:
    """The service create times (seconds since the epoch) a request's image could carry."""

    earliest: float
    latest: float | None
    """None: open, the answer never came and the service may still be making it."""
    measured: bool
    """From a measured clock skew; an unmeasured closed window proves nothing to delete."""

    def holds(self, created: float) -> bool:
        """Whether an image created then may be the request's."""
        return self.earliest <= created and (self.latest is None or created <= self.latest)

    @property
    def closed(self) -> bool:
        """Whether the service had answered: nothing it made later is the request's."""
        return self.latest is not None


def window_of(sent: float, answered: float | None, skew: Skew | None) -> Window:
    """The window of a request sent and answered (None: never) at these local times.

    createDate has whole seconds and is not later than the moment it stamps, so the
    earliest is a second wider than the send time in the service's clock.
    """
    if skew is not None and skew.measured:
        return Window(sent + skew.low - 1.0 - _SLACK_S,
                      None if answered is None else answered + skew.high + _SLACK_S,
                      measured=True)
    return Window(sent - CLOCK_SKEW_S - 1.0,
                  None if answered is None else answered + CLOCK_SKEW_S, measured=False)


AnswerKind = Literal["refused", "transient", "lost", "unproven", ""]


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
    window: Window | None = None
    """Set when its answer arrived or was given up on; None: still in flight (open)."""
    status: int | None = None
    """The answer's HTTP status; None when none arrived."""
    kind: AnswerKind = ""
    """refused (an error answer), transient (a hiccup), lost (none, or a gateway timeout),
    unproven (a success that named no provable image); empty while in flight."""
    also: tuple[str, ...] = ()
    """Other names the request carried (a repeated key): a service may have used any."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the request carried, the first one first."""
        return (self.name, *self.also)

    @property
    def span(self) -> Window:
        """The window, or an open one from the send time while none was recorded."""
        return self.window or Window(self.sent_at - CLOCK_SKEW_S - 1.0, None, measured=False)

    def describe(self) -> str:
        """The attempt as a report line names it."""
        when = datetime.fromtimestamp(self.sent_at).astimezone().isoformat(timespec="seconds")
        answer = {"refused": f", answered {self.status}", "transient": f", answered"
                  f" {self.status} (transient)", "lost": ", no answer" if self.status is None
                  else f", answered {self.status} by the gateway", "unproven":
                  f", answered {self.status} naming no provable image"}.get(self.kind, "")
        return f"name {self.name or '(none)'!r} in {self.region}, sent {when}{answer}" + (
            f" ({self.label})" if self.label else "")


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


@dataclass(frozen=True)
class Sighting:
    """What one listing of the account shows of one attempt's image.

    `none`: nothing that could be its image; `found`: exactly one image, proven its own;
    `unclear`: something that may be its image but cannot be proven (`why`). `later`: new
    images of its name made after its answer arrived: never its own (a copy of the name, or
    a service that made it late), shown to a person, never deleted.
    """

    outcome: Literal["none", "found", "unclear"]
    rows: tuple[ImageRow, ...] = ()
    why: str = ""
    later: tuple[ImageRow, ...] = ()


def _maybe(attempt: Attempt, row: ImageRow) -> bool:
    """Whether `row` could be the attempt's image (an unreadable create time could)."""
    created = row.created
    return row.name in attempt.names and (created is None or attempt.span.holds(created))


class ByName:
    """One listing of a region, indexed by image name: each attempt finds its rows at once."""

    def __init__(self, rows: Iterable[ImageRow]) -> None:
        self._rows: dict[str, list[ImageRow]] = defaultdict(list)
        for row in rows:
            self._rows[row.name].append(row)

    def of(self, attempt: Attempt) -> list[ImageRow]:
        """The rows under any name the attempt's request carried."""
        return [row for name in attempt.names for row in self._rows.get(name, ())]


def sighting(attempt: Attempt, rows: Iterable[ImageRow], inventory: Collection[str],
             owned: Collection[str]) -> Sighting:
    """What `rows` (a complete listing of the region) show of the attempt's image."""
    new = [r for r in rows if r.number not in inventory and r.number not in owned
           and not r.terminating and r.name in attempt.names]
    maybe = tuple(r for r in new if _maybe(attempt, r))
    latest = attempt.span.latest
    later = tuple(r for r in new if latest is not None and (made := r.created) is not None
                  and made > latest)
    if not maybe:
        return Sighting("none", later=later)
    span = attempt.span
    if not attempt.unique or attempt.also:
        why = ("the request carried no name" if not attempt.name else
               "the request carried several names" if attempt.also else
               "the name is too short to carry the run's tag" if len(attempt.name) < TAGGED_MIN
               else "the name does not carry the run's tag (the probe was about the name)")
    elif len(maybe) > 1:
        why = f"{len(maybe)} images of that name"
    elif maybe[0].created is None:
        why = "its create time cannot be read"
    elif span.closed and not span.measured:
        why = ("the service's clock could not be measured (no usable Date header), so it"
               " cannot be told from an image made under that name after the answer")
    else:
        return Sighting("found", maybe, later=later)
    return Sighting("unclear", maybe, why, later)


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
    """Found by a listing after its answer named no image, not named by the answer."""
    unique: bool = False
    """Whether the name carries the run's tag."""
    run: str = ""
    """The run that made it, for an image inherited from an earlier run's ledger."""
    window: Window | None = None
    """The create request's window, when it was recorded."""

    def unproven(self) -> Attempt | None:
        """Its create as a pending one, when the listing belies the answer (None: no window)."""
        if self.window is None or self.serial is None:
            return None
        return Attempt(self.serial, self.name, self.region, self.sent_at or 0.0, self.unique,
                       window=self.window, kind="unproven", status=200)


def refusal_made_an_image(attempt: Attempt, image: Owned) -> Violation:
    """The violation of a refused create whose image a listing proved the run's."""
    return Violation(
        "SEED-S5", SIDE_EFFECT_CHECK, f"the create was refused (HTTP {attempt.status}), yet"
        f" it made serverImageNo {image.number} ({image.name!r}, created"
        f" {image.create_date or 'at an unknown time'}); a refused request must create"
        " nothing", path="serverImageName", expected="no image", actual=image.number)
