"""The ledger: every create a run sends and every image it owns, written as it happens.

One JSON object a line, appended with a single `write`, so a killed process loses at most
the line being written (a power cut may lose more: nothing is fsync'd, to keep runs fast).
Each run (each xdist worker) writes, in order:

* `run`: its id, endpoint, region, name tag, worker, the ledger format, and the inventory
  (every image number in the region before it sent anything);
* `intent` before each create request: serial, name, region, when it was sent, whether
  the name is unique to the run;
* after the answer, `created` (the image the answer proved the run's, with its number,
  name, region and create time) or `answered` (anything else: the status, how the answer
  left the request, and the window of create times its image could carry). An answered
  create stays owed until a listing settles it: `cleared` when its budget unit came back,
  `created` and `resolved` when its image was found, `resolved` when the last look found
  nothing;
* at teardown `deleted` for each deletion seen through (or each image someone else
  deleted: `how` says which) and `owed` for each image still being created when the wait
  ran out.

`state()` replays the lines into what is still owed: images created and not deleted, and
creates not yet settled. `ncp-harness cleanup --ledger FILE` proves each again against the
service (`harness.custody.ownership`) before deleting anything.
Every line is sealed (an HMAC with a key derived from the run's key pair), so a line
edited by hand, or written with other keys, proves nothing: cleanup lists it and acts on
nothing it names. A ledger holds numbers, names, regions, times, the endpoint and seals;
never a key or a signature.
Lines written by ncp-harness before runs had ids carry no proof and are only listed; runs
of the first sealed format (no `format` in their `run` line) closed a refused create with
its answer, and are read so.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.core.depth import TooDeep, json_document
from harness.core.errors import ConfigError
from harness.core.scrub import SECRETS
from harness.core.signing import Credentials
from harness.custody.ownership import AnswerKind, Attempt, Owned, Window

__all__ = ["FORMAT", "Ledger", "LedgerState", "RunRecord", "RunState", "ledger_key"]

FORMAT = 2
"""Runs of format 2 keep a refused create owed until a listing settles it."""


@dataclass(frozen=True)
class RunRecord:
    """Who wrote a run's lines: where it ran, its name tag, and what the account held."""

    run: str
    endpoint: str
    region: str
    tag: str = ""
    started: float = 0.0
    inventory: frozenset[str] = frozenset()
    worker: str = ""
    """The pytest-xdist worker (gw0) that wrote it; empty without xdist."""
    session: str = ""
    """The id every worker of one pytest run shares (the controller settles a lost one's)."""
    format: int = FORMAT


@dataclass
class RunState:
    """What one run still owes: images to delete, creates to settle by a listing."""

    record: RunRecord
    owned: list[Owned] = field(default_factory=list)
    pending: list[Attempt] = field(default_factory=list)
    """Creates answered (or never answered) without an image proven, not yet settled."""
    released: set[int] = field(default_factory=set)
    """Serials of pending creates whose budget unit already came back (informational)."""
    refusals_made_images: bool = False
    """Whether the run already proved a refused create made an image (this service does)."""

    @property
    def owes(self) -> bool:
        """Whether anything is left to do for this run."""
        return bool(self.owned or self.pending)


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
        self._held: dict[str, int] = {}

    def _lock_file(self, run: str) -> Path:
        safe = "".join(ch for ch in run if ch.isalnum())[:32] or "run"
        return self.path.with_name(self.path.name + ".locks") / safe

    def hold(self, run: str) -> None:
        """Mark `run` as alive for as long as this process lives (an flock on a small file).

        A later run, `cleanup --ledger` or the xdist controller settles only runs whose mark
        is gone (`alive`): never one that is still creating. The lock ends with the process,
        however it ends.
        """
        if run in self._held:
            return
        path = self._lock_file(run)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return
        self._held[run] = fd

    def release(self, run: str) -> None:
        """The run is over (this process's, or a dead one's): drop its mark."""
        fd = self._held.pop(run, None)
        if fd is None and self.alive(run):
            return  # another process's live run
        with contextlib.suppress(OSError):
            self._lock_file(run).unlink()
        if fd is not None:
            os.close(fd)

    def alive(self, run: str) -> bool:
        """Whether a process still holds `run`'s mark (it may still be creating)."""
        if run in self._held:
            return True
        path = self._lock_file(run)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False

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
        """Record a run's start: endpoint, region, tag, worker and inventory."""
        self._append({"event": "run", "run": record.run, "endpoint": record.endpoint,
                      "region": record.region, "tag": record.tag, "started": record.started,
                      "worker": record.worker, "session": record.session,
                      "format": record.format,
                      "inventory": sorted(record.inventory)})

    def intent(self, run: RunRecord, attempt: Attempt) -> None:
        """Record a create request about to be sent."""
        self._append({"event": "intent", "run": run.run, "endpoint": run.endpoint,
                      "serial": attempt.serial, "name": attempt.name, "region": attempt.region,
                      "sent_at": attempt.sent_at, "unique": attempt.unique,
                      "label": attempt.label, "also": list(attempt.also)})

    def answered(self, run: RunRecord, attempt: Attempt) -> None:
        """Record an answer that proved no image (or none at all): the create stays owed."""
        self._append({"event": "answered", "run": run.run, "endpoint": run.endpoint,
                      "serial": attempt.serial, "status": attempt.status, "kind": attempt.kind,
                      "window": _window_record(attempt.window)})

    def cleared(self, run: RunRecord, serial: int) -> None:
        """Record that a listing showed no image of a create: its budget unit came back."""
        self._append({"event": "cleared", "run": run.run, "endpoint": run.endpoint,
                      "serial": serial})

    def created(self, run: RunRecord, image: Owned) -> None:
        """Record an image the run proved its own, before anything else happens to it."""
        self._append({"event": "created", "run": run.run, "endpoint": run.endpoint,
                      "serial": image.serial, "serverImageNo": image.number,
                      "name": image.name, "region": image.region,
                      "createDate": image.create_date, "sent_at": image.sent_at,
                      "recovered": image.recovered, "unique": image.unique,
                      "window": _window_record(image.window)})

    def resolved(self, run: RunRecord, serial: int, outcome: str) -> None:
        """Record that a pending create is settled by a listing, and what came of it."""
        self._append({"event": "resolved", "run": run.run, "endpoint": run.endpoint,
                      "serial": serial, "outcome": outcome})

    def deleted(self, run: RunRecord, number: str, how: str = "deleted") -> None:
        """Record an image gone: deleted, terminating, or `vanished` (deleted by someone)."""
        self._append({"event": "deleted", "run": run.run, "endpoint": run.endpoint,
                      "serverImageNo": number, "how": how})

    def owed(self, run: RunRecord, number: str, status: str) -> None:
        """Record an image still being created when cleanup stopped waiting: still owed."""
        self._append({"event": "owed", "run": run.run, "endpoint": run.endpoint,
                      "serverImageNo": number, "status": status})

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
        replay = _Replay(runs)
        legacy = _Legacy()
        for number, record in self._records():
            run_id = self._run_of(number, record, runs, legacy)
            if run_id is not None:
                replay.apply(run_id, record)
        return LedgerState(replay.finish(), legacy.lines())


class _Replay:
    """A ledger's event lines, applied in order, into what each run still owes."""

    def __init__(self, runs: dict[str, RunState]) -> None:
        self.runs = runs
        self.attempts: dict[tuple[str, int], Attempt] = {}
        self.closed: set[tuple[str, int]] = set()
        self.released: set[tuple[str, int]] = set()
        self.owned: dict[tuple[str, str], Owned] = {}

    def apply(self, run_id: str, record: dict[str, Any]) -> None:
        event = record["event"]
        key = (run_id, _int(record.get("serial")))
        if event == "intent":
            self.attempts[key] = _attempt(record)
        elif event in ("answered", "unidentified") and key in self.attempts:
            self.answered(run_id, key, record)
        elif event == "cleared":
            self.released.add(key)
        elif event == "resolved":
            self.closed.add(key)
        elif event == "created":
            self.closed.add(key)
            image = _owned(record, run_id)
            self.owned[(run_id, image.number)] = image
            if key in self.attempts and self.attempts[key].kind == "refused":
                self.runs[run_id].refusals_made_images = True  # a refusal's image was found
        elif event == "deleted":
            self.owned.pop((run_id, str(record.get("serverImageNo"))), None)

    def answered(self, run_id: str, key: tuple[str, int], record: dict[str, Any]) -> None:
        if record["event"] == "unidentified":
            self.attempts[key] = replace(self.attempts[key], kind="unproven",
                                         status=_int(record.get("status")))
        elif self.runs[run_id].record.format < FORMAT:
            self.closed.add(key)  # the first sealed format: a refusal closed the create
        else:
            self.attempts[key] = _answered(self.attempts[key], record)

    def finish(self) -> list[RunState]:
        for (run_id, _), image in self.owned.items():
            self.runs[run_id].owned.append(image)
        for key, attempt in self.attempts.items():
            if key not in self.closed:
                self.runs[key[0]].pending.append(attempt)
                if key in self.released:
                    self.runs[key[0]].released.add(key[1])
        return list(self.runs.values())


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _float(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _run_record(record: dict[str, Any]) -> RunRecord:
    inventory = record.get("inventory")
    return RunRecord(str(record["run"]), str(record["endpoint"]), str(record.get("region") or ""),
                     str(record.get("tag") or ""), _float(record.get("started")),
                     frozenset(map(str, inventory)) if isinstance(inventory, list) else frozenset(),
                     str(record.get("worker") or ""), str(record.get("session") or ""),
                     max(1, _int(record.get("format"))))


def _attempt(record: dict[str, Any]) -> Attempt:
    also = record.get("also")
    return Attempt(_int(record.get("serial")), str(record.get("name") or ""),
                   str(record.get("region") or ""), _float(record.get("sent_at")),
                   record.get("unique") is True, str(record.get("label") or ""),
                   also=tuple(map(str, also)) if isinstance(also, list) else ())


_KINDS: tuple[AnswerKind, ...] = ("refused", "transient", "lost", "unproven")


def _answered(attempt: Attempt, record: dict[str, Any]) -> Attempt:
    """The attempt with what its `answered` line says (a window it cannot read stays open)."""
    kind: AnswerKind = next((k for k in _KINDS if k == record.get("kind")), "lost")
    status = record.get("status")
    return replace(attempt, kind=kind, window=_window(record.get("window")),
                   status=status if isinstance(status, int) else None)


def _window_record(window: Window | None) -> dict[str, Any] | None:
    if window is None:
        return None
    return {"earliest": window.earliest, "latest": window.latest, "measured": window.measured}


def _window(window: Any) -> Window | None:
    """A window as a line records it; None (open) when it cannot be read."""
    if not isinstance(window, dict) or not _number(window.get("earliest")):
        return None
    latest = window.get("latest")
    return Window(float(window["earliest"]),
                  float(latest) if isinstance(latest, (int, float)) and _number(latest) else None,
                  measured=window.get("measured") is True)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _owned(record: dict[str, Any], run_id: str) -> Owned:
    sent = record.get("sent_at")
    return Owned(str(record.get("serverImageNo")), str(record.get("name") or ""),
                 str(record.get("region") or ""), str(record.get("createDate") or ""),
                 _float(sent) if sent is not None else None, _int(record.get("serial")),
                 record.get("recovered") is True, record.get("unique") is True, run_id,
                 _window(record.get("window")))


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
