"""junit.xml with one test case per rule and check, so CI systems show the rules natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness.rules import rule_sort_key

__all__ = ["junit_xml", "write_junit"]


def junit_xml(summary: dict[str, Any]) -> str:
    """The summary's per-rule, per-check rows as a JUnit XML document."""
    rows = sorted(summary.get("checks", []), key=lambda r: (rule_sort_key(r["rule"]), r["check"]))
    run = summary["run"]
    leaked = summary["resources"]["leaked"]
    tests = str(len(rows) + 1)  # and the resources case
    failures = str(sum(1 for r in rows if r["violations"]) + (1 if leaked else 0))
    suites = ET.Element("testsuites", name="ncp-harness", tests=tests, failures=failures)
    suite = ET.SubElement(suites, "testsuite", name="createServerImageFromSnapshot conformance",
                          tests=tests, failures=failures, errors="0", skipped="0",
                          time=str(run["duration_s"]), timestamp=run["started"])
    props = ET.SubElement(suite, "properties")
    for name in ("target", "endpoint", "profile", "seed"):
        ET.SubElement(props, "property", name=name, value=str(run[name]))
    ET.SubElement(props, "property", name="verdict", value=summary["verdict"])
    for row in rows:
        case = ET.SubElement(suite, "testcase", classname=row["rule"], name=row["check"],
                             time="0")
        ET.SubElement(case, "system-out").text = (
            f"{row['runs']} exchanges judged, {row['violations']} broke it")
        if row["violations"]:
            failure = ET.SubElement(case, "failure", type=row["check"],
                                    message=(row.get("message") or "")[:500])
            failure.text = _details(summary, row["rule"], row["check"])
    case = ET.SubElement(suite, "testcase", classname="resources", name="nothing_left_behind",
                         time="0")
    if leaked:
        ET.SubElement(case, "failure", type="leak", message=f"{leaked} image(s) left behind")
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def _details(summary: dict[str, Any], rule: str, check: str) -> str:
    found = [v for v in summary["violations"] if (v["rule"] or "-") == rule and
             v["check"] == check]
    lines = []
    for v in found:
        lines += [f"[{rule}] {check}: {v['message']}", f"  expected: {v['expected']!r}",
                  f"  actual:   {v['actual']!r}", f"  request:  {v['method']} {v['request']}",
                  f"  seed:     {v['seed']}", *(f"  {r}" for r in v["reproduction"])]
    return "\n".join(lines) or "see summary.json"


def write_junit(summary: dict[str, Any], path: Path) -> Path:
    """Write junit.xml for the summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(summary), encoding="utf-8")
    return path
