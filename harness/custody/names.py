"""The image names a run sends: unique to the run where they can be, and those now in use (U10).

Every name the session gives a create request ends in the run's *tag* (four base-36
characters drawn once per run) and a serial number (at least three base-36 characters):
`a7kq2x001` for the drawn `abcdefghi`. A name carrying the tag was sent by this run and by
nothing else, which is what lets a listing of the account prove the image of a create
whose answer did not name it the run's (see `harness.custody.ownership`). The drawn length is
kept when it can hold the tag; a shorter name is lengthened to `TAGGED_MIN` characters,
except where the name's length is the point of the probe (SEED-R2's 3-character boundary):
such a name cannot carry the tag and an image made under it is never proven the run's; its
ending is still drawn from the tag, so two runs with one seed seldom send the same one.

Under xdist each worker draws from its own first letters and its own tag, so workers never
collide either.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

__all__ = ["TAGGED_MIN", "TAG_LENGTH", "NameBook", "derived_tag", "random_tag"]

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
TAG_LENGTH = 4
_SERIAL_MIN = 3
TAGGED_MIN = 1 + TAG_LENGTH + _SERIAL_MIN
"""The shortest name that carries the tag: a first letter, the tag, a 3-character serial."""
_TRIES = 8
"""A short name's suffixes run out (36**2 for a 3-letter name); skip this many in use."""


def random_tag() -> str:
    """A fresh tag for a run against a live account (never the same two runs running)."""
    return _spell(secrets.randbelow(36 ** TAG_LENGTH), TAG_LENGTH)


def derived_tag(*parts: object) -> str:
    """A tag fixed by `parts` (the seed, the worker): the same run draws the same names.

    For the simulator and for replays, where names must be reproducible (a replay matches
    recorded requests byte for byte) and no other run shares the account.
    """
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return _spell(int.from_bytes(digest[:8], "big") % 36 ** TAG_LENGTH, TAG_LENGTH)


@dataclass
class NameBook:
    """Names this run sent in create requests, and those a service took."""

    first_letters: str = ""
    """Under xdist, this worker's own first letters for image names."""
    tag: str = ""
    """The run's tag; empty: names carry none (no listing can prove an image the run's)."""
    in_use: set[str] = field(default_factory=set)
    _tagged: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fresh(self, name: str, taken: AbstractSet[str], *, keep_length: bool = False) -> str:
        """`name` made unique to the run (tagged when it can be), and not in `taken`.

        `keep_length`: the name's length is what the probe tests; never lengthen it.
        """
        if self.tag and len(name) < TAGGED_MIN and not keep_length and name:
            name = name + name[-1] * (TAGGED_MIN - len(name))
        for _ in range(_TRIES):
            fresh, tagged = self._spelled(name)
            if fresh not in taken:
                break
        if tagged:
            self._tagged.add(fresh)
        return fresh

    def unique(self, name: str) -> bool:
        """Whether `name` was given out by this book with the run's tag (sent by no one else)."""
        return name in self._tagged

    def _spelled(self, name: str) -> tuple[str, bool]:
        number = next(self._counter)
        serial = _spell(number, max(_SERIAL_MIN, _width(number)))
        if self.tag and 1 + len(self.tag) + len(serial) <= len(name):
            fresh, tagged = name[:len(name) - len(self.tag) - len(serial)] + self.tag + serial, True
        else:  # too short for the tag: the tag still picks the ending, so runs differ
            width = min(len(name) - 1, 5)
            ending = _spell(_scrambled(self.tag, number, width) if self.tag else number, width)
            fresh, tagged = (name[:-width] + ending if width > 0 else name), False
        if self.first_letters and fresh:  # workers draw from disjoint first letters
            fresh = self.first_letters[number % len(self.first_letters)] + fresh[1:]
        return fresh, tagged


def _scrambled(tag: str, number: int, width: int) -> int:
    """A `width`-character ending drawn from the tag and the serial (two runs' differ)."""
    digest = hashlib.sha256(f"{tag}:{number}".encode()).digest()
    modulus: int = 36 ** width
    return int.from_bytes(digest[:8], "big") % modulus


def _width(number: int) -> int:
    width = 1
    while number >= 36 ** width:
        width += 1
    return width


def _spell(number: int, width: int) -> str:
    digits = ""
    for _ in range(width):
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
    return digits
