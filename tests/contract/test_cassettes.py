"""Record a run, replay it offline, resend its failures; shipped cassettes; corrupt ones."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from harness.contract.oracle import Outcome, Verdict
from harness.contract.rules import RULES
from harness.core.signing import Credentials
from harness.recording.cassette import SHIPPED_CASSETTE, Cassette
from harness.sim import SimResponse, Simulator
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from tests.cassettes import SEED_SET, seed_example_har

NCP_HARNESS = str(Path(sys.executable).with_name("ncp-harness"))
CREDS = default_scenario().credentials
assert CREDS is not None


def harness(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The `ncp-harness` command, as users run it (replays draw as recordings did)."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("NCLOUD_", "HYPOTHESIS", "PYTEST_"))}
    return subprocess.run([NCP_HARNESS, *args, "--quiet"], capture_output=True, text=True,
                          timeout=600, check=False, env={**base, **(env or {})})


def summary(report: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((report / "summary.json").read_text())
    return data


def replay_of(report: Path) -> dict[str, int | list[str] | str]:
    value = summary(report)["replay"]
    assert isinstance(value, dict)
    return value


def violated_rules(report: Path) -> set[str]:
    violations = summary(report)["violations"]
    assert isinstance(violations, list)
    return {v["rule"] for v in violations}


def live_env(url: str, creds: Credentials = CREDS) -> dict[str, str]:
    return {"NCLOUD_API_GW": url, "NCLOUD_ACCESS_KEY": creds.access_key,
            "NCLOUD_SECRET_KEY": creds.secret_key}


def out(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout[-3000:] + result.stderr[-2000:]


@pytest.mark.slow
def test_a_recording_replays_offline_with_every_request_matched(tmp_path: Path) -> None:
    cassette, report = tmp_path / "cassette", tmp_path / "replay"
    recorded = harness("record", "--out", str(cassette), "--seed", "3", "--max-examples", "3",
                       "-k", "SEED-R4 or auth or json or mixed", "--report-dir",
                       str(tmp_path / "record"))
    assert recorded.returncode == 0, out(recorded)
    loaded = Cassette.load(cassette)
    names = {f.name for f in loaded.files}
    assert {"session.har", "test_broken_rule_is_rejected-SEED-R4.har",
            "test_auth_failure_gets_401-stale.har"} <= names
    assert loaded.seed == 3
    assert loaded.max_examples == 3
    replayed = harness("run", "--target", "fixtures", "--cassette", str(cassette),
                       "-k", "SEED-R4 or auth or json or mixed or recorded",
                       "--report-dir", str(report))
    assert replayed.returncode == 0, out(replayed)
    assert f"{len(loaded)} recorded exchanges re-checked" in replayed.stdout
    replay = replay_of(report)
    assert replay["rechecked"] == len(loaded)
    assert replay["not_recorded"] == 0, replay["not_recorded_requests"]
    run = summary(report)["run"]
    assert isinstance(run, dict)
    assert (run["target"], run["seed"]) == ("fixtures", 3)
    resources = summary(report)["resources"]
    assert resources == {"created": 0, "deleted": 0, "leaked": 0, "left_behind": {},
                         "recovered": 0, "unknown": 0, "unknown_creates": [],
                         "possibly_created": {}, "not_deleted": {}, "owed": {},
                         "vanished": {}, "unattributed": {}, "settle_command": None,
                         "inherited": None}


class _Spy(Simulator):
    """Keeps every credential-bearing header value the harness sent."""

    seen: set[str]

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        self.seen.update(v for k, v in headers.items() if k.lower().startswith("x-ncp"))
        return super().handle(method, target, headers, body)


@pytest.mark.slow
def test_sentinel_secrets_reach_no_byte_written(tmp_path: Path) -> None:
    sentinel = Credentials("SENTINEL-ACCESS-0c7d1e", "SENTINEL-SECRET-9b2f6a")
    spy = _Spy(replace(default_scenario(), credentials=sentinel))
    spy.seen = set()
    cassette, report = tmp_path / "cassette", tmp_path / "report"
    with running(spy) as server:
        result = harness("record", "--target", "live", "--out", str(cassette), "--seed", "8",
                         "--max-examples", "2", "--redact-param", "serverImageDescription",
                         "--report-dir", str(report), env=live_env(server.url, sentinel))
    assert result.returncode == 0, out(result)
    signatures = {v for v in spy.seen if v.endswith("=")}
    assert len(signatures) > 50  # one per signed request
    written = b"".join(p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file())
    written += (result.stdout + result.stderr).encode()
    for secret in {sentinel.access_key, sentinel.secret_key, *spy.seen}:
        assert secret.encode() not in written, secret
    text = "\n".join(p.read_text() for p in cassette.glob("*.har"))
    assert "serverImageDescription=REDACTED" in text
    assert '"name": "x-ncp-apigw-signature-v2", "value": "REDACTED"' in text


@pytest.mark.slow
def test_a_misbehaving_service_fails_its_replay_with_the_same_rules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.sim.actions.judge",
                        lambda params, account: Verdict(Outcome.ACCEPT))
    cassette = tmp_path / "cassette"
    with running(Simulator()) as server:
        recorded = harness("record", "--target", "live", "--out", str(cassette), "--seed", "5",
                           "--max-examples", "5", "-k", "SEED-R3 or SEED-R6",
                           "--max-creates", "1000",  # every invalid request makes an image
                           "--report-dir", str(tmp_path / "record"), env=live_env(server.url))
    assert recorded.returncode == 1, out(recorded)
    rules = violated_rules(tmp_path / "record")
    assert rules == {"SEED-R3", "SEED-R6"}
    replayed = harness("run", "--target", "fixtures", "--cassette", str(cassette),
                       "--report-dir", str(tmp_path / "replay"))
    assert replayed.returncode == 1, out(replayed)
    assert violated_rules(tmp_path / "replay") == rules
    assert "[SEED-R3] status_agrees_with_oracle" in replayed.stdout
    assert "# recorded at" in replayed.stdout


def _edited_shipped_set(tmp_path: Path) -> Path:
    """The shipped recording with one SEED-R2 rejection turned into a 200 by hand."""
    copy = tmp_path / "edited"
    shutil.copytree(SHIPPED_CASSETTE, copy)
    path = copy / "test_broken_rule_is_rejected-SEED-R2.har"
    text, count = re.subn(r'"status": 400, "statusText": "Bad Request"',
                          '"status": 200, "statusText": "OK"', path.read_text(), count=1)
    assert count == 1
    path.write_text(text)
    return copy


@pytest.mark.slow
def test_a_hand_edited_answer_fails_replay_and_resending_shows_it_fixed(tmp_path: Path) -> None:
    edited = _edited_shipped_set(tmp_path)
    replayed = harness("run", "--target", "fixtures", "--cassette", str(edited), "-k",
                       "recorded", "--report-dir", str(tmp_path / "replay"))
    assert replayed.returncode == 1, out(replayed)
    assert violated_rules(tmp_path / "replay") == {"SEED-R2"}
    assert "test_broken_rule_is_rejected-SEED-R2.har log.entries[0]" in replayed.stdout
    assert "ncp-harness send --target live --method" in replayed.stdout
    resent = harness("run", "--target", "simulator", "--cassette", str(edited), "-k",
                     "recorded", "--report-dir", str(tmp_path / "resend"))
    assert resent.returncode == 0, out(resent)
    replay = replay_of(tmp_path / "resend")
    assert (replay["recorded_failures"], replay["fixed"], replay["still_failing"]) == (1, 1, 0)
    assert "recorded failures sent again: 1, fixed 1, still failing 0" in resent.stdout


@pytest.mark.slow
def test_requests_with_no_recording_are_counted_and_listed_not_failed(tmp_path: Path) -> None:
    result = harness("run", "--target", "fixtures", "--seed", "1", "-k", "SEED-R5",
                     "--report-dir", str(tmp_path))
    assert result.returncode == 3, out(result)  # incomplete: not judged, never failed
    replay = replay_of(tmp_path)
    missing = replay["not_recorded_requests"]
    assert isinstance(missing, list)
    assert replay["not_recorded"] >= len(missing) > 0  # type: ignore[operator]
    assert all(m.startswith(("GET /vserver/v2/", "POST /vserver/v2/")) for m in missing)
    assert "generated requests had no recording" in result.stdout
    assert summary(tmp_path)["verdict"] == "incomplete"
    assert "request(s) the recording has no answer to" in result.stdout
    assert summary(tmp_path)["violations"] == []


@pytest.mark.parametrize(("damage", "place"), [
    (lambda text: text[: len(text) // 2], r"line \d+ column \d+"),
    (lambda text: text.replace('"status": 200', '"status": "200"', 1),
     r"log\.entries\[\d+\]\.response\.status"),
    (lambda text: "", "the file is empty"),
], ids=["truncated", "hand-edited", "emptied"])
def test_a_corrupt_cassette_exits_2_naming_file_and_place(tmp_path: Path, damage: object,
                                                          place: str) -> None:
    copy = tmp_path / "corrupt"
    shutil.copytree(SEED_SET, copy)
    path = copy / "session.har"
    path.write_text(damage(path.read_text()))  # type: ignore[operator]
    result = harness("run", "--target", "fixtures", "--cassette", str(copy), "--report-dir",
                     str(tmp_path / "report"))
    assert result.returncode == 2, out(result)
    assert re.search(rf"cassette {re.escape(str(path))}(, |: ){place}", result.stderr), \
        result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("run", "--target", "fixtures", "--cassette", "/nonexistent"), "no such directory"),
    (("record", "--out", str(SHIPPED_CASSETTE)), "already holds a cassette"),
    (("run", "--target", "fixtures", "--max-examples", "0"), "--max-examples: 0 is out of"),
], ids=["missing", "occupied", "zero-examples"])
def test_cassette_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = harness(*args, "--report-dir", str(tmp_path))
    assert result.returncode == 2, out(result)
    assert message in result.stdout + result.stderr


def test_the_shipped_recording_covers_every_rule_both_formats_and_methods() -> None:
    cassette = Cassette.load(SHIPPED_CASSETTE)
    creates = [e for e in cassette.ordered() if e.action == "createServerImageFromSnapshot"]
    labelled = {rule for e in creates for rule in e.rules}
    # SEED-R10 (responseFormatType) labels no probe: the formats below are its coverage.
    assert {r for r in RULES if r.startswith("SEED-R") and r != "SEED-R10"} <= labelled
    rejected = {rule for e in creates if 400 <= e.status < 500 for rule in e.rules}
    assert {r for r in RULES if r.startswith("SEED-R") and r != "SEED-R10"} <= rejected
    assert {e.method for e in creates} == {"GET", "POST"}
    formats = {"json" if "responseFormatType=json" in e.wire else
               "xml" for e in creates if e.status == 200}
    assert formats == {"json", "xml"}
    assert {f.meta.get("source") for f in cassette.files} == {"simulator"}
    assert all(f.meta.get("seed") == 20261127 for f in cassette.files)


@pytest.mark.slow
def test_the_shipped_recording_replays_clean(tmp_path: Path) -> None:
    result = harness("run", "--target", "fixtures", "--report-dir", str(tmp_path))
    assert result.returncode == 0, out(result)
    assert replay_of(tmp_path)["rechecked"] == len(Cassette.load(SHIPPED_CASSETTE))
    said = re.search(r"(\d+) exchanges,\s+(\d+) of the (\d+) request clauses",
                     (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8"))
    assert said is not None, "the README no longer says what the shipped recording holds"
    clauses = summary(tmp_path)["clauses"]
    assert isinstance(clauses, dict)
    assert [int(n) for n in said.groups()] == [
        len(Cassette.load(SHIPPED_CASSETTE)), sum(bool(c["covered"]) for c in clauses.values()),
        len(clauses)]


def test_the_seed_example_replays_clean_and_is_current(tmp_path: Path) -> None:
    assert (SEED_SET / "seed-example.har").read_text() == seed_example_har()
    result = harness("run", "--target", "fixtures", "--cassette", str(SEED_SET), "-k",
                     "recorded", "--report-dir", str(tmp_path))
    assert result.returncode == 0, out(result)
    rules = summary(tmp_path)["rules"]
    assert isinstance(rules, dict)
    assert (rules["SEED-R10"]["sent"], rules["SEED-R10"]["accepted"]) == (1, 1)
    loaded = Cassette.load(SEED_SET)
    example = loaded.file("seed-example.har")
    assert example.meta["source"] == "seed-page"
    assert replay_of(tmp_path)["rechecked"] == len(loaded)
