"""Reports: summary.json against its schema, junit.xml per rule and check, report.html, compare."""

from __future__ import annotations

import copy
import html
import itertools
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from harness.checks.response import Answer, CheckResult
from harness.contract.clauses import CLAUSES
from harness.contract.oracle import Outcome, Verdict, judge
from harness.contract.probe import Probe
from harness.contract.wire import decode
from harness.core.errors import ConfigError
from harness.report.html import FINDING_KINDS, _run_label, render_html
from harness.report.junit import junit_xml
from harness.report.summary import (
    compare,
    load_summaries,
    load_summary,
    summary_schema,
    verdict_line,
)
from harness.report.terminal import write_summary
from harness.run.runlog import RunLog
from harness.sim import Simulator
from harness.sim.scenario import default_scenario, sample_account
from harness.sim.server import running

NCP_HARNESS = str(Path(sys.executable).with_name("ncp-harness"))
_CREDS = default_scenario().credentials
assert _CREDS is not None
CREDS = _CREDS
VOID = {"meta", "br", "line", "rect", "hr", "img", "input", "link"}


def harness(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("NCLOUD_", "HYPOTHESIS", "PYTEST_"))}
    return subprocess.run([NCP_HARNESS, *args], capture_output=True, text=True, timeout=600,
                          check=False, env={**base, **(env or {})})


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = tmp_path_factory.mktemp("clean")
    result = harness("run", "--quiet", "--seed", "4", "--max-examples", "4", "--report-dir",
                     str(report))
    assert result.returncode == 0, result.stdout[-2000:]
    return report


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = tmp_path_factory.mktemp("failing")
    with pytest.MonkeyPatch.context() as patch, running(Simulator()) as server:
        patch.setattr("harness.sim.actions.judge", lambda params, account: Verdict(Outcome.ACCEPT))
        result = harness("run", "--quiet", "--target", "live", "--seed", "5", "--max-examples",
                         "5", "-k", "SEED-R3 or SEED-R2", "--report-dir", str(report),
                         "--max-creates", "1000",  # every invalid request makes an image
                         env={"NCLOUD_API_GW": server.url, "NCLOUD_ACCESS_KEY": CREDS.access_key,
                              "NCLOUD_SECRET_KEY": CREDS.secret_key})
    assert result.returncode == 1, result.stdout[-2000:]
    return report


def test_summary_matches_its_published_schema(clean_run: Path, failing_run: Path) -> None:
    validator = Draft202012Validator(summary_schema())
    for report in (clean_run, failing_run):
        data = json.loads((report / "summary.json").read_text())
        assert [e.message for e in validator.iter_errors(data)] == []
    clean = load_summary(clean_run / "summary.json")
    assert clean["schema_version"] == 2
    assert set(clean["exercised"]) == {"format", "list_length", "method", "order", "size_gb"}
    assert clean["exercised"]["method"]["GET"] > 0
    assert clean["exercised"]["method"]["POST"] > 0
    assert {c["rule"] for c in clean["contradictions"]} == {"SEED-S1", "SEED-S4"}
    assert all(f["seed_says"] for f in clean["findings"])
    assert clean["rules"]["SEED-R2"]["examples"]["rejected"]
    failing = load_summary(failing_run / "summary.json")
    let_through = {v["clause"] for v in failing["violations"]
                   if v["check"] == "status_agrees_with_oracle"}
    assert all(c and c.startswith(("SEED-R2.", "SEED-R3.")) for c in let_through)
    assert "SEED-R3.2" in let_through  # 1001 bytes: the description clause, by name
    page = (failing_run / "report.html").read_text()
    junit = (failing_run / "junit.xml").read_text()
    for clause in let_through:
        assert f"<span class=tag>{clause}</span>" in page
        assert f"clause:   {clause}: " in junit


def test_junit_has_one_case_per_rule_and_check(clean_run: Path, failing_run: Path) -> None:
    broken = {("SEED-R3", "status_agrees_with_oracle"), ("SEED-R2", "status_agrees_with_oracle")}
    for report, failures in ((clean_run, set()), (failing_run, broken)):
        summary = json.loads((report / "summary.json").read_text())
        root = ET.parse(report / "junit.xml").getroot()  # noqa: S314 - our own file
        cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
        rows = {(r["rule"], r["check"]) for r in summary["checks"]}
        assert set(cases) == rows | {("resources", "nothing_left_behind")}
        failed = {k for k, c in cases.items() if c.find("failure") is not None}
        resources = summary["resources"]
        # A nameless create (SEED-R2.1) the service accepted made an image no name proves
        # the run's: "check by hand", a failure of its own.
        unaccounted = bool(resources["leaked"] or resources.get("unknown")
                           or resources.get("possibly_created"))
        expected = failures | ({("resources", "nothing_left_behind")} if unaccounted else set())
        assert failed == expected
        assert root.get("failures") == str(len(expected))
    assert ("SEED-S5", "not_a_server_error") in rows
    text = (failing_run / "junit.xml").read_text()
    assert "ncp-harness send --target live" in text  # the reproduction rides along


class _Balance(HTMLParser):
    """Checks every element is closed in order, and collects what could fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.fetches: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "srcset", "data") or (name == "href" and tag == "link"):
                self.fetches.append(f"{tag} {name}={value}")
            if name == "href":
                self.links.append(value or "")
            if name == "id":
                self.ids.add(value or "")
        if tag in ("script", "iframe", "object", "embed", "link", "img"):
            self.fetches.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1]}>"
        self.stack.pop()


def _check_page(text: str) -> _Balance:
    parser = _Balance()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    assert parser.fetches == []
    assert "url(" not in text
    assert "@import" not in text
    for link in parser.links:
        assert link.startswith("#"), link
        assert link[1:] in parser.ids, link
    return parser


def test_report_html_is_well_formed_and_self_contained(clean_run: Path,
                                                       failing_run: Path) -> None:
    clean = _check_page((clean_run / "report.html").read_text())
    assert "examples-SEED-R4" in clean.ids
    failing = (failing_run / "report.html").read_text()
    _check_page(failing)
    assert "FAILED: " in failing
    assert "[SEED-R3] status_agrees_with_oracle" in failing
    assert "reproduce:" in failing
    kinds = json.loads((failing_run / "summary.json").read_text())["exercised"]
    assert len(kinds) >= 4
    assert failing.count("<svg") == len(kinds)  # one chart per exercised kind


def test_hostile_text_is_escaped(failing_run: Path) -> None:
    summary = load_summary(failing_run / "summary.json")
    summary["violations"][0]["message"] = "<script>alert(1)</script>"
    summary["violations"][0]["request"] = "a=</pre><img src=x>"
    page = render_html(summary)
    _check_page(page)
    assert "<script>" not in page


def _renamed(summary: dict[str, Any], started: str, keep: slice) -> dict[str, Any]:
    out = copy.deepcopy(summary)
    out["run"]["started"] = started
    out["violations"] = out["violations"][keep]
    out["verdict"] = "failed" if out["violations"] else "passed"
    return out


def test_compare_says_new_fixed_and_persisting(failing_run: Path, tmp_path: Path) -> None:
    base = load_summary(failing_run / "summary.json")
    assert len(base["violations"]) == 2
    first, second = base["violations"]
    older = _renamed(base, "2026-11-01T00:00:00+00:00", slice(0, 1))   # only the first
    current = _renamed(base, "2026-11-03T00:00:00+00:00", slice(1, 2))  # only the second
    result = compare([older], current)
    assert [v["rule"] for v in result.new] == [second["rule"]]
    assert [v["rule"] for v in result.fixed] == [first["rule"]]
    assert result.persisting == ()
    both = _renamed(base, "2026-11-02T00:00:00+00:00", slice(0, 2))
    for night, data in (("a", older), ("b", both)):
        (tmp_path / night).mkdir()
        (tmp_path / night / "summary.json").write_text(json.dumps(data))
    history = load_summaries(tmp_path)
    assert [s["run"]["started"][:10] for s in history] == ["2026-11-01", "2026-11-02"]
    result = compare(history, current)  # against the latest: both
    assert (len(result.new), len(result.fixed), len(result.persisting)) == (0, 1, 1)
    assert [t["violations"] for t in result.trend] == [1, 2, 1]
    _check_page(render_html(current, result))


def test_report_command_compares_and_exits_1_on_new_violations(failing_run: Path,
                                                               clean_run: Path,
                                                               tmp_path: Path) -> None:
    night = tmp_path / "tonight"
    night.mkdir()
    (night / "summary.json").write_text((failing_run / "summary.json").read_text())
    result = harness("report", "--report-dir", str(night), "--compare",
                     str(clean_run / "summary.json"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "new 2, fixed 0, persisting 0" in result.stdout
    assert "  NEW       [SEED-R" in result.stdout
    assert "trend (violations, clauses covered; oldest first):" in result.stdout
    page = (night / "report.html").read_text()
    assert "Since the last run" in page
    as_json = harness("report", "--report-dir", str(clean_run), "--compare",
                      str(night / "summary.json"), "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert len(data["comparison"]["fixed"]) == 2
    assert data["comparison"]["new"] == []


def test_a_drop_in_coverage_fails_the_comparison_like_a_new_violation(clean_run: Path,
                                                                     tmp_path: Path) -> None:
    summary = json.loads((clean_run / "summary.json").read_text())
    lost = [c for c, row in summary["clauses"].items() if row["covered"]][:3]
    covered = sum(bool(row["covered"]) for row in summary["clauses"].values())
    for clause in lost:
        summary["clauses"][clause]["covered"] = False
    budget = summary.get("budget") or {"max_creates": None, "covered": [], "not_covered": []}
    budget["covered"] = ["base-only", "GET"]
    summary["budget"] = budget
    night = tmp_path / "tonight"
    night.mkdir()
    (night / "summary.json").write_text(json.dumps(summary))
    earlier = json.loads((clean_run / "summary.json").read_text())
    earlier["budget"] = {**budget, "covered": ["base-only", "GET", "POST"]}
    (tmp_path / "last").mkdir()
    (tmp_path / "last" / "summary.json").write_text(json.dumps(earlier))
    result = harness("report", "--report-dir", str(night), "--compare", str(tmp_path / "last"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "new 0, fixed 0" in result.stdout
    assert (f"COVERAGE DROPPED: 3 clause(s) and 1 class(es) judged last time were not judged"
            f" now: {', '.join(lost)}, POST") in result.stdout
    total = len(summary["clauses"])
    assert f"{covered - 3}/{total}" in result.stdout  # the trend shows clauses covered per run
    assert "Coverage dropped" in (night / "report.html").read_text()
    allowed = harness("report", "--report-dir", str(night), "--compare",
                      str(tmp_path / "last"), "--allow-coverage-drop", "--format", "json")
    assert allowed.returncode == 0, allowed.stderr
    data = json.loads(allowed.stdout)["comparison"]
    assert (data["coverage_dropped"], data["clauses_lost"], data["classes_lost"]) == (
        True, lost, ["POST"])
    assert [t["clauses_covered"] for t in data["trend"]] == [covered, covered - 3]


@pytest.mark.parametrize("history", ["missing", "empty", "only-tonight"])
def test_no_history_is_the_first_night_not_an_error(clean_run: Path, tmp_path: Path,
                                                    history: str) -> None:
    night = tmp_path / "tonight"
    night.mkdir()
    (night / "summary.json").write_text((clean_run / "summary.json").read_text())
    where = tmp_path / "history"
    if history == "empty":
        where.mkdir()
    elif history == "only-tonight":
        where = night  # the history holds tonight's own summary and nothing else
    result = harness("report", "--report-dir", str(night), "--compare", str(where))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "first night: nothing to compare" in result.stdout
    as_json = harness("report", "--report-dir", str(night), "--compare", str(where),
                      "--format", "json")
    data = json.loads(as_json.stdout)
    assert (as_json.returncode, data["first_night"], data["comparison"]) == (0, True, None)
    wrong = tmp_path / "not-a-summary.json"
    wrong.write_text("{}")
    assert harness("report", "--report-dir", str(night), "--compare",
                   str(wrong)).returncode == 2  # a file that is not a summary is still wrong


@pytest.mark.parametrize(("content", "message"), [
    ('{"schema_version": 9}', "written by a newer ncp-harness: upgrade this one"),
    ('{"schema_version": "x"}', "is it a summary.json written by ncp-harness run?"),
    ("[1, 2", "not a summary.json"),
    ('{"schema_version": 2, "run": {}}', "see summary.schema.json"),
])
def test_unreadable_summaries_are_refused_clearly(tmp_path: Path, content: str,
                                                  message: str) -> None:
    path = tmp_path / "summary.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_summary(path)
    result = harness("report", "--report-dir", str(tmp_path))
    assert result.returncode == 2
    assert str(path) in result.stderr


def test_a_version_1_summary_is_read(clean_run: Path, tmp_path: Path) -> None:
    data = json.loads((clean_run / "summary.json").read_text())
    data["schema_version"] = 1
    for key in ("checks", "exercised", "contradictions"):
        del data[key]
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(data))
    upgraded = load_summary(path)
    assert upgraded["upgraded_from"] == 1
    assert upgraded["checks"] == []
    assert "<svg" not in junit_xml(upgraded)


def test_run_format_json_prints_only_the_summary_on_stdout(tmp_path: Path) -> None:
    result = harness("run", "--format", "json", "--seed", "2", "--max-examples", "2", "-k",
                     "SEED-R1", "--report-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["run"]["seed"] == 2
    assert "PASSED: the contract held" in result.stderr


def test_the_progress_bar_replaces_per_test_letters(tmp_path: Path) -> None:
    suite = Path(__file__).parents[2] / "harness" / "suite"
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("NCLOUD_", "HYPOTHESIS", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-c", str(suite / "pytest.ini"),
         "--rootdir", str(suite), "-q", "--progress", "on", "--max-examples", "2", "--seed",
         "1", "-k", "SEED-R1 or auth", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False, env=base)
    assert result.returncode == 0, result.stdout[-2000:]
    drawn = [line.strip() for line in re.split(r"[\r\n]", result.stdout) if "tests  " in line]
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed is not None
    total = int(passed.group(1))
    assert drawn[0].startswith("[")
    assert f"1/{total} tests" in drawn[0]
    assert drawn[-1].startswith("[" + "#" * 24 + f"] {total}/{total} tests  ")
    assert "0 violations" in drawn[-1]
    assert "...." not in result.stdout  # no per-test letters under the bar
    assert all(a != b for a, b in itertools.pairwise(drawn))  # no frame drawn twice
    quiet = subprocess.run(
        [sys.executable, "-m", "pytest", str(suite), "-c", str(suite / "pytest.ini"),
         "--rootdir", str(suite), "-q", "--max-examples", "2", "--seed", "1", "-k", "SEED-R1",
         "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False, env=base)
    assert "tests  " not in quiet.stdout  # auto: not a terminal, no bar


def test_a_chart_s_odd_bars_are_explained_under_it() -> None:
    """The order chart's bar for forbidden orders says what it is and who sent it."""
    log = RunLog("simulator", "https://x.invalid", "dev", 1)
    probe = Probe((("serverImageName", "img-1"), ("blockStorageList.1.order", "77")), "GET",
                  "break:SEED-R4", ("SEED-R4",))
    log.record(probe, judge(probe.params, sample_account()),
               Answer(400, {"Content-Type": "application/xml"}, b"<responseError/>"),
               CheckResult())
    summary = log.summary()
    assert summary["exercised"]["order"] == {"not 0-20": 1}
    page = render_html(summary)
    assert "not 0-20" in page
    assert "sent by the SEED-R4 breakers" in page


@pytest.mark.parametrize(("cases", "kind"), [
    (["U1"], "the seed is silent"),
    (["REF-hypervisorType"], "the service differs from the reference"),
    (["SEED-S3"], "not compared: the answer could not be held to this response rule"),
])
def test_a_finding_row_says_what_kind_of_finding_it_is(cases: list[str], kind: str) -> None:
    summary = RunLog("simulator", "https://x.invalid", "dev", 1).summary()
    summary["findings"] = [{"cases": cases, "observed": {"200: the service accepted it": 1},
                            "example": "serverImageName=img-1"}]
    page = render_html(summary)
    assert f"<td>{kind}</td>" in page
    assert not any(f"<td>{other}</td>" in page for other in FINDING_KINDS.values()
                   if other != kind)


def _sections(page: str) -> list[str]:
    return [re.split(r"[:(]", h)[0].strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page,
                                                                 flags=re.S)]


def _outside_details(page: str) -> str:
    """The page as first seen: what no folded <details> hides (innermost first)."""
    folded = re.compile(r"(<details[^>]*>\s*<summary>(?:(?!<details).)*?</summary>)"
                        r"(?:(?!<details).)*?</details>", re.S)
    while (shorter := folded.sub(lambda m: m.group(1).replace("<details", "<DETAILS"),
                                 page)) != page:
        page = shorter
    return page


def test_a_passing_report_leads_with_the_matrix_and_charts_and_folds_the_long_lists(
        clean_run: Path) -> None:
    """A passing run's page: a few screens, not a wall of cards (issue 18)."""
    page = (clean_run / "report.html").read_text()
    summary = load_summary(clean_run / "summary.json")
    ours = [h for h in _sections(page) if h != "Since the last run"]  # another test compared
    assert ours[:4] == ["Rules", "What was exercised", "Violations", "Findings"]
    assert summary["findings"]
    single = [f for f in summary["findings"] if len(f["cases"]) == 1]
    assert page.count("<tr><td><span class=tag>") == len(summary["findings"])  # one row each
    seen = _outside_details(page)
    for f in summary["findings"]:
        most = min(f["observed"].items(), key=lambda kv: (-kv[1], kv[0]))  # ties: by text
        shown = f"{most[1]} &times; {html.escape(most[0], quote=True)}"
        assert (shown in seen) == (f in single), f["cases"]  # combinations: folded
        assert f"<pre>{html.escape(f['example'], quote=True)}</pre>" not in seen
    for rule, counts in summary["rules"].items():
        for line in (line for lines in counts["examples"].values() for line in lines):
            assert html.escape(line, quote=True) not in seen, rule  # one click away
        assert f'<details id="examples-{rule}"><summary>' in page
    # The folded page is a small part of the whole; every card of the old one is a row.
    assert len(seen) < len(page) / 2
    assert "class='card finding'" not in page


def test_two_runs_on_one_day_are_told_apart_in_the_trend() -> None:
    runs = [{"started": "2026-12-01T09:00:00+00:00"}, {"started": "2026-12-02T09:05:00+00:00"},
            {"started": "2026-12-02T21:40:00+00:00"}]
    days = [r["started"][:10] for r in runs]
    assert [_run_label(r, days) for r in runs] == ["2026-12-01", "12-02 09:05", "12-02 21:40"]


def test_tests_the_budget_cut_short_are_counted_and_their_names_folded() -> None:
    summary = RunLog("live", "https://x.invalid", "dev", 1).summary()
    names = [f"test_contract.py::test_open_case_is_a_finding[U{i}]" for i in range(40)]
    summary["budget"] = {"limit": 25, "spent": 25, "source": "live default",
                         "skipped_tests": names}
    page = render_html(summary)
    assert "<b>skipped, budget spent</b>: 40 test(s) ended before their end" in page
    seen = _outside_details(page)
    assert all(html.escape(name, quote=True) in page for name in names)
    assert not any(html.escape(name, quote=True) in seen for name in names)


def test_clause_coverage_is_listed_and_a_clause_not_tested_is_said() -> None:
    """Only SEED-R9.3 is broken here: every other clause is reported NOT COVERED."""
    log = RunLog("simulator", "https://x.invalid", "dev", 1)
    wire = ("serverImageName=img-1&blockStorageList.1.order=0&blockStorageList.1"
            ".snapshotInstanceNo=1000001&blockStorageList.2.order=1&blockStorageList.2"
            ".blockStorageVolumeTypeCode=CB1&blockStorageList.2.blockStorageSize=100"
            "&blockStorageList.2.emptyBlockStorage=false")
    probe = Probe(decode(wire), "GET", "break:SEED-R9.3", ("SEED-R9",), clause="SEED-R9.3")
    log.record(probe, judge(probe.params, sample_account()),
               Answer(400, {"Content-Type": "application/xml"}, b"<responseError/>"),
               CheckResult())
    summary = log.summary()
    assert [e.message for e in Draft202012Validator(summary_schema()).iter_errors(summary)] == []
    rows = summary["clauses"]
    assert rows["SEED-R9.3"] == {"says": CLAUSES["SEED-R9.3"].says, "kind": "refuses",
                                 "sent": 1, "accepted": 0, "rejected": 1, "server_error": 0,
                                 "violations": 0, "covered": True}
    assert rows["SEED-R5.2"]["covered"]  # broken by the same request, which cannot help it
    assert not rows["SEED-R9.4"]["covered"]
    assert not rows["SEED-R9.2"]["covered"]  # accepting: needs an accepted request
    page = render_html(summary)
    matrix = page.split('<h2 id="clauses">Rules</h2>', 1)[1].split("<h2", 1)[0]
    r9 = matrix.split("<tr><td><b>SEED-R9</b></td>", 1)[1].split("<tr><td><b>SEED-R10</b>")[0]
    head = "4 clause(s), <b>not covered: SEED-R9.1, SEED-R9.2, SEED-R9.4</b>"
    assert f"<details open><summary>{head}</summary>" in r9  # under its rule, open: untested
    assert "<tr><td>SEED-R9.3</td>" in r9
    assert "<td class=bad>NOT COVERED</td>" in r9
    assert "<tr><td>SEED-R9.3</td>" not in matrix.replace(r9, "")
    lines: list[str] = []
    write_summary(lambda line, **_: lines.append(line), log, None)
    (said,) = [line for line in lines if line.startswith("clauses covered: ")]
    assert said.startswith("clauses covered: 2 of 35; not covered: SEED-R1.1, ")


def test_owed_unattributed_vanished_and_inherited_images_are_in_every_report() -> None:
    """Nothing on the account is shown as '0 left behind' (custody, SECURITY.md)."""
    log = RunLog("live", "https://x.invalid", "dev", 1)
    log.ledger = "ledgers/ncp.jsonl"
    log.totals["sent"] = 3
    log.created = ["2000001", "2000002", "2000003"]
    log.owed = {"2000001": "'abct4g0001': still being created (status INIT)"}
    log.vanished = {"2000002": "'abct4g0002': no longer listed: deleted by someone else"}
    log.deleted = ["2000003"]
    log.unattributed = {"2000009": "serverImageNo 2000009, named 'c27': most likely another's"}
    log.inherited = {"runs": ["run r1 (started 2026-12-06T01:00:00+00:00)"],
                     "deleted": ["1999"], "owed": 1, "check_by_hand": ["an earlier line"]}
    summary = log.summary()
    Draft202012Validator(summary_schema()).validate(summary)
    resources = summary["resources"]
    assert resources["left_behind"] == {}  # owed and vanished are not leaks
    assert resources["settle_command"] == (
        "ncp-harness cleanup --ledger ledgers/ncp.jsonl --wait 3600")
    assert summary["verdict"] == "passed"
    lines: list[str] = []
    write_summary(lambda line, **_: lines.append(line), log, None)
    text = "\n".join(lines)
    assert "OWED serverImageNo 2000001" in text
    assert "vanished serverImageNo 2000002" in text
    assert "UNATTRIBUTED, not deleted: serverImageNo 2000009" in text
    assert "settled first, from the ledger: 1 earlier run(s), 1 image(s) deleted" in text
    assert "earlier run, check by hand: an earlier line" in text
    assert "PASSED: the contract held" in text
    assert "(1 image(s) owed: still being created; 1 image(s) under" in text
    page = render_html(summary)
    assert "0 image(s) left behind" not in page
    for shown in ("<b>owed</b>", "<b>vanished</b>", "<b>unattributed, not deleted</b>",
                  "<b>settled first, from the ledger</b>", "--wait 3600"):
        assert shown in page
    junit = junit_xml(summary)
    assert "owed: serverImageNo 2000001" in junit
    assert "unattributed: serverImageNo 2000009" in junit
    log.failures = []
    log.leaks = {"2000005": "still listed"}
    failed = log.summary()
    assert verdict_line(failed).startswith("FAILED: 0 violation(s), 1 image(s) left behind,")
    assert "1 image(s) owed (still being created)" in verdict_line(failed)


def test_a_failing_page_leads_with_the_first_violation_and_folds_long_values(
        failing_run: Path) -> None:
    summary = load_summary(failing_run / "summary.json")
    first = summary["violations"][0]
    first["expected"], first["actual"] = "d" * 1000, "d" * 999 + "x"
    page = render_html(summary)
    banner = page[page.index('<div class="banner'):page.index("</div>", page.index("banner"))]
    assert 'href="#violation-1"' in banner
    card = page.index("id=violation-1")
    assert card < page.index('id="clauses"')  # before the rule table
    assert card < page.index("What was exercised")  # and before the charts
    assert page.count("d" * 999 + "x") == 1  # a long value appears whole once, folded
    assert page.count("d" * 1000) == 1
    assert "(1,000 characters)" in page
    clean = render_html(load_summary(failing_run / "summary.json") | {"violations": []})
    assert "violation-1" not in clean
