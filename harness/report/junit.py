"""junit.xml with one test case per rule and check, so CI systems show the rules natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness.contract.rules import rule_sort_key
from harness.core.plain import block
from harness.core.scrub import SECRETS
from harness.core.xmlcodec import xml_safe
from harness.report.summary import owed_line

__all__ = ["junit_xml", "write_junit"]


def junit_xml(summary: dict[str, Any]) -> str:
    """The summary's per-rule, per-check rows as a JUnit XML document."""
    rows = sorted(summary.get("checks", []), key=lambda r: (rule_sort_key(r["rule"]), r["check"]))
    run = summary["run"]
    unaccounted = _unaccounted(summary["resources"])
    errors = summary.get("harness_errors") or []
    skipped = (summary.get("budget") or {}).get("skipped_tests", [])
    tests = str(len(rows) + 1 + len(errors) + len(skipped))  # and the resources case
    failures = str(sum(1 for r in rows if r["violations"]) + (1 if unaccounted else 0))
    suites = ET.Element("testsuites", name="ncp-harness", tests=tests, failures=failures,
                        errors=str(len(errors)), skipped=str(len(skipped)))
    suite = ET.SubElement(suites, "testsuite", name="createServerImageFromSnapshot conformance",
                          tests=tests, failures=failures, errors=str(len(errors)),
                          skipped=str(len(skipped)), time=str(run["duration_s"]),
                          timestamp=run["started"])
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
    notes = [f"owed: serverImageNo {n}: {why}"
             for n, why in sorted((summary["resources"].get("owed") or {}).items())]
    notes += [f"unattributed: {why}"
              for _, why in sorted((summary["resources"].get("unattributed") or {}).items())]
    if notes:
        owed = owed_line(summary)
        ET.SubElement(case, "system-out").text = "\n".join([owed] if owed else []) + (
            "\n" if owed else "") + "\n".join(notes)
    if unaccounted:
        failure = ET.SubElement(case, "failure", type="leak", message="; ".join(unaccounted))
        failure.text = _resource_details(summary["resources"])
    for fault in errors:
        case = ET.SubElement(suite, "testcase", classname="harness", name=fault["test"],
                             time="0")
        ET.SubElement(case, "error", type="harness_error", message=fault["error"][:500])
    for test in skipped:
        case = ET.SubElement(suite, "testcase", classname="budget", name=test, time="0")
        ET.SubElement(case, "skipped", message="budget spent: --max-creates held back its"
                      " create requests")
    # XML 1.0 cannot carry C0 (xml_safe), and a terminal must not see C1 or bidi raw (block)
    return block(xml_safe(ET.tostring(suites, encoding="unicode", xml_declaration=True)))


def _unaccounted(resources: dict[str, Any]) -> list[str]:
    """What the resources case fails on, one phrase each."""
    found = []
    if resources["leaked"]:
        found.append(f"{resources['leaked']} image(s) left behind")
    if resources.get("unknown"):
        found.append(f"{resources['unknown']} accepted create(s) whose images are unknown")
    if resources.get("possibly_created"):
        found.append(f"{len(resources['possibly_created'])} image(s) possibly created, check"
                     " by hand")
    if resources.get("not_deleted"):
        found.append(f"{len(resources['not_deleted'])} image(s) named by a create answer but"
                     " not the run's")
    return found


def _resource_details(resources: dict[str, Any]) -> str:
    lines = [f"left behind: serverImageNo {n}: {why}"
             for n, why in sorted(resources["left_behind"].items())]
    lines += [f"unknown: {line}" for line in resources.get("unknown_creates", [])]
    lines += [f"possibly created: {why}"
              for _, why in sorted(resources.get("possibly_created", {}).items())]
    lines += [f"not deleted: serverImageNo {n}: {why}"
              for n, why in sorted(resources.get("not_deleted", {}).items())]
    return "\n".join(lines)


def _details(summary: dict[str, Any], rule: str, check: str) -> str:
    found = [v for v in summary["violations"] if (v["rule"] or "-") == rule and
             v["check"] == check]
    lines = []
    for v in found:
        clause = ([f"  clause:   {v['clause']}: {v.get('clause_says') or ''}"]
                  if v.get("clause") else [])
        lines += [f"[{rule}] {check}: {v['message']}", *clause, f"  expected: {v['expected']!r}",
                  f"  actual:   {v['actual']!r}", f"  request:  {v['method']} {v['request']}",
                  f"  seed:     {v['seed']}", *(f"  {r}" for r in v["reproduction"])]
    return "\n".join(lines) or "see summary.json"


def write_junit(summary: dict[str, Any], path: Path) -> Path:
    """Write junit.xml for the summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SECRETS.text(junit_xml(summary)), encoding="utf-8")
    return path
