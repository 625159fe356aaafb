"""The run options are declared once: what `ncp-harness run` is given, the plugin receives."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from harness.cli.args import build_parser, pytest_args
from harness.pytest_plugin import pytest_addoption
from harness.run.options import RUN_OPTIONS, Option

GIVEN = {"--profile": "ci", "--seed": "7", "--scenario": "s.toml", "--site": "gov",
         "--fault": "defaults-volume-type",
         "--max-creates": "3", "--rate": "2/s", "--max-examples": "9", "--max-time": "12.5",
         "--request-timeout": "4.5", "--max-body": "2.0", "--cleanup-wait": "8.0",
         "--settle": "1.5",
         "--ledger": "l.jsonl"}


def _argv(option: Option) -> list[str]:
    return [option.flags[0]] if option.switch else [option.flags[0], GIVEN[option.flags[0]]]


class _Plugin:
    """What pytest gives `pytest_addoption`: groups whose options land in one argparse."""

    def __init__(self) -> None:
        self.argparse = argparse.ArgumentParser()

    def getgroup(self, *_: str) -> _Plugin:
        return self

    def addoption(self, *flags: str, **kwargs: Any) -> None:
        self.argparse.add_argument(*flags, **kwargs)


def _plugin_parse(args: list[str]) -> argparse.Namespace:
    plugin = _Plugin()
    pytest_addoption(plugin)  # type: ignore[arg-type]
    known, _ = plugin.argparse.parse_known_args(args)
    return known


def test_every_run_option_has_a_test_value() -> None:
    valued = {o.flags[0] for o in RUN_OPTIONS if not o.switch}
    assert valued == set(GIVEN)


@pytest.mark.parametrize("option", RUN_OPTIONS, ids=lambda o: o.flags[0])
def test_a_run_option_reaches_the_plugin_with_its_value(option: Option, tmp_path: Path) -> None:
    cli = build_parser().parse_args(["run", *_argv(option)])
    given = getattr(cli, option.dest)
    plugin = _plugin_parse(pytest_args(cli, tmp_path))
    received = getattr(plugin, option.dest)
    if option.path:
        assert Path(received) == Path(str(given)).resolve()
    else:
        assert received == given
        assert given not in (None, False)


def test_defaults_agree_between_the_command_line_and_the_plugin(tmp_path: Path) -> None:
    cli = build_parser().parse_args(["run"])
    plugin = _plugin_parse([])
    for option in RUN_OPTIONS:
        if option.dest != "ledger":  # the command line puts it in the report directory
            assert getattr(cli, option.dest) == getattr(plugin, option.dest), option.flags[0]
    sent = pytest_args(cli, tmp_path)
    assert sent[sent.index("--ledger") + 1] == str(tmp_path / "ledger.jsonl")


def test_the_old_timeout_spelling_still_works() -> None:
    cli = build_parser().parse_args(["run", "--timeout", "3"])
    assert cli.request_timeout == 3.0
    assert _plugin_parse(["--timeout", "3"]).request_timeout == 3.0


@pytest.mark.parametrize(("argv", "says"), [
    (["run", "--request-timeout", "-1"], "--request-timeout/--timeout: -1 is out of range"),
    (["run", "--timeout", "0"], "expected a number above 0"),
    (["run", "--max-body", "nan"], "--max-body: nan is out of range"),
    (["run", "--max-time", "inf"], "--max-time: inf is out of range"),
    (["run", "--max-creates", "-1"], "--max-creates: -1 is out of range"),
    (["run", "--max-examples", "0"], "expected a whole number of at least 1"),
    (["run", "--max-creates", "two"], "'two' is not a whole number"),
    (["record", "--out", "x", "--cleanup-wait", "-5"], "--cleanup-wait: -5 is out of range"),
    (["serve", "--port", "99999"], "--port: 99999 is out of range: expected a whole number"
                                   " from 0 to 65535"),
    (["cleanup", "--ledger", "l", "--wait", "-1"], "--wait: -1 is out of range"),
    (["preflight", "--max-creates", "-3"], "--max-creates: -3 is out of range"),
])
def test_a_number_that_makes_no_sense_is_refused_before_anything_runs(
        argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2
    assert says in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "dest", "value"), [
    (["run", "--max-creates", "0"], "max_creates", 0),
    (["run", "--cleanup-wait", "0"], "cleanup_wait", 0.0),
    (["serve", "--port", "0"], "port", 0),
    (["run", "--request-timeout", "0.5"], "request_timeout", 0.5),
])
def test_the_edges_of_each_range_are_accepted(argv: list[str], dest: str, value: float) -> None:
    assert getattr(build_parser().parse_args(argv), dest) == value


def test_the_plugin_refuses_the_same_numbers() -> None:
    plugin = _Plugin()
    pytest_addoption(plugin)  # type: ignore[arg-type]
    with pytest.raises(SystemExit):
        plugin.argparse.parse_args(["--max-creates", "-1"])
