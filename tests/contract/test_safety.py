"""Safety on a paying account: consent, the ledger, cleanup after a kill, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.ledger import Ledger, LedgerEntry
from harness.scenario import default_scenario
from harness.sim import Simulator
from harness.sim.server import running

CREDS = default_scenario().credentials
assert CREDS is not None


def _env(url: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    assert CREDS is not None
    return {**base, "NCLOUD_ACCESS_KEY": CREDS.access_key,
            "NCLOUD_SECRET_KEY": CREDS.secret_key, "NCLOUD_API_GW": url}


def _harness(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harness", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_ledger_records_creations_and_deletions(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.jsonl")
    assert ledger.pending() == []
    ledger.created("http://a", "1", "img-1")
    ledger.created("http://a", "2", "img-2")
    ledger.created("http://b", "1", "img-9")
    ledger.deleted("http://a", "1")
    assert ledger.pending() == [LedgerEntry("http://a", "2", "img-2"),
                                LedgerEntry("http://b", "1", "img-9")]
    ledger.intent("http://a", "img-3")
    ledger.intent("http://a", "img-4")
    ledger.intent("http://a", "img-2")
    assert ledger.unresolved_names() == {"http://a": {"img-3", "img-4"}}
    ledger.resolved("http://a", {"img-3"})
    assert ledger.unresolved_names() == {"http://a": {"img-4"}}


def test_a_torn_last_line_is_skipped_a_corrupt_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    ledger = Ledger(path)
    ledger.created("http://a", "1")
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"event": "created", "endp')
    assert [e.number for e in ledger.pending()] == ["1"]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n")
    ledger.created("http://a", "2")
    with pytest.raises(ConfigError, match=r"line 2 is not a ledger record"):
        ledger.pending()


def test_no_consent_no_run_on_a_remote_endpoint(tmp_path: Path) -> None:
    env = _env("https://ncloud.apigw.ntruss.invalid")
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--target", "live",
                             "--report-dir", str(tmp_path)], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "pass --yes" in result.stdout + result.stderr
    with_yes = subprocess.run([sys.executable, "-m", "harness", "run", "--target", "live",
                               "--yes", "--report-dir", str(tmp_path)], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
    assert with_yes.returncode == 2  # consent given; now it is the unreachable host
    assert "cannot reach https://ncloud.apigw.ntruss.invalid" in (
        with_yes.stdout + with_yes.stderr)


def _wait_for_creations(ledger: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ledger.exists() and ledger.read_text().count('"created"') >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    pytest.fail("the run created nothing in time")


@pytest.mark.slow
def test_a_killed_run_is_cleaned_up_from_its_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    with running() as server:
        env = _env(server.url)
        run = _harness("run", "--target", "live", "--quiet", "--report-dir", str(tmp_path),
                       "-k", "valid", env=env)
        _wait_for_creations(ledger, 20, run)
        run.kill()
        run.communicate(timeout=30)
        left = server.simulator.images.created_count
        assert left >= 20
        # A request in flight at the kill left an image with no number in the ledger; its
        # name was written first, so cleanup still finds it.
        assert left - len(Ledger(ledger).pending()) in (0, 1)
        clean = subprocess.run([sys.executable, "-m", "harness", "cleanup", "--ledger",
                                str(ledger)], env=env, capture_output=True, text=True,
                               timeout=300, check=False)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert f"deleted {left} image(s) of {left}" in clean.stdout
        assert server.simulator.images.created_count == 0
    assert Ledger(ledger).pending() == []
    again = subprocess.run([sys.executable, "-m", "harness", "cleanup", "--ledger", str(ledger)],
                           env=env, capture_output=True, text=True, timeout=60, check=False)
    assert "nothing left to delete" in again.stdout


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_still_clean_up(tmp_path: Path, stop: signal.Signals) -> None:
    ledger = tmp_path / "ledger.jsonl"
    with running() as server:
        run = _harness("run", "--target", "live", "--quiet", "--report-dir", str(tmp_path),
                       "--max-creates", "1000", "-k", "valid", env=_env(server.url))
        _wait_for_creations(ledger, 10, run)
        run.send_signal(stop)
        out, err = run.communicate(timeout=120)
        assert server.simulator.images.created_count == 0, out[-2000:] + err[-2000:]
    assert Ledger(ledger).pending() == []
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["resources"]["leaked"] == 0
    assert summary["resources"]["created"] > 0


def test_cleanup_refuses_a_ledger_from_another_endpoint(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.jsonl")
    ledger.created("https://elsewhere.invalid", "7")
    with running() as server:
        result = subprocess.run([sys.executable, "-m", "harness", "cleanup", "--ledger",
                                 str(tmp_path / "l.jsonl")], env=_env(server.url),
                                capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "live on https://elsewhere.invalid" in result.stderr


@pytest.mark.slow
def test_a_leak_fails_the_run(tmp_path: Path) -> None:
    scenario = replace(default_scenario(), image_ready_after_looks=10_000)  # INIT forever
    with running(Simulator(scenario)) as server:
        result = subprocess.run(
            [sys.executable, "-m", "harness", "run", "--target", "live", "--quiet",
             "--report-dir", str(tmp_path), "--cleanup-wait", "0.5", "-k", "covering"],
            env=_env(server.url), capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "LEAKED serverImageNo" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "failed"
    assert summary["violations"] == []
    assert summary["resources"]["leaked"] == 3
    assert Ledger(tmp_path / "ledger.jsonl").pending()  # for ncp-harness cleanup later
