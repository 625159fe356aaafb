"""A violation with all that reproduces it, and an error in the harness: shown and recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.contract.clauses import CLAUSES
from harness.contract.probe import Probe
from harness.core.errors import Violation
from harness.core.plain import one_line
from harness.custody.ownership import Attempt, Owned, refusal_made_an_image

__all__ = ["Failure", "HarnessFault", "refused_but_made"]


@dataclass(frozen=True)
class Failure:
    """A violation with everything needed to understand and reproduce it."""

    violation: Violation
    probe: Probe
    seed: int
    test: str
    reproduction: tuple[str, ...]

    def __repr__(self) -> str:
        """The card itself: `assert failure is None` in a user's test shows what broke."""
        return "\n" + self.render()

    def render(self) -> str:
        """The failure as pytest and the terminal show it."""
        v = self.violation
        lines = [
            f"[{v.rule}] {v.check}: {v.message}" if v.rule else f"{v.check}: {v.message}",
            *([f"  clause:   {v.clause}: {_says(v.clause)}"] if v.clause else []),
            f"  where:    {v.path or '-'}",
            f"  expected: {v.expected!r}",
            f"  actual:   {v.actual!r}",
            f"  probe:    {self.probe.label} ({self.probe.method})",
            f"  request:  {_short(self.probe.wire)}",
            f"  seed:     {self.seed}",
            "  reproduce:",
            *(f"    {line}" for line in self.reproduction),
        ]
        return "\n".join(one_line(line) for line in lines)  # service text: no escapes

    def as_dict(self) -> dict[str, Any]:
        """The failure as summary.json records it."""
        v = self.violation
        return {"rule": v.rule, "clause": v.clause,
                "clause_says": _says(v.clause) if v.clause else None,
                "check": v.check, "message": v.message, "path": v.path,
                "expected": _plain(v.expected), "actual": _plain(v.actual),
                "test": self.test, "label": self.probe.label, "method": self.probe.method,
                "request": self.probe.wire, "seed": self.seed,
                "reproduction": list(self.reproduction)}


def refused_but_made(attempt: Attempt, image: Owned, probe: Probe | None, seed: int,
                     reproduction: tuple[str, ...] = ()) -> Failure:
    """The failure of a refused create whose image a listing found (SEED-S5).

    With the probe it was sent as when the run still holds it; else one naming the request
    by its label and name (a run keeps a bounded number of probes).
    """
    probe = probe or Probe((("serverImageName", attempt.name),), "GET",
                           attempt.label or "create", ())
    return Failure(refusal_made_an_image(attempt, image), probe, seed,
                   f"custody ({probe.label})", reproduction)


@dataclass(frozen=True)
class HarnessFault:
    """An exception in the harness while it sent or judged: the run's verdict is 'error'.

    Never a pass and never a violation: the harness, not the service, could not do its job.
    """

    test: str
    error: str
    probe: Probe | None = None

    @classmethod
    def of(cls, test: str, probe: Probe | None, exc: BaseException) -> HarnessFault:
        """The fault an exception stands for (its type and the start of its message)."""
        text = str(exc).splitlines()[0][:300] if str(exc) else ""
        return cls(test, f"{type(exc).__name__}: {text}" if text else type(exc).__name__, probe)

    def render(self) -> str:
        """The fault as pytest and the terminal show it."""
        lines = [f"harness error: {self.error}",
                 "  the harness could not finish judging this test; it is not a pass"]
        if self.probe is not None:
            lines += [f"  probe:    {self.probe.label} ({self.probe.method})",
                      f"  request:  {_short(self.probe.wire)}"]
        return "\n".join(one_line(line) for line in lines)

    def as_dict(self) -> dict[str, Any]:
        """The fault as summary.json records it."""
        return {"test": self.test, "error": self.error,
                "label": self.probe.label if self.probe else None,
                "request": self.probe.wire[:2000] if self.probe else None}


def _says(clause: str) -> str:
    """What the seed promises in `clause` (its words), or the id when it is not one of ours."""
    known = CLAUSES.get(clause)
    return known.says if known is not None else clause


def _short(text: str, limit: int = 300) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters; in full below and in summary.json)"


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)
