"""Wiring only: Hypothesis profiles and shared fixtures."""

from __future__ import annotations

import pytest
from hypothesis import settings

from harness.contract.account import Account
from harness.run.profiles import default_profile, register_profiles
from harness.sim.scenario import sample_account

pytest_plugins = ["pytester"]  # the plugin's own fixtures are tested in an inner pytest run

register_profiles()
settings.load_profile(default_profile())


@pytest.fixture
def account() -> Account:
    """The sample account: bootable and not, KVM and XEN, several sizes, one INIT."""
    return sample_account()
