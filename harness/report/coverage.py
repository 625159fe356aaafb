"""report.html's clause coverage: each promise of each rule, tested or not, folded by rule."""

from __future__ import annotations

from html import escape
from typing import Any

from harness.contract.rules import rule_sort_key

__all__ = ["clause_coverage"]


def _e(value: object) -> str:
    return escape(str(value), quote=True)


_CLAUSE_KIND = {"refuses": "refused when broken", "allows": "accepted at its edge",
                "both": "both"}


def _clause_row(clause: str, row: dict[str, Any]) -> str:
    bad = " bad" if row["violations"] else ""
    covered = "<td>covered</td>" if row["covered"] else "<td class=bad>NOT COVERED</td>"
    return (f"<tr><td>{_e(clause)}</td><td>{_e(row['says'])}</td>"
            f"<td>{_e(_CLAUSE_KIND[row['kind']])}</td><td class=n>{_e(row['sent'])}</td>"
            f"<td class=n>{_e(row['accepted'])}</td><td class=n>{_e(row['rejected'])}</td>"
            f"<td class='n{bad}'>{_e(row['violations'])}</td>{covered}</tr>")


def clause_coverage(summary: dict[str, Any]) -> str:
    """Clause coverage, folded under each rule; a rule with a clause not covered, open."""
    rows = summary.get("clauses") or {}
    if not rows:
        return "<p class=meta>This summary predates clause coverage.</p>"
    by_rule: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for clause, row in rows.items():
        by_rule.setdefault(clause.split(".", 1)[0], []).append((clause, row))
    parts = []
    for rule in sorted(by_rule, key=rule_sort_key):
        clauses = by_rule[rule]
        missing = [c for c, row in clauses if not row["covered"]]
        bad = sum(row["violations"] for _, row in clauses)
        head = (f"<b>{_e(rule)}</b>: {len(clauses)} clause(s), "
                + (f"<b>not covered: {_e(', '.join(missing))}</b>" if missing
                   else "every one covered")
                + (f", {bad} violation(s)" if bad else ""))
        body = "".join(_clause_row(c, row) for c, row in clauses)
        parts.append(f"<details{' open' if missing or bad else ''}><summary>{head}</summary>"
                     "<table><tr><th>clause</th><th>the seed's words</th><th>shown by</th>"
                     "<th>sent</th><th>accepted</th><th>rejected</th><th>violations</th>"
                     f"<th>covered</th></tr>{body}</table></details>")
    return "".join(parts)
