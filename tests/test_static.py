"""The strict ruff and mypy settings hold on the whole tree; the coverage floor holds."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import whole_suite

ROOT = Path(__file__).resolve().parent.parent
COVERAGE_FLOOR = 85.5
"""The branch coverage of harness/ the whole suite reached when the floor was set (a ratchet)."""


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.prefix) / "bin/ruff").exists(),
                    reason="ruff is a dev dependency: pip install -e '.[dev]'")
def test_ruff() -> None:
    result = _run(sys.executable, "-m", "ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def _config(args: list[str], **option: object) -> Any:
    return SimpleNamespace(args=args, option=SimpleNamespace(**option))


@pytest.mark.parametrize(("args", "option", "whole"), [
    (["tests"], {}, True),
    ([str(ROOT)], {}, True),
    (["tests/unit"], {}, False),
    (["tests/test_static.py"], {}, False),
    (["tests/test_static.py::test_ruff"], {}, False),
    (["tests"], {"keyword": "ruff"}, False),
    (["tests"], {"markexpr": "slow"}, False),
    (["tests"], {"deselect": ["tests/test_static.py::test_ruff"]}, False),
    (["tests"], {"lf": True}, False),
])
def test_only_the_whole_suite_is_held_to_the_coverage_floor(
        args: list[str], option: dict[str, object], whole: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert whole_suite(_config(args, **option)) is whole


def test_the_coverage_floor_is_set_and_never_lowered() -> None:
    floor = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]["report"]
    assert floor["fail_under"] >= COVERAGE_FLOOR
