"""Reading summary.json files back: schema check, older versions, and comparing runs.

The schema is `harness/schemas/summary.schema.json` (documented field by field). Version 1
files (before rule examples, per-check rows and coverage) are read and upgraded; files of
another version are refused with a message that says which and what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from harness.core.depth import TooDeep, json_document
from harness.core.errors import ConfigError
from harness.run.runlog import SUMMARY_SCHEMA_VERSION

__all__ = ["TONE", "Comparison", "compare", "left_line", "load_summaries", "load_summary",
           "owed_line", "summary_schema", "verdict_line"]

TONE = {"passed": "good", "failed": "bad", "error": "bad", "interrupted": "bad",
        "dry-run": "partial", "incomplete": "partial"}
"""How each verdict is shown: green, red, or amber (no violation, but not a whole run)."""


def summary_schema() -> dict[str, Any]:
    """The JSON Schema of the current summary.json."""
    text = resources.files("harness").joinpath("schemas/summary.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def owed_line(summary: dict[str, Any]) -> str | None:
    """What is still owed (images still being created) and the command that settles it."""
    resources = summary.get("resources") or {}
    owed = resources.get("owed") or {}
    if not owed:
        return None
    return (f"{len(owed)} image(s) still being created are owed, recorded in the ledger: the"
            f" next run on that ledger settles them, or {resources.get('settle_command')}")


def verdict_line(summary: dict[str, Any]) -> str:
    """The run's verdict in one line, as the terminal and report.html head it."""
    line = _verdict(summary)
    if summary["verdict"] in ("failed", "error", "interrupted"):
        return line  # left_line said what is on the account
    resources = summary.get("resources") or {}
    noted = [f"{len(resources[key])} {what}" for key, what in (
        ("owed", "image(s) owed: still being created"),
        ("unattributed", "image(s) under refused untagged names, most likely another's"))
        if resources.get(key)]
    return line + (f" ({'; '.join(noted)})" if noted else "")


def _verdict(summary: dict[str, Any]) -> str:
    verdict = summary["verdict"]
    if verdict == "passed":
        scope = summary.get("scope") or {}
        narrowed = scope.get("clauses") and scope.get("clauses_sent", 0) < scope["clauses"]
        return "PASSED: the contract held" + (
            f" (scope: {scope['clauses_sent']} of {scope['clauses']} clauses)" if narrowed
            else "")
    counts = summary["counts"]
    if verdict == "dry-run":
        return (f"DRY RUN: nothing was sent ({counts.get('dry_run', 0)} request(s) listed);"
                " no verdict on the service")
    if verdict == "incomplete":
        why = summary.get("unfinished") or []
        if not why:  # a summary written before `unfinished` (schema 2, older ncp-harness)
            cut = len((summary.get("budget") or {}).get("skipped_tests", []))
            held = sum(n for k, n in counts.items() if k.startswith("skipped_"))
            why = [(f"{held} request(s) were held back and {cut} test(s) cut short"
                    " (--max-creates, --max-time)")]
        return f"INCOMPLETE: no violation in what was sent, but {'; '.join(why)}; not a pass"
    left = left_line(summary["resources"])
    if verdict == "interrupted":
        return (f"STOPPED: {summary['stopped']}; not a pass ({left})" if summary.get("stopped")
                else f"INTERRUPTED: the run was stopped before its end; not a pass"
                f" ({len(summary['violations'])} violation(s) in what was sent, {left})")
    errors = summary.get("harness_errors") or []
    if summary["verdict"] == "error":
        return (f"ERROR: the harness failed in {len(errors)} test(s); nothing it said there is"
                f" a pass ({len(summary['violations'])} violation(s), {left})")
    return f"FAILED: {_violations(summary)}, {left}"


def left_line(resources: dict[str, Any]) -> str:
    """What is on the account because of the run, as one phrase; "0 left" only when so.

    Images left behind, creates whose images are unknown, images possibly created, images
    a create answer named that are not the run's: each said when there are any, so that
    "0 image(s) left behind" is never printed while something is left.
    """
    parts = [f"{resources[key]} {what}" for key, what in (
        ("leaked", "image(s) left behind"),
        ("unknown", "accepted create(s) whose images are unknown")) if resources.get(key)]
    parts += [f"{len(resources[key])} {what}" for key, what in (
        ("possibly_created", "image(s) possibly created (check by hand)"),
        ("not_deleted", "image(s) named by a create answer but not the run's"),
        ("owed", "image(s) owed (still being created)"),
        ("unattributed", "image(s) under refused untagged names, most likely another's"))
        if resources.get(key)]
    return ", ".join(parts) or "0 image(s) left behind"


def _violations(summary: dict[str, Any]) -> str:
    """`3 violation(s)`, with how many answers showed them when that is more."""
    distinct = summary["violations"]
    seen = sum(v.get("occurrences", 1) for v in distinct)
    return f"{len(distinct)} violation(s)" + (
        f" (seen in {seen} answers)" if seen > len(distinct) else "")


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version 1 summary in version 2's shape (what v1 did not record stays empty)."""
    return {**data, "schema_version": 2, "checks": [], "exercised": {}, "contradictions": [],
            "upgraded_from": 1}


def load_summary(path: Path | str) -> dict[str, Any]:
    """One summary.json, checked against the schema; ConfigError names the file and the fault."""
    path = Path(path)
    try:
        data = json_document(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except TooDeep as exc:
        raise ConfigError(f"{path}: not a summary.json: {exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a summary.json ({exc})") from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version == 1:
        data = _upgrade_v1(data)
    elif version != SUMMARY_SCHEMA_VERSION:
        newer = isinstance(version, int) and version > SUMMARY_SCHEMA_VERSION
        raise ConfigError(
            f"{path}: summary schema version {version!r} is not one this ncp-harness reads"
            f" (1 or {SUMMARY_SCHEMA_VERSION}); "
            + ("it was written by a newer ncp-harness: upgrade this one" if newer
               else "is it a summary.json written by ncp-harness run?"))
    error = best_match(Draft202012Validator(summary_schema()).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise ConfigError(f"{path}: {where}: {error.message} (see summary.schema.json)")
    data["_path"] = str(path)
    return dict(data)


def load_summaries(path: Path | str, *, missing_ok: bool = False) -> list[dict[str, Any]]:
    """A summary file, or every summary*.json under a directory, oldest run first.

    `missing_ok`: a path that does not exist, or a directory with no summary under it, is
    no history yet (an empty list), as on a nightly job's first night.
    """
    path = Path(path)
    if missing_ok and not path.exists():
        return []
    if path.is_dir():
        files = sorted(path.rglob("summary*.json"))
        if not files and missing_ok:
            return []
        if not files:
            raise ConfigError(f"--compare {path}: no summary*.json under it")
        summaries = [load_summary(f) for f in files]
    else:
        summaries = [load_summary(path)]
    return sorted(summaries, key=lambda s: str(s["run"]["started"]))


def _key(violation: dict[str, Any]) -> tuple[str, str, str]:
    return (str(violation.get("rule") or "-"), str(violation["check"]),
            str(violation.get("path") or ""))


@dataclass(frozen=True)
class Comparison:
    """This run against earlier ones: violations new, fixed and persisting; the trend."""

    new: tuple[dict[str, Any], ...]
    fixed: tuple[dict[str, Any], ...]
    persisting: tuple[dict[str, Any], ...]
    trend: tuple[dict[str, Any], ...]
    previous: str
    clauses_lost: tuple[str, ...] = ()
    """Request clauses the last run covered and this one did not."""
    classes_lost: tuple[str, ...] = ()
    """Covering-set classes and boundaries the last run showed and this one did not."""

    @property
    def coverage_dropped(self) -> bool:
        """Whether this run judged less of the contract than the last one."""
        return bool(self.clauses_lost or self.classes_lost)

    def as_dict(self) -> dict[str, Any]:
        """The comparison as `report --format json` prints it."""
        def rows(items: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
            return [{k: v.get(k) for k in ("rule", "check", "path", "message", "request")}
                    for v in items]
        return {"previous": self.previous, "new": rows(self.new), "fixed": rows(self.fixed),
                "persisting": rows(self.persisting), "trend": list(self.trend),
                "coverage_dropped": self.coverage_dropped,
                "clauses_lost": list(self.clauses_lost), "classes_lost": list(self.classes_lost)}


def _clauses(summary: dict[str, Any]) -> set[str]:
    return {c for c, row in (summary.get("clauses") or {}).items() if row.get("covered")}


def _classes(summary: dict[str, Any]) -> set[str]:
    return set((summary.get("budget") or {}).get("covered") or ())


def _night(summary: dict[str, Any]) -> dict[str, Any]:
    """One run of the trend: its verdict, violations, and how much of the contract it judged."""
    budget = summary.get("budget") or {}
    return {"started": summary["run"]["started"], "verdict": summary["verdict"],
            "violations": len(summary["violations"]),
            "sent": summary["counts"].get("sent", 0), "findings": len(summary["findings"]),
            "seed": summary["run"]["seed"],
            "clauses_covered": len(_clauses(summary)),
            "clauses": len(summary.get("clauses") or {}),
            "classes_covered": len(_classes(summary)) if budget else None,
            "creates_spent": budget.get("spent")}


def compare(previous: list[dict[str, Any]], current: dict[str, Any]) -> Comparison:
    """Compare `current` with the latest of `previous`; the trend runs over all of them."""
    if not previous:
        raise ConfigError("--compare: no earlier summary to compare with")
    last = previous[-1]
    before = {_key(v): v for v in last["violations"]}
    now = {_key(v): v for v in current["violations"]}
    trend = tuple(_night(s) for s in [*previous, current])
    return Comparison(
        new=tuple(v for k, v in now.items() if k not in before),
        fixed=tuple(v for k, v in before.items() if k not in now),
        persisting=tuple(v for k, v in now.items() if k in before),
        trend=trend, previous=str(last.get("_path", "")),
        clauses_lost=tuple(c for c in last.get("clauses") or {}
                           if c in _clauses(last) - _clauses(current)),
        classes_lost=tuple(sorted(_classes(last) - _classes(current))))
