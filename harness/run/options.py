"""The run's options, declared once: `ncp-harness run/record` and the pytest plugin read this table.

The command line hands each one to pytest under its first flag (`pytest_flags`), so the
two can never drift: a new option is one row here.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError
from harness.core.numbers import integer, seconds
from harness.run.profiles import PROFILES
from harness.sim.faults import fault_named

__all__ = [
    "LIVE_MAX_CREATES",
    "LIVE_RATE",
    "LIVE_SETTLE",
    "RUN_OPTIONS",
    "Option",
    "add_to_argparse",
    "add_to_pytest",
    "fault_name",
    "pytest_flags",
    "writable_directory",
]

LIVE_MAX_CREATES = 25
"""A live run's create budget unless --max-creates says otherwise."""
LIVE_RATE = "5/s"
"""A live run's request rate on an endpoint that is not loopback, unless --rate says otherwise."""
LIVE_SETTLE = 2.0
"""Seconds a live run gives a refused create to show an image before its unit comes back."""


@dataclass(frozen=True)
class Option:
    """One run option: its flags (the first is the pytest plugin's), type, default and help."""

    flags: tuple[str, ...]
    help: str
    type: Callable[[str], Any] | None = None
    default: Any = None
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    switch: bool = False
    """A flag without a value (store_true)."""
    path: bool = False
    """A file or directory: made absolute before pytest (which runs elsewhere) sees it."""

    @property
    def dest(self) -> str:
        """The attribute name argparse and pytest give it (`--max-creates` -> max_creates)."""
        return self.flags[0].lstrip("-").replace("-", "_")

    def declaration(self) -> dict[str, Any]:
        """The keyword arguments of argparse's `add_argument` and pytest's `addoption`."""
        if self.switch:
            return {"action": "store_true", "default": False, "help": self.help,
                    "dest": self.dest}
        kwargs: dict[str, Any] = {"default": self.default, "help": self.help, "dest": self.dest}
        for name in ("type", "metavar", "choices"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        return kwargs


def fault_name(value: str) -> str:
    """A --fault value: a named fault, else an error naming the closest few (not all 79)."""
    try:
        fault_named(value)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _default(value: object) -> str:
    return f" (default: {value})"


RUN_OPTIONS: tuple[Option, ...] = (
    Option(("--profile",), "how hard to try: dev (default, quick), ci (deeper), nightly (much"
           " deeper); replaying a cassette, the recorded run's", choices=tuple(PROFILES)),
    Option(("--seed",), "the Hypothesis seed (default: random, printed in the summary)",
           type=int),
    Option(("--site",), "the NCP site: public (default), gov or fin; sets the live gateway"
           " when NCLOUD_API_GW is not set, and the simulator's scenario when --scenario is"
           " not (or NCLOUD_SITE)", choices=("public", "gov", "fin")),
    Option(("--scenario",), "the simulator's scenario (TOML or JSON); simulator target only",
           metavar="FILE", path=True),
    Option(("--fault",), "give the simulator one named bug, to watch the run find it"
           " (ncp-harness serve --list-faults lists them); simulator target only",
           metavar="NAME", type=fault_name),
    Option(("--max-creates",), "send at most N requests expected to create an image (default:"
           f" unlimited on the simulator, {LIVE_MAX_CREATES} on a live target); the covering"
           " set comes first", type=integer(0), metavar="N"),
    Option(("--rate",), "at most this many requests a second, shared by every xdist worker"
           f" (default: {LIVE_RATE} on a live endpoint that is not loopback)", metavar="N/s"),
    Option(("--max-examples",), "at most N examples per test, fewer than the profile's"
           " (replaying a cassette: the recorded run's)", type=integer(1), metavar="N"),
    Option(("--max-time",), "stop sending after this long; what is left is skipped",
           type=seconds(), metavar="SECONDS"),
    Option(("--dry-run",), "send nothing: list every request the run would send (no headers)",
           switch=True),
    Option(("--allow-incomplete",), "exit 0 for an incomplete run (the plan or a clause not"
           " judged) instead of 3 (ncp-harness run) or 1 (pytest): it is still not a pass",
           switch=True),
    Option(("--request-timeout", "--timeout"), "the most one request may take, its whole"
           " answer included; a request that takes longer fails, the run goes on"
           + _default(30.0), type=seconds(), default=30.0, metavar="SECONDS"),
    Option(("--max-body",), "the longest answer read, in MiB after decompression; a longer"
           " one stops the run with exit 2" + _default(16.0), type=seconds(), default=16.0,
           metavar="MIB"),
    Option(("--cleanup-wait",), "how long cleanup waits for images still INIT; those still"
           " being created then are owed, recorded in the ledger for the next run or"
           " ncp-harness cleanup" + _default(120.0), type=seconds(zero=True), default=120.0,
           metavar="SECONDS"),
    Option(("--settle",), "seconds after a refused create's answer before a listing of the"
           " account may show that it made no image and give its budget unit back; a service"
           " that makes an image later than this can push the count past --max-creates until"
           f" it shows (default: {LIVE_SETTLE:g} on a live endpoint that is not loopback, else"
           " 0)",
           type=seconds(zero=True), metavar="SECONDS"),
    Option(("--yes",), "consent to creating images on a non-loopback endpoint (or set"
           " NCLOUD_HARNESS_YES=1)", switch=True),
    Option(("--ledger",), "where a live run records every create request and every image it"
           " proves its own, as it goes (default: REPORT_DIR/ledger.jsonl, else"
           " reports/ledger.jsonl)", metavar="FILE", path=True),
)
"""Every option `ncp-harness run` and `record` pass to the suite, and pytest accepts."""


def add_to_argparse(parser: argparse.ArgumentParser) -> None:
    """Declare every run option on an argparse (sub)parser."""
    for option in RUN_OPTIONS:
        parser.add_argument(*option.flags, **option.declaration())


def add_to_pytest(group: Any) -> None:
    """Declare every run option on the plugin's pytest option group."""
    for option in RUN_OPTIONS:
        group.addoption(*option.flags, **option.declaration())


def _value(option: Option, value: object) -> str:
    return str(Path(str(value)).resolve()) if option.path else str(value)


def pytest_flags(args: argparse.Namespace) -> Iterator[str]:
    """The run options the command line was given, as pytest's arguments."""
    for option in RUN_OPTIONS:
        value = getattr(args, option.dest)
        if option.switch:
            if value:
                yield option.flags[0]
        elif value is not None:
            yield option.flags[0]
            yield _value(option, value)


def writable_directory(path: Path, option: str = "--report-dir") -> Path:
    """`path` as a directory the run can write to (made if missing); ConfigError says why not.

    Checked before anything is sent, so a wrong report directory never costs a run.
    """
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {path}: is a file, not a directory; give a directory"
                          " (it is made if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot be written ({exc.strerror or exc}); give"
                          " a directory you can write to") from None
    return path
