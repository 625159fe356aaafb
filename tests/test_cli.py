"""The command line: --help, --version, judge, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness import __version__
from harness.cli.commands import main

VALID = ("serverImageName=img-1&blockStorageList.1.order=0"
         "&blockStorageList.1.snapshotInstanceNo=1000001")


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "createServerImageFromSnapshot" in out
    assert "judge" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"ncp-harness {__version__}"


def test_console_script_is_installed() -> None:
    result = subprocess.run([sys.executable, "-m", "harness", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_judge_accept(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["judge", VALID]) == 0
    assert capsys.readouterr().out.strip() == "accept"


def test_judge_reject_exits_1_and_cites_the_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["judge", VALID.replace("img-1", "1img")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("reject")
    assert "SEED-R2" in out
    assert "serverImageName='1img'" in out


def test_judge_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["judge", "--json", VALID + "&blockStorageList.1.noBlockStorage=true"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["outcome"] == "unspecified"
    assert [c["case"] for c in verdict["open_cases"]] == ["U8"]
