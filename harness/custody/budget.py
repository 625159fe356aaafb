"""The create budget every process of a run spends from: images that exist or may exist.

A unit is taken before a create request is sent and held until the account's inventory
shows that the request made no image (`harness.custody.gate`); an image the run caused
keeps its unit. So `spent` counts the images that exist because of the run plus the
creates whose outcome is not yet known, and no create goes out once it reaches the limit.
Images an earlier run still owes (`harness.custody.carry`) are charged before the first
create. The count lives in a file under the run directory, updated under an exclusive
lock, so every pytest-xdist worker spends from the same budget.
"""

from __future__ import annotations

from pathlib import Path

from harness.targets.sharing import locked

__all__ = ["SharedBudget"]


class SharedBudget:
    """A count of creates every process of a run spends from; None means unlimited."""

    def __init__(self, path: Path, limit: int | None) -> None:
        self.path, self.limit = path, limit

    def take(self, limit: int | None = None) -> bool:
        """Spend one unit if fewer than `limit` (default: the whole budget) are spent."""
        ceiling = self.limit if limit is None else limit
        with locked(self.path) as state:
            spent = int(state.get("spent", 0))
            if ceiling is not None and spent >= ceiling:
                return False
            state["spent"] = spent + 1
            return True

    def charge(self, units: int = 1) -> None:
        """Spend units whatever the limit: images found to exist that no unit was held for."""
        if units > 0:
            with locked(self.path) as state:
                state["spent"] = int(state.get("spent", 0)) + units

    def note_isolated(self) -> None:
        """An isolation made an image: its unit came from the kept ones, not the plan's."""
        with locked(self.path) as state:
            state["isolated"] = int(state.get("isolated", 0)) + 1

    @property
    def isolated(self) -> int:
        """Images isolations made, in every process of the run."""
        with locked(self.path) as state:
            return int(state.get("isolated", 0))

    def refund(self) -> None:
        """Give one unit back: the inventory showed that its create made no image."""
        with locked(self.path) as state:
            state["spent"] = max(0, int(state.get("spent", 0)) - 1)

    @property
    def spent(self) -> int:
        """How many units the whole run holds."""
        with locked(self.path) as state:
            return int(state.get("spent", 0))
