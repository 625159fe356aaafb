"""No key or signature reaches any output, whatever the endpoint sends back (issue 15, item 2).

A gateway that echoes every key and signature it receives (tests/hostile.py `Echo`: in
messages, image names, headers, 401 bodies, bodies that are not UTF-8 and pages that are
not JSON) is recorded and reported by a live run; every byte the run wrote (cassette,
summary, report, both junit files, ledger) and printed is searched for each secret in
every form it was echoed in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest

from harness.core.scrub import MASK, Scrubber
from harness.core.signing import Credentials
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from tests.hostile import Echo

SENTINEL = Credentials("SENTINEL-ACCESS-4e1f0a", "SENTINEL-SECRET-77c2d9")


def _env(url: str, access: str = SENTINEL.access_key,
         secret: str = SENTINEL.secret_key) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("NCLOUD_", "HYPOTHESIS", "PYTEST_"))}
    return {**base, "NCLOUD_API_GW": url, "NCLOUD_ACCESS_KEY": access,
            "NCLOUD_SECRET_KEY": secret}


def _forms(secret: str) -> set[bytes]:
    return {secret.encode(), quote(secret, safe="").encode(), secret.replace("/", "\\/").encode(),
            base64.b64encode(secret.encode())}


@pytest.mark.slow
def test_an_echoing_endpoint_gets_no_secret_into_any_output(tmp_path: Path) -> None:
    echo = Echo(replace(default_scenario(), credentials=SENTINEL))
    with running(echo) as server:
        result = subprocess.run(
            [sys.executable, "-m", "harness", "record", "--target", "live", "--quiet",
             "--out", str(tmp_path / "cassette"), "--report-dir", str(tmp_path / "reports"),
             "--seed", "3", "--max-examples", "3", "-k",
             "auth or neighbour or covering or (valid and (base or format))"],
            env=_env(server.url), capture_output=True, text=True, timeout=300, check=False)
    signatures = {v for v in echo.heard if v.endswith("=")}
    assert len(signatures) > 20
    written = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    names = {p.name for p in written}
    assert {"summary.json", "report.html", "junit.xml", "junit-tests.xml",
            "ledger.jsonl", "session.har"} <= names
    assert any(b"\\ufffd" in data or b'"encoding": "base64"' in data
               for data in written.values())  # the non-UTF-8 bodies were kept, redacted
    everything = b"".join(written.values()) + (result.stdout + result.stderr).encode()
    assert b"REDACTED" in everything
    for secret in {SENTINEL.access_key, SENTINEL.secret_key, *signatures}:
        for form in _forms(secret):
            assert form not in everything, (secret[:8], form[:12])


def test_a_key_that_is_not_printable_ascii_is_refused_by_name_never_shown(
        tmp_path: Path) -> None:
    bad = "SENTINEL-SECRET-\udcff-7f"  # a non-UTF-8 byte, as Python reads it from the env
    env = {k: v for k, v in _env("http://127.0.0.1:9").items() if k != "NCLOUD_SECRET_KEY"}
    environb = {k.encode(): v.encode() for k, v in env.items()}
    environb[b"NCLOUD_SECRET_KEY"] = bad.encode("utf-8", "surrogateescape")
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--target", "live",
                             "--report-dir", str(tmp_path)], env=environb,
                            capture_output=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output.decode("utf-8", "replace")
    assert b"NCLOUD_SECRET_KEY holds a character that is not printable ASCII (character 17)" \
        in output
    assert b"SENTINEL-SECRET" not in output
    assert not list(tmp_path.glob("junit*.xml")) or all(
        b"SENTINEL-SECRET" not in p.read_bytes() for p in tmp_path.glob("*"))


def _signature() -> str:
    return base64.b64encode(hashlib.sha256(b"a signature of a request").digest()).decode()


@pytest.mark.parametrize("form", [
    lambda key, sig: key.lower(),
    lambda key, sig: key.upper(),
    lambda key, sig: key.swapcase(),
    lambda key, sig: quote(key.lower(), safe=""),
    lambda key, sig: sig.rstrip("="),  # the padding dropped
    lambda key, sig: sig.rstrip("=").replace("+", "-").replace("/", "_"),  # base64url
    lambda key, sig: re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(sig, safe="")),
    lambda key, sig: sig.replace("/", "\\/"),  # JSON-escaped
])
def test_a_key_or_signature_in_any_form_is_masked(form: Callable[[str, str], str]) -> None:
    scrubber = Scrubber()
    key, sig = "SentinelAccessKey4e1f", _signature()
    scrubber.key(key)
    scrubber.signature(sig)
    shown = form(key, sig)
    for text in (f'{{"echo": "{shown}"}}', f"x-sig: {shown}\r\n", f"?a=1&s={shown}&b=2",
                 f"said {shown} twice {shown}"):
        masked = scrubber.text(text)
        assert shown not in masked, text
        assert MASK in masked
    assert scrubber.text("plain words-and_underscores, 43 of them or not") == (
        "plain words-and_underscores, 43 of them or not")


def test_check_traffic_never_prints_the_keys_or_signatures_a_har_holds(
        tmp_path: Path) -> None:
    """A capture tool that redacted nothing: the client's key and signatures stay in it."""
    golden = Path(__file__).parents[1] / "fixtures" / "go-sdk.har"
    headers = [h for entry in json.loads(golden.read_text(encoding="utf-8"))["log"]["entries"]
               for h in entry["request"]["headers"]]
    signatures = {h["value"] for h in headers if h["name"] == "x-ncp-apigw-signature-v1"}
    keys = {h["value"] for h in headers if h["name"] == "x-ncp-iam-access-key"}
    assert signatures
    assert keys
    document = json.loads(golden.read_text(encoding="utf-8"))
    sig = sorted(signatures)[0]
    echoed = (f"refused: key {sorted(keys)[0].lower()}, signature {sig.rstrip('=')},"
              f" {SENTINEL.access_key.swapcase()}")  # an echoing service, in other forms
    document["log"]["entries"][2]["response"].update(status=400, content={
        "mimeType": "application/json", "text": json.dumps(
            {"responseError": {"returnCode": "1", "returnMessage": echoed}})})
    har = tmp_path / "echoed.har"
    har.write_text(json.dumps(document), encoding="utf-8")
    env = _env("http://127.0.0.1:9", access=SENTINEL.access_key)
    for fmt in ("text", "json"):
        done = subprocess.run([sys.executable, "-m", "harness", "check-traffic", str(har),
                               "--format", fmt, "--scenario",
                               str(Path(__file__).parents[2] / "harness" / "scenarios"
                                   / "default.toml")],
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        said = done.stdout + done.stderr
        assert done.returncode == 1, said  # the refusal is judged, and quoted
        assert "refused: key" in said
        for secret in (*signatures, *keys, SENTINEL.access_key, SENTINEL.secret_key):
            for shown in (secret, secret.lower(), secret.swapcase(), secret.rstrip("=")):
                assert shown not in said, (fmt, shown)
