"""Hypothesis profiles shared by the test suite and conformance runs: dev, ci, nightly.

`dev` (50 examples a property) is quick for a developer's loop; `ci` (100) is the default
under CI (the CI environment variable) and keeps a conformance run against a loopback
target under a minute on 2 cores; `nightly` (2000) is thorough. Select one with
HYPOTHESIS_PROFILE or pytest's `--hypothesis-profile`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from harness.core.errors import ConfigError

__all__ = ["PROFILES", "default_profile", "register_profiles"]

PROFILES: dict[str, settings] = {
    "dev": settings(max_examples=50),
    "ci": settings(max_examples=100, derandomize=True, print_blob=True),
    "nightly": settings(max_examples=2000),
}


def register_profiles() -> None:
    """Register every profile with Hypothesis (safe to call more than once)."""
    for name, parent in PROFILES.items():
        settings.register_profile(
            name, parent, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def default_profile() -> str:
    """HYPOTHESIS_PROFILE if set, else `ci` under CI, else `dev`."""
    chosen = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
    if chosen not in PROFILES:
        raise ConfigError(f"HYPOTHESIS_PROFILE={chosen!r} is not a profile; expected one of"
                          f" {', '.join(PROFILES)}")
    return chosen
