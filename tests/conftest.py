"""Wiring only: Hypothesis profiles and shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import settings

from harness.contract.account import Account
from harness.run.profiles import default_profile, register_profiles
from harness.sim.scenario import sample_account

# pytester: the plugin's own fixtures are tested in an inner pytest run. The harness's plugin
# comes from here, not its entry point (pyproject.toml: -p no:ncp_harness), so that coverage
# is measuring before any harness module is imported.
pytest_plugins = ["pytester", "harness.pytest_plugin"]

register_profiles()
settings.load_profile(default_profile())

TESTS = Path(__file__).resolve().parent


def whole_suite(config: pytest.Config) -> bool:
    """The run is the whole suite: no selection, no subset of paths, nothing deselected."""
    option = config.option
    narrowing = ("keyword", "markexpr", "deselect", "lf", "ff", "ignore", "ignore_glob")
    if any(getattr(option, name, None) for name in narrowing):
        return False
    paths = {Path(str(arg).split("::")[0]).resolve() for arg in config.args}
    return paths in ({TESTS}, {TESTS.parent}) and not any("::" in str(a) for a in config.args)


def pytest_configure(config: pytest.Config) -> None:
    """The coverage floor holds for the whole suite; a subset is not held to it."""
    coverage = config.pluginmanager.getplugin("_cov")  # pytest-cov, when measuring
    if coverage is not None and not whole_suite(config):
        coverage.options.cov_fail_under = None


@pytest.fixture
def account() -> Account:
    """The sample account: bootable and not, KVM and XEN, several sizes, one INIT."""
    return sample_account()


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    """Everything a test starts (servers, targets) is closed when it ends, pass or fail."""
    with ExitStack() as stack:
        yield stack
