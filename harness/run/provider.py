"""A Hypothesis backend whose draws do not depend on this project's own source text.

Hypothesis mixes string and number literals it finds in "local" modules (any module not in
site-packages or the standard library) into its draws. An editable install makes every
literal of `harness` local, a wheel install none: the same seed then draws other requests,
and a change to any message or option anywhere changes what a run sends. A conformance run
must draw the same requests from the same seed wherever it is installed, or a recorded run
(the shipped fixtures, a user's cassette) cannot be replayed. This backend is Hypothesis's
own provider drawing constants from Hypothesis's global pool only; runs select it by name.

It reaches into Hypothesis's provider (`_maybe_draw_constant`, the global constant pool),
so `tests/unit/test_provider.py` proves the property on the Hypothesis installed.
"""

from __future__ import annotations

from typing import Any

from hypothesis.internal.conjecture.choice import choice_constraints_key, choice_permitted
from hypothesis.internal.conjecture.providers import (
    AVAILABLE_PROVIDERS,
    GLOBAL_CONSTANTS,
    HypothesisProvider,
)

__all__ = ["BACKEND", "NoLocalConstants", "register_backend"]

BACKEND = "ncp-harness"
_POOLS: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_MAX_POOLS = 1024


class NoLocalConstants(HypothesisProvider):
    """Hypothesis's provider, its constants drawn from its global pool only."""

    def _maybe_draw_constant(self, choice_type: Any, constraints: Any, *,
                             p: float = 0.05) -> Any:
        assert self._random is not None  # noqa: S101 - Hypothesis's own invariant
        if self._random.random() > p:
            return None
        key = (choice_type, choice_constraints_key(choice_type, constraints))
        pool = _POOLS.get(key)
        if pool is None:
            pool = tuple(choice for choice in GLOBAL_CONSTANTS.set_for_type(choice_type)
                         if choice_permitted(choice, constraints))
            if len(_POOLS) >= _MAX_POOLS:
                _POOLS.clear()
            _POOLS[key] = pool
        return self._random.choice(pool) if pool else None


def register_backend() -> None:
    """Make the backend available to `settings(backend=BACKEND)` (safe to call again)."""
    AVAILABLE_PROVIDERS.setdefault(BACKEND, NoLocalConstants)
