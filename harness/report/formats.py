"""Every report a run writes from its summary, in one table: a new format is one row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.report.html import write_html
from harness.report.junit import write_junit

__all__ = ["REPORTS", "Report", "write_reports"]


@dataclass(frozen=True)
class Report:
    """One report: its file name in the report directory, and its writer."""

    name: str
    filename: str
    write: Callable[[dict[str, Any], Path], Path]


REPORTS: tuple[Report, ...] = (
    Report("junit", "junit.xml", write_junit),
    Report("html", "report.html", write_html),
)
"""Written after summary.json (run/runlog.py), from the same summary, by every run (under
xdist by the controller, from its workers' merged logs: run/logmerge.py)."""


def write_reports(summary: dict[str, Any], directory: Path) -> list[Path]:
    """Write every report of REPORTS for one summary; the paths written."""
    return [report.write(summary, directory / report.filename) for report in REPORTS]
