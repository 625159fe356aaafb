"""The run's Hypothesis backend draws the same from the same seed, whatever code is loaded."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from harness.run.provider import BACKEND, register_backend

LITERALS = "\n".join(f"WORD_{i} = 'zz-local-literal-{i}'\nNUMBER_{i} = {7_000_003 + i}"
                     for i in range(200))


def _draws(backend: str) -> list[object]:
    seen: list[object] = []

    @seed(20261207)
    @settings(max_examples=300, database=None, backend=backend, derandomize=False)
    @given(st.tuples(st.text(max_size=12), st.integers(0, 10**9)))
    def draw(value: object) -> None:
        seen.append(value)

    draw()
    return seen


def _load_local_module(tmp_path: Path) -> None:
    """A module outside site-packages and the stdlib: Hypothesis calls it local."""
    path = tmp_path / "literals_here.py"
    path.write_text(LITERALS, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("ncp_literals_here", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ncp_literals_here"] = module
    spec.loader.exec_module(module)


def test_a_local_modules_literals_change_nothing_the_run_draws(tmp_path: Path) -> None:
    register_backend()
    before = _draws(BACKEND)
    plain_before = _draws("hypothesis")
    _load_local_module(tmp_path)
    try:
        assert _draws(BACKEND) == before
        after = _draws("hypothesis")  # the control: Hypothesis's own backend mines them
        assert after != plain_before
        assert any("zz-local-literal" in str(v) or any(
            isinstance(x, int) and 7_000_003 <= x < 7_000_203 for x in v)  # type: ignore[attr-defined]
                   for v in after)
    finally:
        del sys.modules["ncp_literals_here"]
