"""report.html: one self-contained page (inline CSS and SVG, no fetches) from a summary.

The verdict first; then, with a comparison, what is new, fixed and persisting and a trend
chart; the rule-by-outcome matrix whose cells link to example requests; charts of what was
exercised; every violation with its minimal request and reproduction; the findings, one
row per open case with how often and what the service did (the rest folded); then, folded,
the example requests per rule and the seed's own contradictions. A passing run's page is
a few screens (benchmarks/report_height.py measures it).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from harness.contract.rules import REQUEST_RULES, RULES, rule_sort_key
from harness.core.plain import block
from harness.core.scrub import SECRETS
from harness.report.coverage import clause_fold, clauses_by_rule
from harness.report.summary import TONE, Comparison, left_line, owed_line, verdict_line

__all__ = ["render_html", "write_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330}
main{max-width:1100px;margin:0 auto;padding:0 24px 48px}
h1{font-size:22px;margin:24px 0 4px}h2{font-size:17px;margin:32px 0 8px;
border-bottom:1px solid #dde2ea;padding-bottom:4px}
.banner{padding:14px 24px;color:#fff;font-size:20px;font-weight:600}
.good{background:#1f7a4d}.bad{background:#b42318}.partial{background:#b54708}
.meta{color:#5b6576;margin:4px 0 0}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border:1px solid #dde2ea;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f9}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.bad{background:#fde7e5;font-weight:600}td.zero{color:#9aa3b2}
p.dropped{background:#fde7e5;padding:6px 8px}
.banner a{color:#fff}details.fold summary{cursor:pointer;color:#334}
pre{background:#f6f8fb;border:1px solid #e3e7ee;padding:8px;overflow-x:auto;
white-space:pre-wrap;word-break:break-all;margin:4px 0}
.card{border:1px solid #dde2ea;border-left:4px solid #b42318;padding:8px 12px;margin:10px 0}
.finding{border-left-color:#b7791f}.ok{border-left-color:#1f7a4d}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{flex:1 1 320px}
.chart h3{font-size:14px;margin:8px 0 4px}
summary{cursor:pointer;color:#1f5fbf}details{margin:4px 0}
.findings ul{margin:2px 0;padding-left:18px}
a{color:#1f5fbf}.tag{display:inline-block;background:#eef1f6;border-radius:3px;
padding:0 6px;margin-right:4px;font-size:12px}
"""


def _e(value: object) -> str:
    """HTML-escaped, every control character but a line break written as a visible escape.

    Service text may carry NUL, ESC, BEL or FF: a `cat` or `grep` of the report (a CI
    artifact) must not replay them on a terminal.
    """
    return escape(block(str(value)), quote=True)


def _bars(counts: dict[str, int], *, width: int = 320, colour: str = "#3b6fd6") -> str:
    """A horizontal bar chart as inline SVG."""
    if not counts:
        return "<p class=meta>nothing recorded</p>"
    rows = list(counts.items())
    top = max(counts.values()) or 1
    height = 18 * len(rows) + 4
    label_w, bar_w = 110, width - 160
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
             f' role="img">')]
    for i, (name, count) in enumerate(rows):
        y = 2 + 18 * i
        length = max(1, round(bar_w * count / top)) if count else 0
        parts.append(f'<text x="{label_w - 4}" y="{y + 12}" font-size="11"'
                     f' text-anchor="end">{_e(name)}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{length}" height="13"'
                     f' fill="{colour}"><title>{_e(name)}: {count}</title></rect>'
                     f'<text x="{label_w + length + 4}" y="{y + 12}" font-size="11">'
                     f'{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


CHART_NOTES = {
    "order": "One bar per order value sent, per entry. 'not 0-20': an order the seed forbids"
             " (above 20, negative, not an integer, empty), sent by the SEED-R4 breakers and"
             " the wire fuzz to see it refused.",
    "list_length": "Entries per request. '>21': more than the seed allows (SEED-R4 breakers).",
    "size_gb": "blockStorageSize values sent, in GB, by range ('not a number': SEED-R7"
               " breakers).",
}
"""What a chart's odd bars mean, under the chart."""


def _order_key(kind: str, name: str) -> tuple[int, int, str]:
    if kind in ("order", "list_length") and name.isdigit():
        return (0, int(name), name)
    if kind == "size_gb":
        order = ["<10", "10-99", "100-999", "1000-9999", "10000-16380", ">16380"]
        return (0, order.index(name), name) if name in order else (1, 0, name)
    return (1, 0, name)


def _run_label(run: dict[str, Any], days: list[str]) -> str:
    """A run's date, with its time of day when another run shares the date."""
    started = str(run["started"])
    return started[:10] if days.count(started[:10]) < 2 else f"{started[5:10]} {started[11:16]}"


def _trend(trend: tuple[dict[str, Any], ...]) -> str:
    """Violations per run (bars) over the runs compared, oldest first, as inline SVG."""
    width, height, pad = 640, 160, 30
    top = max([t["violations"] for t in trend] + [1])
    step = (width - 2 * pad) / max(len(trend), 1)
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}"'
             ' role="img"><title>violations per run</title>')]
    parts.append(f'<line x1="{pad}" y1="{height}" x2="{width - pad}" y2="{height}"'
                 ' stroke="#9aa3b2"/>')
    days = [str(run["started"])[:10] for run in trend]
    for i, run in enumerate(trend):
        bar = (height - 20) * run["violations"] / top
        x = pad + i * step + step * 0.15
        colour = {"bad": "#b42318", "partial": "#b54708"}.get(TONE.get(run["verdict"], ""),
                                                               "#1f7a4d")
        parts.append(f'<rect x="{x:.1f}" y="{height - bar:.1f}" width="{step * 0.7:.1f}"'
                     f' height="{max(bar, 1):.1f}" fill="{colour}"><title>'
                     f'{_e(run["started"])}: {_e(run["violations"])} violation(s),'
                     f' {_e(run["sent"])} sent</title></rect>'
                     f'<text x="{x + step * 0.35:.1f}" y="{height - bar - 4:.1f}" font-size="11"'
                     f' text-anchor="middle">{_e(run["violations"])}</text>'
                     f'<text x="{x + step * 0.35:.1f}" y="{height + 14}" font-size="10"'
                     f' text-anchor="middle">{_e(_run_label(run, days))}</text>')
    parts.append("</svg>")
    return "".join(parts)


_MATRIX_COLUMNS = ("rule", "what the seed says", "sent", "accepted (200)", "rejected (4xx)",
                   "unspecified", "5xx", "checks judged", "violations")


def _matrix(summary: dict[str, Any]) -> str:
    rows = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in _MATRIX_COLUMNS) + "</tr>"]
    counts = summary["rules"]
    violations: dict[str, int] = {}
    for v in summary["violations"]:
        violations[v["rule"] or "-"] = violations.get(v["rule"] or "-", 0) + 1
    judged: dict[str, int] = {}
    for row in summary.get("checks", []):
        judged[row["rule"]] = judged.get(row["rule"], 0) + row["runs"]
    table = {**RULES, **{r: REQUEST_RULES[r] for r in REQUEST_RULES
                         if r in judged or r in violations}}
    clauses = clauses_by_rule(summary)
    for rule in sorted(table, key=rule_sort_key):
        c = counts.get(rule, {})
        link = f"#examples-{rule}"
        cells = []
        for key in ("sent", "accepted", "rejected", "unspecified", "server_error"):
            n = c.get(key, 0)
            cells.append(f'<td class="n{" zero" if not n else ""}"><a href="{_e(link)}">{_e(n)}'
                         '</a></td>' if n else '<td class="n zero">0</td>')
        cells.append(f'<td class="n{"" if judged.get(rule) else " zero"}">'
                     f'{_e(judged.get(rule, 0))}</td>')
        bad = violations.get(rule, 0)
        cells.append(f'<td class="n{" bad" if bad else " zero"}">'
                     + (f'<a href="#violations">{_e(bad)}</a>' if bad else "0") + "</td>")
        rows.append(f"<tr><td><b>{_e(rule)}</b></td><td>{_e(table[rule].text)}</td>"
                    + "".join(cells) + "</tr>")
        rows.append(clause_fold(clauses.get(rule, []), len(_MATRIX_COLUMNS)))
    rows.append("</table>")
    if not clauses:
        rows.append("<p class=meta>This summary predates clause coverage.</p>")
    return "".join(rows)


_LONG = 160
"""Longer values are folded: their first characters shown, the whole a click away."""


def _fold(value: Any, *, pre: bool = False, limit: int = _LONG) -> str:
    """A value shown once: whole when short, else its head with the whole folded under it."""
    text = str(value)
    whole = f"<pre>{_e(text)}</pre>" if pre else _e(text)
    if len(text) <= limit:
        return whole
    return (f"<details class=fold><summary>{_e(text[:limit - 40])}... ({len(text):,}"
            f" characters)</summary>{whole if pre else f'<pre>{_e(text)}</pre>'}</details>")


def _violations(summary: dict[str, Any]) -> str:
    if not summary["violations"]:
        return "<p class='card ok'>No violation: the service kept the contract.</p>"
    parts = [
        (f"<div class=card id=violation-{number}><b>[{_e(v['rule'] or '-')}]"
            f" {_e(v['check'])}</b>: {_fold(v['message'], limit=400)}<br>{_clause_line(v)}"
            f"<div>minimal request ({_e(v['method'])}):</div>"
            f"{_fold(v['request'], pre=True, limit=600)}"
            f"<div>reproduce:</div><pre>{_e(chr(10).join(v['reproduction']))}</pre>"
            f"<table><tr><th>expected</th><td>{_fold(v['expected'])}</td></tr><tr><th>actual"
            f"</th><td>{_fold(v['actual'])}</td></tr></table>"
            f"<span class=meta>seen in {_e(v.get('occurrences', 1))} answer(s); where"
            f" {_e(v['path'] or '-')}; test {_e(v['test'])}; seed {_e(v['seed'])}</span></div>")
        for number, v in enumerate(summary["violations"], start=1)]
    return "".join(parts)


FINDING_KINDS = {"REF": "the service differs from the reference",
                 "SEED-S": "not compared: the answer could not be held to this response rule",
                 "U": "the seed is silent"}
"""What a finding is, by the prefix of its cases (U1, REF-..., SEED-S3)."""


def _clause_line(v: dict[str, Any]) -> str:
    """The clause a violation breaks, with the seed's words, when the check knew it."""
    if not v.get("clause"):
        return ""
    return (f"<span class=tag>{_e(v['clause'])}</span>{_e(v.get('clause_says') or '')}<br>")


def _finding_kind(cases: list[str]) -> str:
    """A row's kind: the reference differs, a response rule not compared, or the seed silent."""
    for prefix in ("REF", "SEED-S"):
        if all(str(c).startswith(prefix) for c in cases):
            return FINDING_KINDS[prefix]
    return FINDING_KINDS["U"]


def _said(case: str, says: str) -> str:
    """What the seed says of `case`, without the case's name in front (its column has it)."""
    return says.removeprefix(f"{case}: ")


def _finding_row(f: dict[str, Any]) -> str:
    """One case (or combination of cases): what is said, how often, what the service did."""
    says = "".join(f"<li>{_e(_said(c, s))}</li>" for c, s in
                   zip(f["cases"], f.get("seed_says") or f["cases"], strict=False))
    observed = sorted(f["observed"].items(), key=lambda kv: (-kv[1], kv[0]))
    answers = sum(n for _, n in observed)
    tags = "".join(f"<span class=tag>{_e(c)}</span>" for c in f["cases"])
    top, top_n = observed[0] if observed else ("", 0)
    rest = "".join(f"<li>{_e(n)} &times; {_e(what)}</li>" for what, n in observed[1:])
    more = (f"{len(observed) - 1} other kind(s) of answer, and an example" if rest
            else "an example")
    return (f"<tr><td>{tags}</td><td>{_e(_finding_kind(f['cases']))}</td><td><ul>{says}</ul>"
            f"</td><td class=n>{_e(answers)}</td><td>{_e(top_n)} &times; {_e(top)}"
            f"<details><summary>{more}</summary>{f'<ul>{rest}</ul>' if rest else ''}"
            f"<pre>{_e(f['example'] or '')}</pre></details></td></tr>")


_FINDINGS_HEAD = ("<table class=findings><tr><th>case</th><th>kind</th><th>what the seed (or"
                  " the reference) says</th><th>answers</th><th>what the service did, most"
                  " often</th></tr>")


def _findings(summary: dict[str, Any]) -> str:
    """One row per open case; requests that met several at once, folded under one line."""
    if not summary["findings"]:
        return "<p class=meta>No open case was exercised.</p>"
    single = [f for f in summary["findings"] if len(f["cases"]) == 1]
    combined = [f for f in summary["findings"] if len(f["cases"]) > 1]
    parts = []
    if single:
        parts.append(_FINDINGS_HEAD + "".join(_finding_row(f) for f in sorted(
            single, key=lambda f: rule_sort_key(f["cases"][0]))) + "</table>")
    if combined:
        answers = sum(sum(f["observed"].values()) for f in combined)
        parts.append(f"<details><summary>{len(combined)} combination(s) of open cases in one"
                     f" request ({answers} answers)</summary>{_FINDINGS_HEAD}"
                     + "".join(_finding_row(f) for f in combined) + "</table></details>")
    return "".join(parts)


def _examples(summary: dict[str, Any]) -> str:
    """Each rule's example requests, folded; the matrix's numbers land on the rule's line."""
    parts = []
    for rule, c in sorted(summary["rules"].items(), key=lambda kv: rule_sort_key(kv[0])):
        shown = c.get("examples") or {}
        if not shown:
            continue
        bands = "".join(f"<div>{_e(band)}:</div><pre>{_e(chr(10).join(lines))}</pre>"
                        for band, lines in sorted(shown.items()))
        parts.append(f'<details id="examples-{_e(rule)}"><summary>{_e(rule)}:'
                     f" {sum(len(lines) for lines in shown.values())} example(s)</summary>"
                     f"{bands}</details>")
    return "".join(parts) or "<p class=meta>No examples recorded.</p>"


def _comparison(comparison: Comparison) -> str:
    def table(title: str, items: tuple[dict[str, Any], ...]) -> str:
        if not items:
            return f"<p><b>{title}</b>: none</p>"
        rows = "".join(f"<tr><td>{_e(v.get('rule') or '-')}</td><td>{_e(v['check'])}</td>"
                       f"<td>{_e(v.get('path') or '-')}</td><td>{_e(v['message'])}</td></tr>"
                       for v in items)
        return (f"<p><b>{_e(title)}</b>: {len(items)}</p><table><tr><th>rule</th><th>check</th>"
                f"<th>where</th><th>message</th></tr>{rows}</table>")
    lost = [*comparison.clauses_lost, *comparison.classes_lost]
    dropped = (f"<p class=dropped><b>Coverage dropped</b>: {len(comparison.clauses_lost)}"
               f" clause(s) and {len(comparison.classes_lost)} class(es) judged last time"
               f" were not judged now: {_e(', '.join(lost))}</p>" if lost else "")
    return (f"<p class=meta>against {_e(comparison.previous)}</p>"
            + table("New", comparison.new) + dropped + table("Fixed", comparison.fixed)
            + table("Persisting", comparison.persisting)
            + f"<h3>Trend over {len(comparison.trend)} runs (violations per run)</h3>"
            + _trend(comparison.trend))


def _owed(resources: dict[str, Any]) -> str:
    count = len(resources.get("owed") or {})
    return f"; owed (still being created) {_e(count)}" if count else ""


def _accounting(summary: dict[str, Any]) -> str:
    """Harness errors, images unaccounted for, and tests the budget cut short, as lists."""
    resources = summary["resources"]
    items = [f"<li><b>harness error</b> in {_e(f['test'])}: {_e(f['error'])} (not a pass)</li>"
             for f in summary.get("harness_errors") or []]
    items += [f"<li><b>left behind</b>: serverImageNo {_e(n)}: {_e(why)}</li>"
              for n, why in sorted(resources["left_behind"].items())]
    items += [f"<li><b>accepted create, image unknown</b>: {_e(line)}</li>"
              for line in resources.get("unknown_creates", [])]
    items += [f"<li><b>possibly created, check by hand</b>: {_e(why)}</li>"
              for _, why in sorted(resources.get("possibly_created", {}).items())]
    items += [f"<li><b>not deleted, not the run's</b>: serverImageNo {_e(n)}: {_e(why)}</li>"
              for n, why in sorted(resources.get("not_deleted", {}).items())]
    if (owed := owed_line(summary)) is not None:
        items.append(f"<li><b>owed</b>: {_e(owed)}<ul>" + "".join(
            f"<li>serverImageNo {_e(n)}: {_e(why)}</li>"
            for n, why in sorted(resources["owed"].items())) + "</ul></li>")
    items += [f"<li><b>unattributed, not deleted</b>: {_e(why)}</li>"
              for _, why in sorted((resources.get("unattributed") or {}).items())]
    items += [f"<li><b>vanished</b> (deleted by someone else): serverImageNo {_e(n)}:"
              f" {_e(why)}</li>" for n, why in sorted((resources.get("vanished") or {}).items())]
    inherited = resources.get("inherited") or {}
    if inherited.get("runs") or inherited.get("check_by_hand"):
        items.append(f"<li><b>settled first, from the ledger</b>: {len(inherited['runs'])}"
                     f" earlier run(s), {len(inherited.get('deleted', []))} image(s) deleted,"
                     f" {_e(inherited.get('owed', 0))} still owed</li>")
    items += [f"<li><b>earlier run, check by hand</b>: {_e(line)}</li>"
              for line in inherited.get("check_by_hand", [])]
    skipped = (summary.get("budget") or {}).get("skipped_tests", [])
    if skipped:  # a list as long as the suite: folded
        tests = "".join(f"<li>{_e(test)}</li>" for test in skipped)
        items.append(f"<li><b>skipped, budget spent</b>: {len(skipped)} test(s) ended before"
                     f" their end<details><summary>which</summary><ul>{tests}</ul></details>"
                     "</li>")
    return f"<ul class=accounting>{''.join(items)}</ul>" if items else ""


def render_html(summary: dict[str, Any], comparison: Comparison | None = None) -> str:
    """The page for one run (and its comparison with earlier runs, when given)."""
    run = summary["run"]
    tone = TONE[summary["verdict"]]
    counts = summary["counts"]
    resources = summary["resources"]
    verdict = verdict_line(summary)
    violations = (f"<h2 id=\"violations\">Violations ({len(summary['violations'])})</h2>"
                  + _violations(summary))
    failing = violations if summary["violations"] else ""  # what to do comes first
    banner = _e(verdict) + (' <a href="#violation-1">(go to the first violation)</a>'
                            if summary["violations"] else "")
    charts = "".join(
        f"<div class=chart><h3>{_e(kind.replace('_', ' '))}</h3>"
        + _bars(dict(sorted(values.items(), key=lambda kv: _order_key(kind, kv[0]))))
        + (f"<p class=meta>{_e(CHART_NOTES[kind])}</p>" if kind in CHART_NOTES else "")
        + "</div>" for kind, values in sorted(summary.get("exercised", {}).items()))
    contradictions = "".join(f"<li><b>{_e(c['rule'])}</b>: {_e(c['text'])}</li>"
                             for c in summary.get("contradictions", []))
    replay = summary.get("replay")
    replay_html = "" if not replay else (
        f"<h2>Cassette</h2><p>{_e(replay.get('cassette'))}: {_e(replay.get('rechecked'))}"
        f" recorded exchanges re-checked; {_e(replay.get('not_recorded'))} generated requests"
        " had no"
        " recording (counted, not failed).</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ncp-harness: {_e(verdict)}</title><style>{_CSS}</style></head>
<body><div class="banner {tone}">{banner}</div><main>
<h1>createServerImageFromSnapshot conformance</h1>
<p class=meta>target <b>{_e(run['target'])}</b> ({_e(run['endpoint'])}), profile
{_e(run['profile'])}, seed <b>{_e(run['seed'])}</b>, started {_e(run['started'])},
{run['duration_s']:.1f} s; ncp-harness {_e(run['versions'].get('ncp-harness', '?'))},
Python {_e(run['versions'].get('python', '?'))}</p>
{_fault(run)}<p>{_e(counts.get('sent', 0))} requests: {_e(counts.get('accepted', 0))} answered 200,
{_e(counts.get('rejected', 0))} answered 4xx, {_e(counts.get('server_error', 0))} answered
5xx; the oracle said accept {_e(counts.get('oracle_accept', 0))}, reject
{_e(counts.get('oracle_reject', 0))}, unspecified {_e(counts.get('oracle_unspecified', 0))}.
Images created {_e(resources['created'])}, deleted {_e(resources['deleted'])}; on the account
because of the run: {_e(left_line(resources))}{_owed(resources)}.</p>
{_accounting(summary)}
{failing}
{"<h2>Since the last run</h2>" + _comparison(comparison) if comparison else ""}
<h2 id="clauses">Rules</h2><p class=meta>Under each rule, its clauses (each promise it
makes, tested or not) fold; a rule with a clause not covered or broken is open.</p>
{_matrix(summary)}
<h2>What was exercised</h2><div class=charts>{charts}</div>
{"" if failing else violations}
<h2>Findings: where the seed is silent or the service differs from the reference
({len(summary['findings'])})</h2>{_findings(summary)}
{replay_html}
<h2>Example requests per rule</h2>{_examples(summary)}
<h2>Where the seed contradicts itself</h2><details><summary>{len(summary.get(
    "contradictions", []))} contradiction(s) the oracle settles</summary><ul>{contradictions}</ul>
</details>
</main></body></html>
"""


def write_html(summary: dict[str, Any], path: Path,
               comparison: Comparison | None = None) -> Path:
    """Write report.html."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SECRETS.text(render_html(summary, comparison)), encoding="utf-8")
    return path


def _fault(run: dict[str, Any]) -> str:
    """A line naming the simulator's deliberate bug, when the run had one (--fault)."""
    if not run.get("fault"):
        return ""
    return (f"<p class=meta><b>fault {_e(run['fault'])}</b>: the simulator had this bug on"
            " purpose (--fault); reproductions carry it</p>\n")
