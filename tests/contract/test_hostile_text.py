"""Text from a service or from a file written elsewhere reaches no terminal, XML or HTML raw.

(Issue 15, item 3.) A service refuses every valid request with a message that clears the
screen and forges a "PASSED" line, with a NUL, a bell, an 8-bit CSI and a right-to-left
override in it; the run must print it as visible escapes, write valid XML, and fail.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote

import defusedxml.ElementTree as SafeET
import pytest

from harness.cli.commands import main
from harness.core.plain import block, json_text, one_line, shell_word
from harness.report.html import render_html
from harness.report.junit import junit_xml
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from tests.hostile import FORGED, Forger

CREDS = default_scenario().credentials
assert CREDS is not None
BASH = shutil.which("bash") or "/bin/bash"


def _run(url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert CREDS is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    env.update(NCLOUD_API_GW=url, NCLOUD_ACCESS_KEY=CREDS.access_key,
               NCLOUD_SECRET_KEY=CREDS.secret_key)
    return subprocess.run([sys.executable, "-m", "harness", *args], env=env,
                          capture_output=True, timeout=300, check=False)


@pytest.mark.slow
def test_a_forged_verdict_and_escapes_reach_no_terminal_and_no_xml(tmp_path: Path) -> None:
    with running(Forger()) as server:
        result = _run(server.url, "run", "--target", "live", "--report-dir", str(tmp_path),
                      "-k", "valid and base", "--max-examples", "2")
        sent = _run(server.url, "send", "--target", "live",
                    "serverImageName=abc&blockStorageList.1.order=0"
                    "&blockStorageList.1.snapshotInstanceNo=1000001")
    for output in (result.stdout + result.stderr, sent.stdout + sent.stderr):
        for raw in (b"\x1b", b"\x07", b"\x00", b"\r", "\x9b".encode(), "\u202e".encode()):
            assert raw not in output
        assert not any(line.strip() == b"PASSED: the contract held"
                       for line in output.splitlines())
    assert result.returncode == 1
    assert b"\\x1b[2J" in result.stdout  # shown, as a visible escape
    assert sent.returncode == 1
    assert b"\\x1b[2J" in sent.stdout
    for name in ("junit.xml", "junit-tests.xml"):
        ET.parse(tmp_path / name)  # noqa: S314 - well formed, or this raises
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    # kept whole, as JSON escapes, where a machine reads it
    assert any(FORGED in v["message"] for v in summary["violations"])


def _hostile_summary(tmp_path: Path) -> dict[str, Any]:
    with running() as server:
        assert _run(server.url, "run", "--target", "live", "--report-dir", str(tmp_path),
                    "-k", "covering", "--quiet").returncode == 0
    return dict(json.loads((tmp_path / "summary.json").read_text(encoding="utf-8")))


def test_report_html_escapes_every_field_of_a_summary_written_elsewhere(tmp_path: Path) -> None:
    summary = _hostile_summary(tmp_path)
    script = "<script>alert(1)</script>"
    forged = copy.deepcopy(summary)
    forged["replay"] = {"cassette": script, "rechecked": script, "not_recorded": script}
    forged["counts"] = {"sent": script}
    forged["resources"] = {**forged["resources"], "leaked": script, "unknown": script,
                           "left_behind": {script: script}}
    forged["findings"] = [{"cases": [script], "observed": {script: 1}, "example": script}]
    page = render_html(forged)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    (tmp_path / "summary.json").write_text(json.dumps(forged), encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "harness", "report", "--report-dir",
                              str(tmp_path)], capture_output=True, text=True, timeout=60,
                             check=False)
    assert refused.returncode == 2  # counts that are not counts: not a summary.json
    assert "summary.json" in refused.stderr
    assert "<script" not in (tmp_path / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "line", "kept"), [
    ("plain text, ü, 日本", "plain text, ü, 日本", "plain text, ü, 日本"),
    ("a\x1b[2Jb", "a\\x1b[2Jb", "a\\x1b[2Jb"),
    ("one\r\ntwo\nthree", "one\\x0d\\x0atwo\\x0athree", "one\ntwo\nthree"),
    ("\x9b31m\u202eabc\x00\x7f", "\\x9b31m\\u202eabc\\x00\\x7f", "\\x9b31m\\u202eabc\\x00\\x7f"),
])
def test_text_is_made_plain(text: str, line: str, kept: str) -> None:
    assert one_line(text) == line
    assert block(text) == kept


def test_shell_words_send_the_same_bytes(tmp_path: Path) -> None:
    for text in ("a=1&b=2", "it's", "x\x1by\x85z\u202e", "日本\ttab"):
        printed = subprocess.run([BASH, "-c", f"printf %s {shell_word(text)}"],
                                 capture_output=True, check=True, cwd=tmp_path).stdout
        assert printed == text.encode("utf-8")
        assert "\x1b" not in shell_word(text)


def test_json_outputs_carry_no_raw_control_bidi_or_c1_character(
        capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "img\u202egnp.exe\x9b31m\u200b\u2028\ufeff\x7f"
    main(["judge", "--json", f"serverImageName={quote(hostile)}&blockStorageList.1.order=0"
                             "&blockStorageList.1.snapshotInstanceNo=1000001"])
    out = capsys.readouterr().out
    for raw in "\u202e\x9b\u200b\u2028\ufeff\x7f":
        assert raw not in out
    written = json_text({"said": hostile, "lone": "\ud800"}, indent=2)
    for raw in "\u202e\x9b\u200b\u2028\ufeff\x7f\ud800":
        assert raw not in written  # json.dumps(ensure_ascii=False) would keep each raw
    assert "gnp.exe" in written  # readable text stays readable
    assert json.loads(written) == {"said": hostile, "lone": "\ud800"}  # read back whole


def test_report_html_writes_no_raw_control_character_from_service_text(
        tmp_path: Path) -> None:
    summary = _hostile_summary(tmp_path)
    hostile = "refused\x00\x1b[2J\x07\x0c\x9b31m\u202e"
    forged = copy.deepcopy(summary)
    forged["findings"] = [{"cases": ["U1"], "observed": {f"400: {hostile}": 1},
                           "example": hostile, "seed_says": [hostile]}]
    page = render_html(forged)
    for raw in "\x00\x1b\x07\x0c\x9b\u202e":
        assert raw not in page
    assert "refused\\x00\\x1b[2J\\x07\\x0c" in page  # shown, visibly


def test_junit_writes_no_raw_c1_or_bidi_character_from_service_text(tmp_path: Path) -> None:
    summary = _hostile_summary(tmp_path)
    forged = copy.deepcopy(summary)
    forged["harness_errors"] = [{"test": "t", "error": "boom\x9b31m\u202egnp.exe\x1b[2J",
                                 "probe": None}]
    written = junit_xml(forged)
    for raw in "\x9b\u202e\x1b":
        assert raw not in written
    assert "boom\\x9b31m\\u202egnp.exe" in written
    SafeET.fromstring(written.encode())  # still well-formed XML
