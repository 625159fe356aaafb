"""The fixture target: matching, order, signing, recorded timeouts; re-checking one exchange."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness.contract.account import Account
from harness.contract.oracle import Outcome
from harness.core.errors import NotRecorded, TargetTimeout
from harness.recording.cassette import Cassette, CassetteFile
from harness.recording.har import Exchange
from harness.targets.replay import FixtureTarget, accounts_along, recheck

CREATE = "/vserver/v2/createServerImageFromSnapshot"
VALID = ("serverImageName=img-1&blockStorageList.1.order=0"
         "&blockStorageList.1.snapshotInstanceNo=1000001")


def _success(name: str) -> bytes:
    return (b'{"createServerImageFromSnapshotResponse": {"requestId": "r", "returnCode": "0",'
            b' "returnMessage": "success", "totalRows": 1, "serverImageList": [{"serverImageNo":'
            b' "9", "serverImageName": "' + name.encode() + b'"}]}}')


def _exchange(status: int, body: bytes = b"{}", **changes: object) -> Exchange:
    base = Exchange(method="GET", url=f"https://rec.invalid{CREATE}?{VALID}",
                    request_headers=(), request_body=b"", status=status, reason="",
                    response_headers=(("Content-Type", "application/json"),),
                    response_body=body, label="valid:base", rules=("SEED-R4",))
    return replace(base, **changes)  # type: ignore[arg-type]


def _cassette(*exchanges: Exchange) -> Cassette:
    numbered = tuple(replace(e, seq=i, where=f"c.har log.entries[{i}]")
                     for i, e in enumerate(exchanges))
    return Cassette(Path("c"), (CassetteFile(Path("c/c.har"), {"run": "r"}, numbered),))


def _target(*exchanges: Exchange) -> FixtureTarget:
    return FixtureTarget("https://cassette.invalid", None, name="fixtures",
                         cassette=_cassette(*exchanges))


def test_identical_requests_get_their_recordings_in_order_then_the_last_again() -> None:
    target = _target(_exchange(429, b'{"error": {}}'), _exchange(200, b"second"))
    statuses = [target._once("GET", "createServerImageFromSnapshot", VALID, "valid").status
                for _ in range(3)]
    assert statuses == [429, 200, 200]
    assert not target.creates


def test_a_request_is_matched_on_wire_method_body_and_signing() -> None:
    target = _target(_exchange(200), _exchange(401, signing="none"),
                     _exchange(200, method="POST", url=f"https://rec.invalid{CREATE}",
                               request_body=VALID.encode()))
    assert target.request("GET", "createServerImageFromSnapshot", VALID).status == 200
    assert target.request("GET", "createServerImageFromSnapshot", VALID,
                          signing="none").status == 401
    assert target.request("POST", "createServerImageFromSnapshot", VALID).status == 200
    with pytest.raises(NotRecorded, match=r"GET /vserver/v2/createServerImageFromSnapshot\?x=1"):
        target.request("GET", "createServerImageFromSnapshot", "x=1")
    with pytest.raises(NotRecorded, match="wrong signature"):
        target.request("GET", "createServerImageFromSnapshot", VALID, signing="wrong")
    with pytest.raises(NotRecorded, match="body: a=1"):
        target.request("POST", "createServerImageFromSnapshot", "a=1")


def test_a_recorded_timeout_times_out_again() -> None:
    target = _target(_exchange(0, b"", error="timeout"))
    with pytest.raises(TargetTimeout, match="no answer was recorded"):
        target.request("GET", "createServerImageFromSnapshot", VALID)


def test_a_recording_under_a_path_prefix_still_matches() -> None:
    target = _target(_exchange(200, url=f"https://rec.invalid/gw/prefix{CREATE}?{VALID}"))
    assert target.request("GET", "createServerImageFromSnapshot", VALID).status == 200


def test_recheck_judges_the_recorded_request_now(account: Account) -> None:
    verdict, result = recheck(_exchange(400, b'{"responseError": {"returnCode": "1",'
                                        b' "returnMessage": "no"}}'), account)
    assert verdict is not None
    assert verdict.outcome is Outcome.ACCEPT
    assert [(v.rule, v.check) for v in result.violations] == [
        ("SEED-R4", "status_agrees_with_oracle")]
    assert recheck(_exchange(0, error="dropped"), account)[1].transient


def test_names_created_earlier_are_taken_for_later_exchanges(account: Account) -> None:
    first = _exchange(200, _success("img-1"))
    cassette = _cassette(first, first)
    along = accounts_along(cassette, account)
    before, after = (along[f"c.har log.entries[{i}]"] for i in (0, 1))
    assert "img-1" not in before.image_names
    assert "img-1" in after.image_names
    verdict, _ = recheck(cassette.files[0].exchanges[1], after)
    assert verdict is not None
    assert verdict.outcome is Outcome.UNSPECIFIED  # U10: the name is in use
