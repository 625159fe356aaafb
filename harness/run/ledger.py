"""The ledger: every create a run sends and every image it owns, written as it happens.

One JSON object a line, appended with a single `write`, so a killed process loses at most
the line being written (a power cut may lose more: nothing is fsync'd, to keep runs fast).
Each run (each xdist worker) writes, in order:

* `run`: its id, endpoint, region, name tag, and the inventory (every image number in the
  region before it sent anything);
* `intent` before each create request: serial, name, region, when it was sent, whether
  the name is unique to the run;
* after the answer, `answered` (no image: never looked for by name), `created` (the image
  the answer proved the run's, with its number, name, region and create time) or
  `unidentified` (a success answer that named no provable image);
* at teardown `resolved` for each lost or unidentified create looked for by name, and
  `deleted` for each confirmed deletion.

`state()` replays the lines into what is still owed: images created and not deleted, and
creates whose answers never arrived or named nothing. `ncp-harness cleanup --ledger FILE`
proves each again against the service (`harness.core.ownership`) before deleting anything.
Every line is sealed (an HMAC with a key derived from the run's key pair), so a line
edited by hand, or written with other keys, proves nothing: cleanup lists it and acts on
nothing it names. A ledger holds numbers, names, regions, times, the endpoint and seals;
never a key or a signature.
Lines written by ncp-harness before this format carry no proof and are only listed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.depth import TooDeep, json_document
from harness.core.errors import ConfigError
from harness.core.ownership import Attempt, Owned
from harness.core.scrub import SECRETS
from harness.core.signing import Credentials

__all__ = ["Ledger", "LedgerState", "RunRecord", "RunState", "ledger_key"]


@dataclass(frozen=True)
class RunRecord:
    """Who wrote a run's lines: where it ran, its name tag, and what the account held."""

    run: str
    endpoint: str
    region: str
    tag: str = ""
    started: float = 0.0
    inventory: frozenset[str] = frozenset()


@dataclass
class RunState:
    """What one run still owes: images to delete, creates to look for by name."""

    record: RunRecord
    owned: list[Owned] = field(default_factory=list)
    lost: list[Attempt] = field(default_factory=list)
    """Creates whose answer never arrived (a kill, a timeout)."""
    unidentified: list[Attempt] = field(default_factory=list)
    """Creates answered with success that named no image the run could prove its own."""

    @property
    def owes(self) -> bool:
        """Whether anything is left to do for this run."""
        return bool(self.owned or self.lost or self.unidentified)


@dataclass
class LedgerState:
    """Every run of a ledger, and the lines too old to prove anything (listed, never acted on)."""

    runs: list[RunState] = field(default_factory=list)
    unprovable: list[str] = field(default_factory=list)

    @property
    def owes(self) -> bool:
        """Whether anything is left to delete, look for, or check by hand."""
        return any(run.owes for run in self.runs) or bool(self.unprovable)


def ledger_key(credentials: Credentials | None) -> bytes | None:
    """The key that seals a run's ledger lines: derived from the key pair, never the key."""
    return credentials.digest(b"ncp-harness ledger seal") if credentials else None


def _seal(key: bytes, record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "seal"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()[:32]


class Ledger:
    """An append-only record of a run's creates and deletions.

    With a key (`ledger_key` of the run's key pair) every line is sealed, and reading with
    the key treats a line whose seal does not hold (edited by hand, or written with another
    key pair) as proving nothing: it is listed, never acted on.
    """

    def __init__(self, path: str | Path, key: bytes | None = None) -> None:
        self.path = Path(path)
        self.key = key
        self._lock = threading.Lock()

    def _append(self, record: dict[str, object]) -> None:
        record = {**record, "at": time.time()}
        if self.key is not None:
            record["seal"] = _seal(self.key, record)
        line = SECRETS.text(json.dumps(record, ensure_ascii=False))
        data = (line + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)

    def run(self, record: RunRecord) -> None:
        """Record a run's start: endpoint, region, tag and inventory."""
        self._append({"event": "run", "run": record.run, "endpoint": record.endpoint,
                      "region": record.region, "tag": record.tag, "started": record.started,
                      "inventory": sorted(record.inventory)})

    def intent(self, run: RunRecord, attempt: Attempt) -> None:
        """Record a create request about to be sent."""
        self._append({"event": "intent", "run": run.run, "endpoint": run.endpoint,
                      "serial": attempt.serial, "name": attempt.name, "region": attempt.region,
                      "sent_at": attempt.sent_at, "unique": attempt.unique,
                      "label": attempt.label})

    def answered(self, run: RunRecord, serial: int, status: int) -> None:
        """Record an answer that made no image (the request is never looked for by name)."""
        self._append({"event": "answered", "run": run.run, "endpoint": run.endpoint,
                      "serial": serial, "status": status})

    def unidentified(self, run: RunRecord, serial: int, status: int) -> None:
        """Record a success answer that named no image the run could prove its own."""
        self._append({"event": "unidentified", "run": run.run, "endpoint": run.endpoint,
                      "serial": serial, "status": status})

    def created(self, run: RunRecord, image: Owned) -> None:
        """Record an image the run proved its own, before anything else happens to it."""
        self._append({"event": "created", "run": run.run, "endpoint": run.endpoint,
                      "serial": image.serial, "serverImageNo": image.number,
                      "name": image.name, "region": image.region,
                      "createDate": image.create_date, "sent_at": image.sent_at,
                      "recovered": image.recovered, "unique": image.unique})

    def resolved(self, run: RunRecord, serial: int, outcome: str) -> None:
        """Record that a lost or unidentified create was looked for by name, and what came of it."""
        self._append({"event": "resolved", "run": run.run, "endpoint": run.endpoint,
                      "serial": serial, "outcome": outcome})

    def deleted(self, run: RunRecord, number: str, how: str = "deleted") -> None:
        """Record an image gone (deleted, terminating, or no longer listed)."""
        self._append({"event": "deleted", "run": run.run, "endpoint": run.endpoint,
                      "serverImageNo": number, "how": how})

    def _records(self) -> list[tuple[int, dict[str, Any]]]:
        if not self.path.exists():
            return []
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            raise ConfigError(f"--ledger {self.path}: cannot be read ({exc.strerror})") from None
        records = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json_document(line)
                _ = (record["event"], record["endpoint"])
            except TooDeep as exc:  # whole, so not torn by a crash: someone wrote it so
                raise ConfigError(f"--ledger {self.path}: line {number} is not a ledger"
                                  f" record: {exc}") from None
            except (json.JSONDecodeError, KeyError, TypeError, IndexError):
                if number == len(lines):
                    break  # the write a crash interrupted
                raise ConfigError(f"--ledger {self.path}: line {number} is not a ledger record:"
                                  f" {line[:80]!r}") from None
            if isinstance(record, dict):
                records.append((number, record))
        return records

    def _run_of(self, number: int, record: dict[str, Any], runs: dict[str, RunState],
                legacy: _Legacy) -> str | None:
        """The run an event line belongs to; None for a line that proves nothing (listed)."""
        run_id = record.get("run")
        if not isinstance(run_id, str):
            legacy.take(record)
            return None
        if self.key is not None and not hmac.compare_digest(
                str(record.get("seal", "")), _seal(self.key, record)):
            legacy.unsealed(number)
            return None
        if record["event"] == "run":
            runs[run_id] = RunState(_run_record(record))
            return None
        if run_id not in runs:
            legacy.stray(record)
            return None
        return run_id

    def state(self) -> LedgerState:
        """What every run of the ledger still owes; a torn last line is skipped."""
        runs: dict[str, RunState] = {}
        intents: dict[tuple[str, int], Attempt] = {}
        unidentified: set[tuple[str, int]] = set()
        closed: set[tuple[str, int]] = set()
        owned: dict[tuple[str, str], Owned] = {}
        legacy = _Legacy()
        for number, record in self._records():
            run_id = self._run_of(number, record, runs, legacy)
            if run_id is None:
                continue
            event = record["event"]
            key = (run_id, _int(record.get("serial")))
            if event == "intent":
                intents[key] = _attempt(record)
            elif event in ("answered", "resolved"):
                closed.add(key)
            elif event == "unidentified":
                unidentified.add(key)
            elif event == "created":
                closed.add(key)
                image = _owned(record)
                owned[(run_id, image.number)] = image
            elif event == "deleted":
                owned.pop((run_id, str(record.get("serverImageNo"))), None)
        for (run_id, _), image in owned.items():
            runs[run_id].owned.append(image)
        for key, attempt in intents.items():
            if key not in closed:
                target = runs[key[0]].unidentified if key in unidentified else runs[key[0]].lost
                target.append(attempt)
        return LedgerState(list(runs.values()), legacy.lines())


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _float(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _run_record(record: dict[str, Any]) -> RunRecord:
    inventory = record.get("inventory")
    return RunRecord(str(record["run"]), str(record["endpoint"]), str(record.get("region") or ""),
                     str(record.get("tag") or ""), _float(record.get("started")),
                     frozenset(map(str, inventory)) if isinstance(inventory, list) else frozenset())


def _attempt(record: dict[str, Any]) -> Attempt:
    return Attempt(_int(record.get("serial")), str(record.get("name") or ""),
                   str(record.get("region") or ""), _float(record.get("sent_at")),
                   record.get("unique") is True, str(record.get("label") or ""))


def _owned(record: dict[str, Any]) -> Owned:
    sent = record.get("sent_at")
    return Owned(str(record.get("serverImageNo")), str(record.get("name") or ""),
                 str(record.get("region") or ""), str(record.get("createDate") or ""),
                 _float(sent) if sent is not None else None, _int(record.get("serial")),
                 record.get("recovered") is True, record.get("unique") is True)


class _Legacy:
    """Lines of the ledger format before runs and proofs: listed for a person, never acted on."""

    def __init__(self) -> None:
        self.created: dict[tuple[str, str], str] = {}
        self.intents: dict[tuple[str, str], None] = {}
        self.answered: set[tuple[str, str]] = set()
        self.strays = 0
        self.unsealed_lines: list[int] = []

    def take(self, record: dict[str, Any]) -> None:
        endpoint, event = str(record["endpoint"]), record["event"]
        if event == "created":
            number = str(record.get("serverImageNo"))
            self.created[(endpoint, number)] = str(record.get("name") or "")
            self.answered.add((endpoint, str(record.get("name") or "")))
        elif event == "deleted":
            self.created.pop((endpoint, str(record.get("serverImageNo"))), None)
        elif event == "intent":
            self.intents[(endpoint, str(record.get("name") or ""))] = None
        elif event == "resolved":
            names = record.get("names")
            for name in names if isinstance(names, list) else []:
                self.answered.add((endpoint, str(name)))

    def stray(self, record: dict[str, Any]) -> None:
        del record
        self.strays += 1

    def unsealed(self, number: int) -> None:
        self.unsealed_lines.append(number)

    def lines(self) -> list[str]:
        why = "recorded by an older ncp-harness without the proof (create time, region,"
        out = [f"serverImageNo {number} ({name!r}) on {endpoint}: {why} inventory); check it"
               " by hand" for (endpoint, number), name in self.created.items()]
        out += [f"a create named {name!r} on {endpoint} whose answer never arrived: {why}"
                " inventory); check by hand" for (endpoint, name) in self.intents
                if (endpoint, name) not in self.answered]
        if self.unsealed_lines:
            shown = ", ".join(map(str, self.unsealed_lines[:10]))
            extra = len(self.unsealed_lines) - 10
            more = f" and {extra} more" if extra > 0 else ""
            out.append(f"line(s) {shown}{more}: not sealed by a run holding this key pair (edited"
                       " by hand, or written with other keys); nothing they name is deleted")
        if self.strays:
            out.append(f"{self.strays} line(s) name a run whose `run` line is missing (an edited"
                       " or truncated ledger); nothing they name is deleted")
        return out
