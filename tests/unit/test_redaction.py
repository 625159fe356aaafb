"""Redaction: headers, secret-looking parameters and known secret values never reach a disk."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.core.errors import ConfigError
from harness.core.signing import Credentials
from harness.recording.cassette import Cassette, Recorder, file_name
from harness.recording.har import Exchange
from harness.recording.redaction import MASK, Redactor

ACCESS = "SENTINEL-ACCESS-7f3a"
SECRET = "SENTINEL-SECRET/+=9c1e"
SIGNATURE = "c2VudGluZWwtc2lnbmF0dXJl+/AB=="
CREDS = Credentials(ACCESS, SECRET)


def _exchange(**changes: object) -> Exchange:
    base = Exchange(
        method="GET", url="https://h.invalid/vserver/v2/getRegionList?responseFormatType=json",
        request_headers=(("x-ncp-iam-access-key", ACCESS), ("x-ncp-apigw-timestamp", "1700"),
                         ("x-ncp-apigw-signature-v2", SIGNATURE), ("Accept", "*/*")),
        request_body=b"", status=200, reason="OK",
        response_headers=(("Content-Type", "application/json"),), response_body=b"{}")
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("wire", "masked"), [
    ("a=1&password=hunter2&b=2", f"a=1&password={MASK}&b=2"),
    ("accessKey=x&secret_key=y", f"accessKey={MASK}&secret_key={MASK}"),
    ("X-Auth-Token=t&sessionId=s", f"X-Auth-Token={MASK}&sessionId={MASK}"),
    ("signature=s&api-key=k&credentials=c", f"signature={MASK}&api-key={MASK}&credentials={MASK}"),
    ("myAccount=42&memberNo=7", f"myAccount={MASK}&memberNo=7"),  # extra name, exact case-free
    ("serverImageName=a&blockStorageList.1.order=0",
     "serverImageName=a&blockStorageList.1.order=0"),
    ("pass%77ord=x", f"pass%77ord={MASK}"),  # the name is judged decoded
    ("password", "password"),  # no value: nothing to mask
])
def test_secret_looking_parameters_lose_their_values(wire: str, masked: str) -> None:
    assert Redactor.of(None, params=["MYACCOUNT"]).mask_wire(wire) == masked


@given(st.text(st.characters(blacklist_characters="&="), max_size=10),
       st.text(max_size=10))
def test_other_parameters_are_kept_byte_for_byte(name: str, value: str) -> None:
    redactor = Redactor.of(None)
    wire = f"{name}={value}".replace("&", "%26")
    if not redactor.secret_param(name):
        assert redactor.mask_wire(wire) == wire


def test_headers_lose_keys_signatures_timestamps_and_named_extras() -> None:
    redactor = Redactor.of(CREDS, headers=["X-Account-Id"])
    masked = redactor.exchange(_exchange(response_headers=(("X-Account-Id", "acct-99"),
                                                           ("Set-Cookie", "s=1"))))
    assert dict(masked.request_headers) == {
        "x-ncp-iam-access-key": MASK, "x-ncp-apigw-timestamp": MASK,
        "x-ncp-apigw-signature-v2": MASK, "Accept": "*/*"}
    assert dict(masked.response_headers) == {"X-Account-Id": MASK, "Set-Cookie": MASK}


@pytest.mark.parametrize("form", [ACCESS, SECRET, SIGNATURE, quote(SIGNATURE, safe=""),
                                  quote(SECRET, safe="")])
def test_a_secret_echoed_anywhere_is_scrubbed(form: str) -> None:
    redactor = Redactor.of(CREDS)
    redactor.exchange(_exchange())  # learns the signature it masks
    text = redactor.scrub(f'{{"echo": "{form}", "url": "?q={form}"}}')
    assert form not in text
    assert MASK in text


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_recorded_files_hold_no_sentinel_in_any_form(tmp_path: Path) -> None:
    redactor = Redactor.of(CREDS, params=["tenant"], headers=["X-Account-Id"])
    recorder = Recorder(tmp_path, redactor, {"source": "test", "seed": 1})
    recorder(_exchange(
        url=f"https://h.invalid/vserver/v2/x?tenant=SENTINEL-TENANT&token={quote(SECRET)}",
        response_headers=(("X-Account-Id", "SENTINEL-ACCOUNT"),),
        response_body=f'{{"echo": "{ACCESS} {SIGNATURE}"}}'.encode()))
    recorder.group = "test_one[a]"
    recorder(_exchange(method="POST", request_body=f"password=SENTINEL-PW&k={ACCESS}".encode()))
    recorder.flush("test_one[a]")
    recorder.flush()  # the current group (test_one[a]) again: rewritten, not duplicated
    recorder.flush("session")
    written = _all_bytes(tmp_path)
    sentinels = [ACCESS, SECRET, SIGNATURE, "SENTINEL-TENANT", "SENTINEL-ACCOUNT",
                 "SENTINEL-PW", "1700"]
    for sentinel in sentinels:
        for form in {sentinel, quote(sentinel, safe=""), base64.b64encode(sentinel.encode())
                     .decode()}:
            assert form.encode() not in written, form
    cassette = Cassette.load(tmp_path)
    assert sorted(f.name for f in cassette.files) == ["session.har", "test_one-a.har"]
    assert len(cassette) == 2


def test_a_directory_that_holds_a_cassette_is_refused(tmp_path: Path) -> None:
    (tmp_path / "old.har").write_text("{}")
    with pytest.raises(ConfigError, match="already holds a cassette"):
        Recorder.prepare(tmp_path)
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="not a directory"):
        Recorder.prepare(tmp_path / "file")
    Recorder.prepare(tmp_path / "new" / "dir")
    assert (tmp_path / "new" / "dir").is_dir()


@pytest.mark.parametrize(("group", "worker", "name"), [
    ("test_x[SEED-R4]", None, "test_x-SEED-R4.har"),
    ("test_x[a/b c]", None, "test_x-a-b-c.har"),
    ("session", "gw1", "session-gw1.har"),
    ("../../etc", None, "etc.har"),
])
def test_file_names_are_safe(group: str, worker: str | None, name: str) -> None:
    assert file_name(group, worker) == name
