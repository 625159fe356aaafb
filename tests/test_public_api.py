"""The public surface: a sorted __all__ in every module, and nothing missing from it."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import harness

MODULES = sorted(m.name for m in pkgutil.walk_packages(harness.__path__, "harness.")
                 # schemathesis_hooks registers global schemathesis hooks when imported;
                 # tests/contract/test_schemathesis.py imports it in a subprocess.
                 if m.name not in ("harness.__main__", "harness._version",
                                   "harness.schemathesis_hooks",
                                   "harness.suite.test_contract"))


def _isort_style(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions, each alphabetical (ruff's RUF022 order)."""
    bare = name.strip("_")
    if bare.isupper() or (bare.upper() == bare and bare):
        return 0, name
    return (1, name) if bare[:1].isupper() else (2, name)


@pytest.mark.parametrize("name", MODULES)
def test_module_has_a_one_line_docstring_and_sorted_all(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, name
    assert module.__doc__.strip().splitlines()[0].endswith("."), name
    exported = getattr(module, "__all__", None)
    assert exported is not None, name
    assert list(exported) == sorted(exported, key=_isort_style), name
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.{symbol}"


def test_package_all_is_sorted_and_importable() -> None:
    assert list(harness.__all__) == sorted(harness.__all__, key=_isort_style)
    for symbol in harness.__all__:
        assert hasattr(harness, symbol), symbol
