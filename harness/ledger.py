"""The ledger: every image a run creates, written the moment it is seen, on disk.

One JSON object a line, appended with a single `write`, so a killed process loses at most
the line being written (a power cut may lose more: nothing is fsync'd, to keep runs fast).
Before each create request the run also writes its image name as an *intent*: a run killed
while a request is in flight leaves an image with no number in the ledger, and cleanup
finds it by that name (names of images that existed before the run are never written).
`pending()` is what was created and not yet deleted; `ncp-harness cleanup --ledger FILE`
deletes it. The ledger holds image numbers,
names and the endpoint, never a key or a signature.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

__all__ = ["Ledger", "LedgerEntry"]


@dataclass(frozen=True)
class LedgerEntry:
    """An image the ledger still owes a deletion: where it lives and what it is."""

    endpoint: str
    number: str
    name: str


class Ledger:
    """An append-only record of created and deleted images."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _append(self, record: dict[str, object]) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def created(self, endpoint: str, number: str, name: str = "") -> None:
        """Record a new image before anything else happens to it."""
        self._append({"event": "created", "endpoint": endpoint, "serverImageNo": number,
                      "name": name, "at": time.time()})

    def intent(self, endpoint: str, name: str) -> None:
        """Record that a request that may create an image named `name` is about to be sent."""
        self._append({"event": "intent", "endpoint": endpoint, "name": name, "at": time.time()})

    def resolved(self, endpoint: str, names: set[str]) -> None:
        """Record that images of these names were looked for after the run (intents closed)."""
        if names:
            self._append({"event": "resolved", "endpoint": endpoint, "names": sorted(names),
                          "at": time.time()})

    def deleted(self, endpoint: str, number: str) -> None:
        """Record a confirmed deletion."""
        self._append({"event": "deleted", "endpoint": endpoint, "serverImageNo": number,
                      "at": time.time()})

    def _records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        records = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                _ = (record["event"], record["endpoint"])
            except (json.JSONDecodeError, KeyError, TypeError):
                if number == len(lines):
                    break  # the write a crash interrupted
                raise ConfigError(f"--ledger {self.path}: line {number} is not a ledger record:"
                                  f" {line[:80]!r}") from None
            records.append(record)
        return records

    def pending(self) -> list[LedgerEntry]:
        """Images created and not deleted, in creation order; a torn last line is skipped."""
        open_images: dict[tuple[str, str], LedgerEntry] = {}
        for record in self._records():
            if "serverImageNo" not in record:
                continue
            key = (str(record["endpoint"]), str(record["serverImageNo"]))
            if record["event"] == "created":
                open_images[key] = LedgerEntry(key[0], key[1], str(record.get("name", "")))
            elif record["event"] == "deleted":
                open_images.pop(key, None)
        return list(open_images.values())

    def unresolved_names(self) -> dict[str, set[str]]:
        """Endpoint -> names of intents that no created record answered (in flight at a kill)."""
        intents: dict[str, set[str]] = {}
        answered: dict[str, set[str]] = {}
        for record in self._records():
            endpoint = str(record["endpoint"])
            if record["event"] == "intent":
                intents.setdefault(endpoint, set()).add(str(record.get("name", "")))
            elif record["event"] == "created":
                answered.setdefault(endpoint, set()).add(str(record.get("name", "")))
            elif record["event"] == "resolved":
                answered.setdefault(endpoint, set()).update(map(str, record.get("names", [])))
        return {endpoint: names - answered.get(endpoint, set())
                for endpoint, names in intents.items() if names - answered.get(endpoint, set())}
