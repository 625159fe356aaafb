"""Numbers typed on a command line: each parser refuses what makes no sense, naming the bound."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["integer", "seconds"]


def integer(low: int, high: int | None = None) -> Callable[[str], int]:
    """A parser of whole numbers from `low` to `high` (inclusive; None: no upper bound)."""
    expected = f"a whole number from {low} to {high}" if high is not None else (
        f"a whole number of at least {low}")

    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {expected}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range: expected {expected}")
        return value

    return parse


def seconds(*, zero: bool = False) -> Callable[[str], float]:
    """A parser of a finite, positive number (or zero, when `zero`): seconds or MiB."""
    expected = "a number of at least 0" if zero else "a number above 0"

    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {expected}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"{text} is out of range: expected {expected}")
        return value

    return parse
