"""report.html's clause coverage: each rule's promises as rows folded under its matrix row."""

from __future__ import annotations

from html import escape
from typing import Any

from harness.contract.clauses import rule_of

__all__ = ["clause_fold", "clauses_by_rule"]


def _e(value: object) -> str:
    return escape(str(value), quote=True)


_CLAUSE_KIND = {"refuses": "refused when broken", "allows": "accepted at its edge",
                "both": "both"}


def clauses_by_rule(summary: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """summary.json's clause rows, grouped under their rule id (SEED-R9.3 under SEED-R9)."""
    by_rule: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for clause, row in (summary.get("clauses") or {}).items():
        by_rule.setdefault(rule_of(clause), []).append((clause, row))
    return by_rule


def _clause_row(clause: str, row: dict[str, Any]) -> str:
    bad = " bad" if row["violations"] else ""
    covered = "<td>covered</td>" if row["covered"] else "<td class=bad>NOT COVERED</td>"
    return (f"<tr><td>{_e(clause)}</td><td>{_e(row['says'])}</td>"
            f"<td>{_e(_CLAUSE_KIND[row['kind']])}</td><td class=n>{_e(row['sent'])}</td>"
            f"<td class=n>{_e(row['accepted'])}</td><td class=n>{_e(row['rejected'])}</td>"
            f"<td class='n{bad}'>{_e(row['violations'])}</td>{covered}</tr>")


def clause_fold(clauses: list[tuple[str, dict[str, Any]]], width: int) -> str:
    """The matrix row under a rule's row: its clauses, folded unless one is untested or broken."""
    if not clauses:
        return ""
    missing = [c for c, row in clauses if not row["covered"]]
    bad = sum(row["violations"] for _, row in clauses)
    head = (f"{len(clauses)} clause(s), "
            + (f"<b>not covered: {_e(', '.join(missing))}</b>" if missing
               else "every one covered")
            + (f", {bad} violation(s)" if bad else ""))
    body = "".join(_clause_row(c, row) for c, row in clauses)
    return (f"<tr class=clauses><td></td><td colspan={width - 1}>"
            f"<details{' open' if missing or bad else ''}><summary>{head}</summary>"
            "<table><tr><th>clause</th><th>the seed's words</th><th>shown by</th>"
            "<th>sent</th><th>accepted</th><th>rejected</th><th>violations</th>"
            f"<th>covered</th></tr>{body}</table></details></td></tr>")
