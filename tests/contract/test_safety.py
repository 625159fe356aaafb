"""Safety on a paying account: consent, the ledger, cleanup after a kill, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from harness.cli.commands import main
from harness.custody.ledger import Ledger, RunRecord, ledger_key
from harness.custody.ownership import Owned
from harness.sim import Simulator
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from harness.sim.state import Image
from tests.hostile import Unkillable, Watched

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
        # nightly and no budget to speak of: the run cannot end before it is killed
        run = _harness("run", "--target", "live", "--quiet", "--report-dir", str(tmp_path),
                       "--max-creates", "100000", "--profile", "nightly", "-k",
                       "valid and not name", env=env)
        _wait_for_creations(ledger, 20, run)
        run.kill()
        run.communicate(timeout=30)
        left = server.simulator.images.created_count
        assert left >= 20
        # A request in flight at the kill left an image with no number in the ledger; its
        # intent (a name unique to the run) was written first, so cleanup still finds it.
        owed = [r for r in Ledger(ledger).state().runs if r.owes]
        assert left - sum(len(r.owned) for r in owed) in (0, 1)
        dry = subprocess.run([sys.executable, "-m", "harness", "cleanup", "--ledger",
                              str(ledger), "--dry-run"], env=env, capture_output=True,
                             text=True, timeout=300, check=False)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert f"dry run: would delete {left} image(s)" in dry.stdout
        assert server.simulator.images.created_count == left  # the dry run deleted nothing
        clean = subprocess.run([sys.executable, "-m", "harness", "cleanup", "--ledger",
                                str(ledger)], env=env, capture_output=True, text=True,
                               timeout=300, check=False)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert f"deleted {left} image(s) of {left}" in clean.stdout
        assert server.simulator.images.created_count == 0
    assert not Ledger(ledger).state().owes
    again = subprocess.run([sys.executable, "-m", "harness", "cleanup", "--ledger", str(ledger)],
                           env=env, capture_output=True, text=True, timeout=60, check=False)
    assert "nothing left to delete" in again.stdout


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_still_clean_up(tmp_path: Path, stop: signal.Signals) -> None:
    ledger = tmp_path / "ledger.jsonl"
    with running() as server:
        # nightly and no budget to speak of: the run cannot end before the signal, however
        # slowly this test is scheduled on a loaded machine
        run = _harness("run", "--target", "live", "--quiet", "--report-dir", str(tmp_path),
                       "--max-creates", "100000", "--profile", "nightly", "-k",
                       "valid and not name", env=_env(server.url))
        _wait_for_creations(ledger, 10, run)
        run.send_signal(stop)
        out, err = run.communicate(timeout=120)
        assert server.simulator.images.created_count == 0, out[-2000:] + err[-2000:]
    assert not Ledger(ledger).state().owes
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["resources"]["leaked"] == 0
    assert summary["resources"]["created"] > 0
    assert summary["verdict"] == "interrupted"  # stopped part-way: never a pass
    assert run.returncode == 2
    assert "PASSED" not in out
    assert "INTERRUPTED: the run was stopped before its end" in out


def test_cleanup_refuses_a_ledger_from_another_endpoint(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.jsonl", ledger_key(CREDS))
    record = RunRecord("r1", "https://elsewhere.invalid", "KR")
    ledger.run(record)
    ledger.created(record, Owned("7", "img-7", "KR"))
    with running() as server:
        result = subprocess.run([sys.executable, "-m", "harness", "cleanup", "--ledger",
                                 str(tmp_path / "l.jsonl")], env=_env(server.url),
                                capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "live on https://elsewhere.invalid" in result.stderr


@pytest.mark.slow
def test_a_leak_fails_the_run(tmp_path: Path) -> None:
    with running(Unkillable()) as server:  # deletions acknowledged, never carried out
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
    assert Ledger(tmp_path / "ledger.jsonl").state().owes  # for ncp-harness cleanup later


def _date(image: Image) -> str:
    return image.created.strftime("%Y-%m-%dT%H:%M:%S%z")


def test_cleanup_proves_every_ledger_line_and_refuses_the_rest(tmp_path: Path) -> None:
    simulator = Watched()
    path = tmp_path / "ledger.jsonl"
    with running(simulator) as server:
        ledger = Ledger(path, ledger_key(CREDS))  # sealed, as a run with these keys writes it
        now = time.time()
        run = RunRecord("r1", server.url, "SGN", "t4g0", now - 60, frozenset({"1900001"}))
        ledger.run(run)
        ours = simulator.colleague_makes("abct4g0001")  # as the run's create made it
        renamed = simulator.colleague_makes("colleague-image")
        redated = simulator.colleague_makes("abct4g0003")
        older = simulator.colleague_makes("abct4g0004", ago=timedelta(hours=2))
        for image in (Owned(ours.number, ours.name, "SGN", _date(ours), now - 30),
                      # edited lines: a colleague's image under a name the run sent, a
                      # number from before the run, another create time, an older image
                      Owned(renamed.number, "abct4g0002", "SGN", _date(renamed), now - 30),
                      Owned("1900001", "existing-image", "SGN"),
                      Owned(redated.number, redated.name, "SGN", "2020-01-01T00:00:00+0900"),
                      Owned(older.number, older.name, "SGN", _date(older), now - 30)):
            ledger.created(run, image)
        forged = simulator.colleague_makes("abct4g0005")  # a colleague's, made in the run
        sealed = path.read_text(encoding="utf-8").splitlines()[-1]
        with path.open("a", encoding="utf-8") as handle:  # a line of the old format
            handle.write(json.dumps({"event": "created", "endpoint": server.url,
                                     "serverImageNo": renamed.number, "at": now}) + "\n")
            # a hand-edited line naming the colleague's image, name and date right, seal not
            edited = json.loads(sealed)
            edited.update(serverImageNo=forged.number, name=forged.name,
                          createDate=_date(forged))
            handle.write(json.dumps(edited) + "\n")
        env = _env(server.url)
        dry = subprocess.run([sys.executable, "-m", "harness", "cleanup", "--ledger", str(path),
                              "--dry-run"], env=env, capture_output=True, text=True,
                             timeout=120, check=False)
        assert simulator.images.ever_created == simulator.images.created_count == 5
        result = subprocess.run([sys.executable, "-m", "harness", "cleanup", "--ledger",
                                 str(path)], env=env, capture_output=True, text=True,
                                timeout=120, check=False)
        left = simulator.images.numbers()
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"dry run: would delete 1 image(s): {ours.number}" in dry.stdout
    assert result.returncode == 1, result.stdout + result.stderr
    assert "deleted 1 image(s) of 1" in result.stdout
    assert left - {"100001", "100002", "100003"} == {
        "1900001", renamed.number, redated.number, older.number, forged.number}  # and NCP's
    out = result.stdout
    assert f"refused: serverImageNo {renamed.number}: listed as 'colleague-image'" in out
    assert "refused: serverImageNo 1900001: it existed before the run" in out
    assert f"refused: serverImageNo {redated.number}: created " in out
    assert f"refused: serverImageNo {older.number}: created " in out
    assert "before the run's request was sent" in out
    assert "not acted on: serverImageNo" in out  # the old-format line, listed only
    assert "line(s) 8: not sealed by a run holding this key pair" in out  # the edited one
    calls = [s for s in simulator.seen if "getServerImageList" in s or "deleteServerImage" in s]
    assert calls
    assert all("regionCode=SGN" in call for call in calls)


BROKEN_CHECKS = """
import sys
import harness.checks.response, harness.run.session
def broken(*args, **kwargs):
    raise RuntimeError("a bug in the harness's checks")
harness.run.session.check_answer = broken
from harness.cli.commands import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_harness_error_is_never_a_pass(tmp_path: Path) -> None:
    with running() as server:
        result = subprocess.run(
            [sys.executable, "-c", BROKEN_CHECKS, "run", "--target", "live", "--quiet",
             "--report-dir", str(tmp_path), "-k", "valid and base", "--max-examples", "3"],
            env=_env(server.url), capture_output=True, text=True, timeout=300, check=False)
        left = server.simulator.images.created_count
    assert result.returncode == 2, result.stdout[-3000:]
    assert "PASSED" not in result.stdout
    assert "HARNESS ERROR in " in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "error"
    errors = summary["harness_errors"]
    assert len(errors) == 5
    assert all(e["error"].startswith("RuntimeError") for e in errors)
    assert "ERROR: the harness failed in 5 test(s)" in result.stdout
    # one create per test (stopped at once, never shrunk), each still deleted
    assert summary["resources"]["created"] == summary["resources"]["deleted"] == 5
    assert left == 0
    junit = (tmp_path / "junit.xml").read_text()
    assert 'type="harness_error"' in junit
    assert "a bug in the harness" in (tmp_path / "report.html").read_text()


def test_send_to_a_live_endpoint_that_is_not_loopback_needs_consent(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`send` follows run's rule: a valid request creates a paid image, so --yes first."""
    creds = default_scenario().credentials
    assert creds is not None
    monkeypatch.delenv("NCLOUD_HARNESS_YES", raising=False)
    monkeypatch.setenv("NCLOUD_ACCESS_KEY", creds.access_key)
    monkeypatch.setenv("NCLOUD_SECRET_KEY", creds.secret_key)
    wire = ("serverImageName=img-send&blockStorageList.1.order=0"
            "&blockStorageList.1.snapshotInstanceNo=1000001")
    monkeypatch.setenv("NCLOUD_API_GW", "https://gateway.example.invalid")
    assert main(["send", "--target", "live", wire]) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert main(["send", "--target", "live", "--yes", wire]) == 2  # consented; unreachable
    assert "pass --yes" not in capsys.readouterr().err
    with running() as server:
        monkeypatch.setenv("NCLOUD_API_GW", server.url)
        assert main(["send", "--target", "live", wire]) == 0  # loopback: no consent needed
        assert server.simulator.images.created_count == 1


@pytest.mark.slow
def test_images_still_being_created_are_owed_and_settled_later(tmp_path: Path) -> None:
    """Slow creation: the run hands over, `cleanup` says exit 3, the next run settles them."""
    scenario = replace(default_scenario(), image_ready_after_seconds=86_400.0)  # hours
    reports = tmp_path / "reports"
    run_args = ("run", "--target", "live", "--quiet", "--report-dir", str(reports),
                "--cleanup-wait", "0.5", "-k", "covering")
    with running(Simulator(scenario)) as server:
        env = _env(server.url)
        first = subprocess.run([sys.executable, "-m", "harness", *run_args], env=env,
                               capture_output=True, text=True, timeout=300, check=False)
        made = set(server.simulator.images.numbers()) - {"1900001", "1900002"}
        owed = json.loads((reports / "summary.json").read_text())["resources"]
        cleanup = subprocess.run(
            [sys.executable, "-m", "harness", "cleanup", "--ledger",
             str(reports / "ledger.jsonl"), "--wait", "0.2"], env=env, capture_output=True,
            text=True, timeout=300, check=False)
        server.simulator.images.ready_after_seconds = 0.0  # they are made now
        second = subprocess.run([sys.executable, "-m", "harness", *run_args], env=env,
                                capture_output=True, text=True, timeout=300, check=False)
        left = server.simulator.images.created_count
    assert first.returncode == 0, first.stdout[-2000:]  # the contract held: not a violation
    assert "OWED serverImageNo" in first.stdout
    assert "(3 image(s) owed: still being created)" in first.stdout
    assert "0 image(s) left behind" not in first.stdout
    assert set(owed["owed"]) <= made
    assert len(owed["owed"]) == 3
    assert owed["settle_command"] == (f"ncp-harness cleanup --ledger {reports / 'ledger.jsonl'}"
                                      " --wait 3600")
    assert cleanup.returncode == 3, cleanup.stdout  # still being made: try again later
    assert "owed: serverImageNo" in cleanup.stdout
    assert second.returncode == 0, second.stdout[-2000:]
    assert "settled first, from the ledger: 1 earlier run(s), 3 image(s) deleted" in (
        second.stdout)
    assert left == 0
    assert not Ledger(reports / "ledger.jsonl").state().owes
