"""The folders of harness/ are layers: a module imports only from its own folder or lower.

ARCHITECTURE.md draws the same order; this test keeps the two from drifting apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "harness"

# Lowest first. A module of layer i may import harness modules of layers 0..i only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_version", "core"),
    ("contract",),
    ("spec",),
    ("recording",),
    ("strategies",),
    ("checks",),
    ("sim",),
    ("targets",),
    ("custody",),
    ("client",),
    ("run",),
    ("report",),
    ("pytest_plugin", "pytest_state", "pytest_xdist", "schemathesis_hooks", "suite"),
    ("cli",),
    ("__init__", "__main__"),
)
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def _top(module: str) -> str:
    """`harness.run.session` -> `run`; `harness` -> `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    parts = path.relative_to(HARNESS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    return _imports_of(_module_name(path), path.name == "__init__.py",
                       path.read_text(encoding="utf-8"))


def _imports_of(module: str, is_package: bool, source: str) -> list[tuple[int, str]]:
    """Every `harness...` module the source imports, with its line (relative ones resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names
                         if (HARNESS.parent / f"{base}.{alias.name}".replace(".", "/")).is_dir())
    return [(line, name) for line, name in found
            if name == "harness" or name.startswith("harness.")]


MODULES = sorted(HARNESS.rglob("*.py"))


def test_every_top_level_name_has_a_layer() -> None:
    names = {p.relative_to(HARNESS).parts[0].removesuffix(".py") for p in MODULES}
    assert names - RANK.keys() == set(), "add the new folder to LAYERS and ARCHITECTURE.md"
    assert RANK.keys() - names == set(), "a layer of LAYERS no longer exists"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(HARNESS)))
def test_imports_point_down(path: Path) -> None:
    own = _top(_module_name(path))
    upward = [f"line {line}: {name} ({_top(name)} is above {own})"
              for line, name in _imports(path) if RANK[_top(name)] > RANK[own]]
    assert upward == []


@pytest.mark.parametrize("source", [
    "from harness.run.session import Session",
    "import harness.report.summary",
    "from harness import cli",
    "from ..run import session",
    "def late():\n    from ..targets.transport import Transport\n",
])
def test_the_checker_sees_an_upward_import(source: str) -> None:
    """The rule is not vacuous: core reaching up is caught, however it is spelled."""
    seen = _imports_of("harness.core.answer", False, source)
    assert seen
    assert max(RANK[_top(name)] for _, name in seen) > RANK["core"]


def test_the_checker_lets_a_layer_use_itself_and_below() -> None:
    seen = _imports_of("harness.custody.gate", False,
                       "from .keeper import Custody\nfrom harness.core.errors import HarnessError")
    assert [name for _, name in seen] == ["harness.custody.keeper", "harness.core.errors"]
