"""`ncp-harness preflight`: read-only, judges the neighbours, says what a run would cover."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from harness.cli.commands import main
from harness.contract.account import GIB
from harness.contract.wire import decode
from harness.custody.ledger import Ledger, RunRecord
from harness.custody.ownership import Owned
from harness.run.createcheck import ASSUMED_XML_ERROR
from harness.run.preflight import CLOCK_LIMIT_S, Preflight, clock_skew, preflight
from harness.sim import Simulator
from harness.sim.actions import ACTIONS, Context
from harness.sim.inprocess import DEFAULT_BASE_URL, simulated
from harness.sim.render import SimResponse, image_body, success
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from harness.sim.state import StoredMapping
from harness.targets.transport import HttpTarget, simulator_target
from tests.hostile import OtherXmlErrors, Watched

CREDS = default_scenario().credentials


def test_a_preflight_of_the_simulator_is_ready_and_creates_nothing() -> None:
    with simulator_target() as target:
        result = preflight(target, max_creates=25, now=time.time)
    assert result.exit_code == 0, result.lines()
    assert result.problems == []
    assert result.skew_s is not None
    assert abs(result.skew_s) < CLOCK_LIMIT_S
    assert len(result.judged) == 8  # four list actions, JSON and XML
    assert result.account is not None
    assert result.account.size_unit == "bytes"
    assert result.not_covered == []
    assert result.base_usable == {"CB1": True, "CB2": True, "FB1": False, "FB2": False}


def test_nothing_is_created_or_deleted_on_a_served_account(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert CREDS is not None
    with running() as server:
        before = sorted(server.simulator.images.numbers())
        monkeypatch.setenv("NCLOUD_ACCESS_KEY", CREDS.access_key)
        monkeypatch.setenv("NCLOUD_SECRET_KEY", CREDS.secret_key)
        monkeypatch.setenv("NCLOUD_API_GW", server.url)
        code = main(["preflight", "--max-creates", "2", "--format", "json"])
        after = sorted(server.simulator.images.numbers())
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert before == after
    assert report["account"]["images_present"] == len(before)
    assert report["would_not_cover"]  # 2 creates: two of the three covering requests
    assert report["would_cover"]
    assert CREDS.secret_key not in json.dumps(report)


def test_a_clock_too_far_off_stops_a_run_before_it_starts() -> None:
    with simulator_target() as target:
        result = preflight(target, max_creates=25, now=lambda: time.time() - 2 * CLOCK_LIMIT_S)
    assert result.exit_code == 2
    assert "behind the gateway's" in result.problems[0]
    assert "NTP" in result.problems[0]


def test_refused_keys_are_exit_2_and_name_the_variables(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with running() as server:
        monkeypatch.setenv("NCLOUD_ACCESS_KEY", "not-the-key")
        monkeypatch.setenv("NCLOUD_SECRET_KEY", "not-the-secret")
        monkeypatch.setenv("NCLOUD_API_GW", server.url)
        code = main(["preflight"])
    out = capsys.readouterr().out
    assert code == 2
    assert "refused the key pair; check NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY" in out
    assert "not-the-secret" not in out


def _regions_without_code(ctx: Context) -> SimResponse:
    rows = [{"regionName": r} for r in ctx.scenario.account.regions]  # regionCode is Required
    return success("getRegionList", "regionList", rows, ctx.fmt)


def test_a_neighbour_answer_that_breaks_the_reference_is_exit_1(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ACTIONS, "getRegionList", _regions_without_code)
    with simulator_target() as target:
        result = preflight(target, max_creates=25, now=time.time)
    assert result.exit_code == 1
    broken = [j for j in result.judged if j.result.violations]
    assert {j.action for j in broken} == {"getRegionList"}
    assert any("regionCode" in line for line in result.lines())


@pytest.mark.parametrize(("header", "now", "skew"), [
    ("Wed, 02 Dec 2026 13:00:00 GMT", 1796216400.0 - 60, 60.0),
    ("", 0.0, None),
    ("yesterday", 0.0, None),
])
def test_clock_skew_reads_the_date_header(header: str, now: float, skew: float | None) -> None:
    assert clock_skew(header, now) == skew


def test_what_earlier_runs_still_owe_in_the_ledger_is_said_before_a_run(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    assert CREDS is not None
    with running() as server:
        ledger = Ledger(tmp_path / "ledger.jsonl")
        record = RunRecord("r1", server.url, "KR", "t4g0", time.time() - 600)
        ledger.run(record)
        ledger.created(record, Owned("2000007", "abct4g0001", "KR"))  # still owed
        monkeypatch.setenv("NCLOUD_ACCESS_KEY", CREDS.access_key)
        monkeypatch.setenv("NCLOUD_SECRET_KEY", CREDS.secret_key)
        monkeypatch.setenv("NCLOUD_API_GW", server.url)
        code = main(["preflight", "--ledger", str(tmp_path / "ledger.jsonl")])
        text = capsys.readouterr().out
        assert main(["preflight", "--ledger", str(tmp_path / "none.jsonl"),
                     "--format", "json"]) == 0
        none = json.loads(capsys.readouterr().out)
    assert code == 0
    assert "earlier runs still own 1 image(s) here" in text
    assert none["ledger_owes"] is None


def _checked(simulator: Simulator, tmp_path: Path) -> tuple[Preflight, set[str]]:
    """Preflight with --check-create against `simulator`, and the images it added."""
    before = simulator.images.numbers()
    with simulated(DEFAULT_BASE_URL, simulator):
        target = HttpTarget(DEFAULT_BASE_URL, simulator.credentials, name="live")
        try:
            result = preflight(target, max_creates=25, now=time.time, check_create=True,
                               ledger=Ledger(tmp_path / "ledger.jsonl"))
        finally:
            target.close()
    return result, simulator.images.numbers() - before


def test_check_create_proves_permission_and_shows_the_xml_error_shape(tmp_path: Path) -> None:
    simulator = Watched()
    result, added = _checked(simulator, tmp_path)
    assert result.exit_code == 0, result.lines()
    check = result.create
    assert check is not None
    assert check.outcome == "may-create"
    assert check.status == 400
    assert check.xml_as_assumed is True
    assert check.xml_shape == ASSUMED_XML_ERROR
    creates = [s for s in simulator.seen if "createServerImageFromSnapshot" in s]
    assert len(creates) == 1  # one create, asked in XML (no responseFormatType)
    assert "responseFormatType" not in creates[0]
    assert check.snapshot not in {s.instance_no for s in simulator.scenario.account.snapshots}
    assert added == set()
    assert not Ledger(tmp_path / "ledger.jsonl").state().owes
    assert "as the harness assumes" in "\n".join(result.lines())


@pytest.mark.parametrize(("code", "words"), [("210", "Permission Denied"), ("230", "Forbidden")])
def test_check_create_says_when_the_key_may_not_create(
        tmp_path: Path, code: str, words: str) -> None:
    result, added = _checked(Watched(replace(default_scenario(), deny_create=code)), tmp_path)
    assert result.exit_code == 2
    assert result.problems[0].startswith(f"this key may not create images here ({words}, {code})")
    assert added == set()


class MakesAnything(Watched):
    """Makes an image of any create, a snapshot it does not have included (SEED-R5 broken)."""

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        del method, headers, body
        params = dict(decode(target.partition("?")[2]))
        image = self.images.create(params["serverImageName"], None, (StoredMapping(
            0, params["blockStorageList.1.snapshotInstanceNo"], "ghost", 10 * GIB, "CB1"),),
            status="CREAT")
        return success("createServerImageFromSnapshot", "serverImageList", [image_body(image)],
                       "xml")


def test_check_create_deletes_an_image_a_faulty_service_made_and_says_so(
        tmp_path: Path) -> None:
    simulator = MakesAnything()
    result, added = _checked(simulator, tmp_path)
    check = result.create
    assert check is not None
    assert check.outcome == "accepted"
    assert result.exit_code == 1  # the service broke the contract, and the image is gone
    assert check.cleanup.deleted
    assert added == set()


def test_check_create_shows_an_xml_error_shape_that_differs(tmp_path: Path) -> None:
    result, _ = _checked(OtherXmlErrors(), tmp_path)
    check = result.create
    assert check is not None
    assert check.outcome == "may-create"
    assert check.xml_as_assumed is False
    assert check.xml_shape == "<responseError><code/><message/></responseError>"
    assert "differs from the assumed" in "\n".join(result.lines())
