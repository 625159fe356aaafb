"""The image names a run uses: a fresh one for each valid request, and those now in use (U10).

A valid request must not meet U10 (a name already in use), so the session renames it with a
base-36 suffix no earlier request of the run used, skipping names it knows are taken. Under
xdist each worker draws from its own first letters, so workers never collide either.
"""

from __future__ import annotations

import itertools
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

__all__ = ["NameBook"]

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_TRIES = 8
"""A short name's suffixes run out (36**2 for a 3-letter name); skip this many in use."""


@dataclass
class NameBook:
    """Names this run sent in create requests, and those a service took."""

    first_letters: str = ""
    """Under xdist, this worker's own first letters for image names."""
    in_use: set[str] = field(default_factory=set)
    intended: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fresh(self, name: str, taken: AbstractSet[str]) -> str:
        """`name` with a suffix no earlier request of the run used, and not in `taken`."""
        width = min(len(name) - 1, 5)
        fresh = self._spelled(name, width)
        for _ in range(_TRIES):
            if fresh not in taken:
                break
            fresh = self._spelled(name, width)
        return fresh

    def unanswered(self) -> set[str]:
        """Names sent in create requests whose answer never arrived (a run interrupted)."""
        return self.intended - self.in_use

    def _spelled(self, name: str, width: int) -> str:
        number = next(self._counter)
        fresh = name[:-width] + _suffix(number, width) if width > 0 else name
        if self.first_letters and fresh:  # workers draw from disjoint first letters
            fresh = self.first_letters[number % len(self.first_letters)] + fresh[1:]
        return fresh


def _suffix(number: int, width: int) -> str:
    digits = ""
    for _ in range(width):
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
    return digits
