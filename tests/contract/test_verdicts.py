"""A pass is earned: transient answers are no judgment, and an unfinished run is no pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from harness.sim import Simulator
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from harness.strategies.breaking import breaking_probes
from harness.strategies.valid import valid_probes
from tests.hostile import Hiccups, Run

CREDS = default_scenario().credentials
assert CREDS is not None


def _persisted(run: Run) -> list[str]:
    return [f.violation.message for f in run.log.failures
            if "times in a row" in f.violation.message]


def test_a_service_that_answers_every_refusal_with_a_hiccup_never_passes(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Hiccups(refusals_only=True)
    run = Run(simulator, stack, tmp_path, max_creates=25)
    for rule in ("SEED-R3", "SEED-R7"):
        run.session.exercise(breaking_probes(run.session.account, rule), "t", max_examples=5)
    assert _persisted(run)  # the same request, three times "try again later": SEED-S5
    assert {f.violation.rule for f in run.log.failures} == {"SEED-S5"}
    assert run.log.totals["resent_after_transient"] >= 2
    run.teardown()
    assert run.log.verdict == "failed"


def test_a_valid_request_always_answered_with_a_hiccup_is_never_a_pass(
        stack: ExitStack, tmp_path: Path) -> None:
    simulator = Hiccups(refusals_only=False)  # the image is made, the answer is a hiccup
    run = Run(simulator, stack, tmp_path, max_creates=25)
    run.session.exercise(valid_probes(run.session.account, "base-only"), "t", max_examples=3)
    assert run.log.totals["resent_after_transient"] == 0  # it made an image: never resent
    assert run.log.totals["transient"] > 0
    run.teardown()
    assert run.left == set()  # each image found by its name and deleted
    assert run.log.verdict == "incomplete"  # no success body was ever checked
    assert run.log.unjudged_clauses


def _harness(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert CREDS is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    env.update(NCLOUD_ACCESS_KEY=CREDS.access_key, NCLOUD_SECRET_KEY=CREDS.secret_key,
               NCLOUD_API_GW=url)
    return subprocess.run([sys.executable, "-m", "harness", *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
def test_a_recording_cut_short_replays_as_incomplete_and_a_narrowed_pass_says_its_scope(
        tmp_path: Path) -> None:
    with running(Simulator()) as server:
        recorded = _harness(server.url, "record", "--target", "live", "--out",
                            str(tmp_path / "cassette"), "--quiet", "--seed", "3",
                            "--max-creates", "2", "-k", "cover", "--report-dir",
                            str(tmp_path / "recorded"))
        narrowed = _harness(server.url, "run", "--target", "live", "--quiet", "--seed", "3",
                            "-k", "SEED-R3", "--report-dir", str(tmp_path / "narrowed"))
    assert recorded.returncode == 3, recorded.stdout[-2000:]  # the budget cut it short
    replayed = _harness("http://127.0.0.1:9", "run", "--target", "fixtures", "--cassette",
                        str(tmp_path / "cassette"), "--quiet", "-k", "cover",
                        "--report-dir", str(tmp_path / "replayed"))
    assert replayed.returncode == 3, replayed.stdout[-2000:]
    summary = json.loads((tmp_path / "replayed" / "summary.json").read_text())
    assert summary["verdict"] == "incomplete"
    assert "the recording replayed was itself incomplete" in summary["unfinished"]
    assert narrowed.returncode == 0, narrowed.stdout[-2000:]
    assert "PASSED: the contract held (scope: " in narrowed.stdout
    scope = json.loads((tmp_path / "narrowed" / "summary.json").read_text())["scope"]
    assert 0 < scope["clauses_sent"] < scope["clauses"]


def test_a_session_that_sent_nothing_is_never_a_pass(tmp_path: Path) -> None:
    """A user's test that only takes the session fixture judges nothing: not PASSED."""
    example = tmp_path / "test_nothing.py"
    example.write_text("def test_takes_the_session(ncp_session):\n    assert ncp_session\n",
                       encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    done = subprocess.run([sys.executable, "-m", "pytest", str(example), "--target",
                           "simulator", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
                           "--rootdir", str(tmp_path), "-c", os.devnull,
                           "--report-dir", str(tmp_path / "reports")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    said = done.stdout + done.stderr
    assert "INCOMPLETE" in said, said[-2000:]
    assert "nothing was sent" in said
    assert "PASSED: the contract held" not in said
    assert done.returncode == 1  # plain pytest: an incomplete run is no pass
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["verdict"] == "incomplete"
