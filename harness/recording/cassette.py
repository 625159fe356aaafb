"""Cassette directories: record a run into HAR files, and read them back.

A cassette is a directory of HAR files (see `harness.recording.har`) from one recorded run: one file
per test (`test_broken_rule_is_rejected-SEED-R4.har`), and `session.har` for what the run
did outside any test (learning the account, cleaning up). Each test's file is written
when the test ends, redacted first and replaced atomically, so an interrupted run keeps
every test it finished. Files without `_ncpHarness` metadata (a HAR saved by a browser or
another tool) may sit beside them; they are replayed after the run's own exchanges.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.core.errors import CassetteError, ConfigError
from harness.recording.har import Exchange, dump_entry, dump_har, load_har
from harness.recording.redaction import Redactor

__all__ = ["SESSION", "SHIPPED_CASSETTE", "Cassette", "CassetteFile", "Recorder", "file_name"]

SHIPPED_CASSETTE = Path(__file__).parents[1] / "cassettes" / "simulator"
"""What `--target fixtures` replays when no --cassette is given: the shipped recording."""
SESSION = "session"
"""The group of exchanges made outside any test: discovery and cleanup."""


def file_name(group: str, worker: str | None = None) -> str:
    """The file a group of exchanges is written to (no path separators, no odd bytes).

    No brackets either: `test_x[SEED-R4]` is `test_x-SEED-R4.har`, which a shell need not
    quote and a glob does not read as a character class.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", group).strip("-.") or SESSION
    if group == SESSION and worker:
        stem = f"{SESSION}-{worker}"
    return f"{stem[:180]}.har"


class Recorder:
    """Writes a run's exchanges into a cassette directory, redacted before any write."""

    def __init__(self, directory: Path, redactor: Redactor, meta: dict[str, Any], *,
                 worker: str | None = None) -> None:
        self.directory = directory
        self.redactor = redactor
        self.worker = worker
        self.meta = {"run": secrets.token_hex(6), "worker": worker,
                     "recorded": datetime.now(UTC).isoformat(timespec="seconds"), **meta,
                     "redacted": {"params": sorted(redactor.params),
                                  "headers": sorted(redactor.headers)}}
        self.group = SESSION
        self._seq = 0
        self._lines: dict[str, list[str]] = {}
        self.written: list[Path] = []

    @staticmethod
    def prepare(directory: Path) -> None:
        """Create the directory; refuse one that already holds a cassette (no lost data)."""
        if directory.exists() and not directory.is_dir():
            raise ConfigError(f"--out {directory}: exists and is not a directory")
        if directory.is_dir() and any(directory.glob("*.har")):
            raise ConfigError(f"--out {directory} already holds a cassette; choose a new"
                              " directory or delete the old one first")
        directory.mkdir(parents=True, exist_ok=True)

    def __call__(self, exchange: Exchange) -> None:
        """Keep one exchange (redacted now, in memory) under the current group."""
        masked = replace(self.redactor.exchange(exchange), test=self.group, seq=self._seq)
        self._seq += 1
        line = self.redactor.scrub(dump_entry(masked))
        self.redactor.forget_signatures()
        self._lines.setdefault(self.group, []).append(line)

    def flush(self, group: str | None = None) -> Path | None:
        """Write one group's file (the current group by default), replacing it atomically."""
        group = group or self.group
        lines = self._lines.get(group)
        if not lines:
            return None
        path = self.directory / file_name(group, self.worker)
        meta = {**self.meta, "test": group}
        comment = (f"Recorded by ncp-harness from the {meta.get('source')} target"
                   f" ({meta.get('endpoint')}), {group}. Keys, signatures and timestamps"
                   " are redacted.")
        text = self.redactor.scrub(dump_har(lines, meta, comment))
        handle, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if path not in self.written:
            self.written.append(path)
        return path


@dataclass(frozen=True)
class CassetteFile:
    """One HAR file of a cassette: its metadata and exchanges."""

    path: Path
    meta: dict[str, Any]
    exchanges: tuple[Exchange, ...]

    @property
    def name(self) -> str:
        """The file's name (what a replay's test is parametrized by)."""
        return self.path.name


@dataclass(frozen=True)
class Cassette:
    """A directory of recorded exchanges, read and checked."""

    directory: Path
    files: tuple[CassetteFile, ...]

    @classmethod
    def load(cls, directory: Path | str) -> Cassette:
        """Read every `*.har` file of `directory`; CassetteError names a corrupt file's place."""
        root = Path(directory)
        if not root.is_dir():
            raise ConfigError(f"--cassette {root}: no such directory")
        paths = sorted(root.glob("*.har"))
        if not paths:
            raise ConfigError(f"--cassette {root}: no .har files; record one with"
                              " `ncp-harness record --out DIR`")
        files = []
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise CassetteError(str(path), f"byte {exc.start}", "not UTF-8") from None
            meta, exchanges = load_har(text, str(path))
            files.append(CassetteFile(path, meta, tuple(exchanges)))
        runs = sorted({str(f.meta["run"]) for f in files if f.meta.get("run")})
        if len(runs) > 1:
            raise ConfigError(f"--cassette {root} holds recordings of {len(runs)} runs"
                              f" ({', '.join(runs)}); keep one recorded run per directory")
        return cls(root, tuple(files))

    @property
    def run(self) -> dict[str, Any]:
        """The recorded run's metadata (every file of one run carries the same)."""
        return next((f.meta for f in self.files if f.meta.get("run")), {})

    def _int(self, key: str) -> int | None:
        value = self.run.get(key)
        return value if isinstance(value, int) else None

    def _str(self, key: str) -> str | None:
        value = self.run.get(key)
        return value if isinstance(value, str) else None

    @property
    def seed(self) -> int | None:
        """The recorded run's Hypothesis seed."""
        return self._int("seed")

    @property
    def profile(self) -> str | None:
        """The recorded run's profile."""
        return self._str("profile")

    @property
    def max_examples(self) -> int | None:
        """The recorded run's --max-examples, if it had one."""
        return self._int("max_examples")

    @property
    def verdict(self) -> str | None:
        """The recorded run's verdict, as its session file says (None: not said)."""
        found = (f.meta.get("verdict") for f in self.files if f.meta.get("run"))
        return next((v for v in found if isinstance(v, str)), None)

    @property
    def name_tag(self) -> str | None:
        """The tag in the recorded run's image names (a replay sends the same names)."""
        return self._str("name_tag")

    @property
    def region(self) -> str | None:
        """The region the recorded run was scoped to (NCLOUD_REGION), if any."""
        return self._str("region")

    def file(self, name: str) -> CassetteFile:
        """The file called `name`."""
        found = next((f for f in self.files if f.name == name), None)
        if found is None:
            raise ConfigError(f"--cassette {self.directory}: no file {name}")
        return found

    def ordered(self) -> list[Exchange]:
        """Every exchange in the order it happened: the run's own, then other tools' files."""
        own = [(str(f.meta.get("worker") or ""), e.seq, e) for f in self.files
               if f.meta.get("run") for e in f.exchanges]
        own.sort(key=lambda t: (t[0], t[1]))
        foreign = [e for f in self.files if not f.meta.get("run") for e in f.exchanges]
        return [e for _, _, e in own] + foreign

    def __len__(self) -> int:
        return sum(len(f.exchanges) for f in self.files)
