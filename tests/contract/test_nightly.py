"""The README's nightly job, its very steps, run in order on two nights against a simulator."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.sim import Simulator
from harness.sim.scenario import default_scenario
from harness.sim.server import running

README = Path(__file__).parents[2] / "README.md"
BASH = shutil.which("bash") or "/bin/bash"
FAST = "--profile dev --max-examples 2"
"""What the test runs in place of `--profile nightly` (2,000 examples a test)."""


def nightly_steps() -> list[dict[str, Any]]:
    """The steps of the YAML block that follows "**A nightly job**" in the README."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index("**A nightly job** (GitHub Actions"):]
    block = re.search(r"```yaml\n(.*?)```", after, re.DOTALL)
    assert block is not None, "the nightly job's YAML block is gone from the README"
    job = yaml.safe_load(block.group(1))
    steps: list[dict[str, Any]] = job["jobs"]["conformance"]["steps"]
    return steps


def _expand(text: str, night: int, secrets: dict[str, str]) -> str:
    text = text.replace("${{ github.run_number }}", str(night))
    text = text.replace("${{ github.run_id }}", f"9000{night}")
    return re.sub(r"\$\{\{ secrets\.(\w+) \}\}", lambda m: secrets[m.group(1)], text)


class Night:
    """One night in a fresh checkout: the cache in `store`, the steps run as CI would."""

    def __init__(self, number: int, workspace: Path, store: Path, env: dict[str, str],
                 secrets: dict[str, str]) -> None:
        self.number, self.workspace, self.store = number, workspace, store
        self.env, self.secrets = env, secrets
        self.failed = False
        self.said: list[tuple[str, int, str]] = []

    def run(self, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            if self.failed and step.get("if") != "always()":
                continue
            if "uses" in step:
                self._action(step["uses"].split("@")[0])
                continue
            command = _expand(step["run"], self.number, self.secrets)
            if "pip install" in command:
                continue  # the test's own environment is the installed package
            command = command.replace("--profile nightly", FAST)
            env = {**self.env, **{k: _expand(v, self.number, self.secrets)
                                  for k, v in (step.get("env") or {}).items()}}
            done = subprocess.run([BASH, "-c", command], cwd=self.workspace, env=env,
                                  capture_output=True, text=True, timeout=600, check=False)
            self.said.append((command, done.returncode, done.stdout + done.stderr))
            self.failed |= done.returncode != 0

    def _action(self, name: str) -> None:
        cache = self.workspace / "nightly"
        if name == "actions/cache/restore" and self.store.exists():
            shutil.copytree(self.store, cache, dirs_exist_ok=True)
        elif name == "actions/cache/save" and cache.exists():
            shutil.copytree(cache, self.store, dirs_exist_ok=True)
        # checkout: the workspace is one; upload-artifact: nothing to keep here

    def output(self, fragment: str) -> str:
        """What the step whose command holds `fragment` printed."""
        return next(out for command, _, out in self.said if fragment in command)


@pytest.mark.slow
def test_the_readme_nightly_job_passes_on_night_one_and_compares_on_night_two(
        tmp_path: Path) -> None:
    creds = default_scenario().credentials
    assert creds is not None
    secrets = {"NCLOUD_ACCESS_KEY": creds.access_key, "NCLOUD_SECRET_KEY": creds.secret_key}
    steps = nightly_steps()
    store = tmp_path / "cache-store"
    with running(Simulator()) as server:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NCLOUD_", "HYPOTHESIS", "PYTEST_"))}
        env.update(NCLOUD_API_GW=server.url)
        nights = []
        for number in (1, 2):
            workspace = tmp_path / f"night-{number}"  # a fresh checkout every night
            workspace.mkdir()
            (workspace / ".venv").symlink_to(Path(sys.executable).parents[1])
            night = Night(number, workspace, store, env, secrets)
            night.run(steps)
            nights.append(night)
    first, second = nights
    for night in nights:
        failed = [(command, code, out[-1500:]) for command, code, out in night.said if code]
        assert not failed, f"night {night.number}: {failed}"
    assert "PASSED: the contract held" in first.output("ncp-harness run")
    assert "first night: nothing to compare" in first.output("ncp-harness report")
    compared = second.output("ncp-harness report")
    assert "compared with" in compared
    assert "new 0" in compared
    assert "first night" not in compared
    assert (store / "history" / "90001" / "summary.json").is_file()
    assert (store / "history" / "90002" / "summary.json").is_file()
