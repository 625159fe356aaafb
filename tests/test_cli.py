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


@pytest.mark.parametrize("argv", [
    ["run", "--format", "json", "--max-examples", "0"],
    ["run", "--format=json", "--fault", "ignores-regoin"],
    ["run", "--format", "json", "--no-such-option"],
    ["preflight", "--format", "json", "--max-creates", "-1"],
    ["check-traffic", "x.har", "--format", "json", "--site", "mars"],
    ["report", "--format", "json", "--compare"],
    ["judge", "--json"],
])
def test_every_usage_error_under_json_is_one_json_object_on_stdout(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    data = json.loads(out)  # the whole of standard output is one JSON object
    assert data["exit"] == 2
    assert data["error"].startswith("ncp-harness")  # the command's parser, or the top one
    assert "usage:" in err


def test_a_mistyped_fault_names_the_closest_few_not_all_of_them(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--fault", "ignores-regoin"])
    err = capsys.readouterr().err
    assert "(closest: ignores-region" in err
    assert "forgets-SEED-R9.4" not in err  # the 79 names are not dumped on one line
    assert "--list-faults" in err
