"""The docs tell the truth: the README's two commands are CI's, SECURITY.md's tests exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readmes_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert len(commands) == 2
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line and not line.startswith(("#", "set ", "cd "))]
    assert ci == commands


def test_every_test_security_md_cites_exists() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    modules = {p.stem for p in (ROOT / "tests").rglob("test_*.py")}
    cited = set(re.findall(r"\b(test_[a-z0-9_]+)\b", text)) - modules
    defined = set(re.findall(r"^def (test_[a-z0-9_]+)\(", "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py")), re.M))
    assert len(cited) >= 20
    assert cited - defined == set()
