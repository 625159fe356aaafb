"""The docs tell the truth: the README's commands and examples, SECURITY.md's tests, sources."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.commands import main
from harness.contract.reference import NOTES
from harness.sim.faults import FAULTS, FORGETTING
from harness.spec.openapi import load_spec

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


def _judge_examples() -> list[tuple[str, str]]:
    """Each `$ ncp-harness judge '...'` of the README's console blocks, and what it shows."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```console\n(.*?)```", readme, re.DOTALL):
        for example in re.split(r"^(?=\$ )", block, flags=re.M):
            head, _, shown = example.partition("\n")
            query = re.fullmatch(r"\$ ncp-harness judge '([^']*)'", head.strip())
            if query is not None:
                found.append((query.group(1), shown))
    return found


def test_the_readmes_judge_examples_print_what_they_say(
        capsys: pytest.CaptureFixture[str]) -> None:
    examples = _judge_examples()
    assert len(examples) >= 2
    for query, shown in examples:
        main(["judge", query])
        assert capsys.readouterr().out == shown, query


def test_every_document_a_report_cites_is_in_the_repository() -> None:
    """Sources the schemas and notes cite by file name (ncp-api.md) ship with the project."""
    text = json.dumps(load_spec()) + json.dumps([n.source for n in NOTES.values()])
    cited = set(re.findall(r"\b([a-z][a-z0-9_-]*\.md)\b", text))
    assert cited, "nothing cites a document: the test looks for the wrong thing"
    for name in cited:
        assert list(ROOT.glob(f"**/{name}")), f"{name} is cited by reports but not shipped"


def _own_test_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Your own tests", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1
    return str(blocks[0])


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "broken"), [
    (None, None), ("ignores-size-limits", "SEED-R7"), ("echo-name-cut", "SEED-S3")])
def test_the_readmes_own_test_example_passes_clean_and_fails_on_a_bug(
        tmp_path: Path, fault: str | None, broken: str | None) -> None:
    example = tmp_path / "test_image_contract.py"
    example.write_text(_own_test_example(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(example), "--target", "simulator", "-p",
         "no:cacheprovider", "-p", "no:xdist", "-q", "--rootdir", str(tmp_path),
         "-c", os.devnull, "--seed", "3", *(["--fault", fault] if fault else [])],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    said = done.stdout + done.stderr
    if broken is None:
        assert done.returncode == 0, said[-3000:]
        assert "PASSED: the contract held" in said
        return
    assert done.returncode == 1, said[-3000:]
    assert f"[{broken}" in said  # the violation's card, with its rule
    assert "HARNESS ERROR" not in said
    assert "PASSED" not in said.split("ncp-harness conformance")[-1]


def test_the_readmes_fault_counts_are_the_catalogue_s() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"\| (\d+) bugs the simulator can be given on purpose \((\d+) of them forget"
                     r" one clause each, (\d+) make an image", readme)
    assert said is not None, "the README's capability table no longer counts the faults"
    side_effects = [f for f in FAULTS if f.kind == "side-effect"]
    assert [int(n) for n in said.groups()] == [len(FAULTS), len(FORGETTING), len(side_effects)]
    assert f"For each of the {len(FAULTS)} named faults" in readme
