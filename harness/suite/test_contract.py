"""The conformance tests: one per valid class, broken rule, open case, wire kind, auth fault.

Each test is a Hypothesis property over probes (`harness.strategies`) run by the session
fixture of `harness.pytest_plugin` against the chosen target. A failure shows the rule,
the check, expected and actual, the minimal request, the seed and how to reproduce it.
Markers: `seed_r1` .. `seed_r11`, `seed_s1` .. `seed_s6` select one rule's tests. With a
cassette (`--cassette DIR`), the recorded tests re-check it offline (`--target fixtures`)
or send its recorded failures again (any other target).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import strategies as st

from harness.contract.model import READ_ACTIONS
from harness.contract.probe import Probe
from harness.contract.rules import OPEN_CASES
from harness.core.errors import ConfigError
from harness.core.signing import SPOILED
from harness.pytest_plugin import cassette_files
from harness.run.failures import Failure, HarnessFault
from harness.run.plan import AGREE_EXAMPLES, NEGATIVE_EXAMPLES
from harness.run.recorded import RecordedRun
from harness.run.session import ConformanceSession
from harness.strategies.breaking import BREAKABLE, breaking_probes
from harness.strategies.from_schemathesis import schemathesis_probes
from harness.strategies.open_cases import open_case_probes
from harness.strategies.valid import VALID_CLASSES, valid_probes
from harness.strategies.wirefuzz import WIRE_KINDS, wire_probes


def _marks(*rules: str) -> list[pytest.MarkDecorator]:
    return [getattr(pytest.mark, r.lower().replace("-", "_")) for r in rules
            if r.startswith("SEED-")]


def _verdict(session: ConformanceSession, test: str, mark: int,
             failure: Failure | HarnessFault | None) -> None:
    """Fail on a violation or a harness fault; skip a test the create budget cut short."""
    if failure is not None:
        pytest.fail(failure.render(), pytrace=False)
    if session.dry_run:
        pytest.skip("dry run: its requests were listed, not sent")
    if session.starved_since(mark):
        session.log.skip_for_budget(test)
        pytest.skip("budget spent: --max-creates held back this test's create requests"
                    " (nothing it sent broke the contract)")


_NOT_PLANNED = ("not in the budget plan: --max-creates bought no generated example of this"
                " test (the covering set shows every class; a larger budget buys examples)")


def _planned(session: ConformanceSession, test: str, most: int | None = None) -> int | None:
    """The examples the budget plan bought a test that only creates; skip it when none."""
    planned = session.planned_examples(test)
    if planned == 0:
        pytest.skip(_NOT_PLANNED)
    return planned if most is None or planned is None else min(planned, most)


def _run(session: ConformanceSession, make: Callable[[], st.SearchStrategy[Probe]],
         test: str, max_examples: int | None = None) -> None:
    if session.out_of_time():
        pytest.skip("--max-time ran out")
    try:
        strategy = make()
    except ConfigError as exc:
        pytest.skip(str(exc))
    mark = session.budget_mark()
    sent, unplanned = session.log.totals["sent"], session.log.totals["not_planned"]
    _verdict(session, test, mark, session.exercise(strategy, test, max_examples=max_examples))
    if session.log.totals["sent"] == sent and session.log.totals["not_planned"] > unplanned:
        pytest.skip(_NOT_PLANNED)  # every request it drew would have created


@pytest.mark.seed_r4
@pytest.mark.seed_r7
def test_covering_set_is_accepted(ncp_session: ConformanceSession,
                                  request: pytest.FixtureRequest) -> None:
    """Three valid requests that show every class and boundary; sent before anything else."""
    mark = ncp_session.budget_mark()
    try:
        failure = ncp_session.cover(request.node.nodeid)
    except ConfigError as exc:
        pytest.skip(str(exc))
    _verdict(ncp_session, request.node.nodeid, mark, failure)


@pytest.mark.parametrize("cls", [pytest.param(c, marks=_marks(*rules))
                                 for c, (rules, _) in VALID_CLASSES.items()])
def test_valid_request_is_accepted(ncp_session: ConformanceSession, cls: str,
                                   request: pytest.FixtureRequest) -> None:
    """A valid request of each combination class gets 200 and a body that echoes it."""
    test = request.node.nodeid
    _run(ncp_session, lambda: valid_probes(ncp_session.account, cls), test,
         max_examples=_planned(ncp_session, test))


def test_get_and_post_agree(ncp_session: ConformanceSession,
                            request: pytest.FixtureRequest) -> None:
    """The same valid request, sent by GET and by POST, is accepted both ways (REQ-2)."""
    if ncp_session.out_of_time():
        pytest.skip("--max-time ran out")
    test = request.node.nodeid
    most = _planned(ncp_session, test, AGREE_EXAMPLES)
    mark = ncp_session.budget_mark()
    _verdict(ncp_session, test, mark, ncp_session.agree(
        valid_probes(ncp_session.account, "mixed"), test,
        max_examples=AGREE_EXAMPLES if most is None else most))


@pytest.mark.parametrize("rule", [pytest.param(r, marks=_marks(r)) for r in BREAKABLE])
def test_broken_rule_is_rejected(ncp_session: ConformanceSession, rule: str,
                                 request: pytest.FixtureRequest) -> None:
    """A request that breaks one rule gets a 4xx with a responseError body."""
    _run(ncp_session, lambda: breaking_probes(ncp_session.current_account, rule),
         request.node.nodeid)


@pytest.mark.parametrize("case", list(OPEN_CASES))
def test_open_case_is_a_finding(ncp_session: ConformanceSession, case: str,
                                request: pytest.FixtureRequest) -> None:
    """Whatever the service does where the seed is silent is recorded, never failed (but 5xx)."""
    _run(ncp_session, lambda: open_case_probes(ncp_session.current_account, case),
         request.node.nodeid)


@pytest.mark.seed_s5
@pytest.mark.parametrize("kind", WIRE_KINDS)
def test_wire_fuzz_never_gets_5xx(ncp_session: ConformanceSession, kind: str,
                                  request: pytest.FixtureRequest) -> None:
    """Raw wire no SDK sends (duplicates, junk N, odd escapes, traps, huge values): no 5xx."""
    _run(ncp_session, lambda: wire_probes(ncp_session.account, kind), request.node.nodeid)


@pytest.mark.seed_s5
@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_schemathesis_cases_keep_the_contract(ncp_session: ConformanceSession, method: str,
                                              mode: str, request: pytest.FixtureRequest) -> None:
    """Cases schemathesis draws from the OpenAPI description, judged by the oracle.

    Its negative mode is slow on 105 keys (about 5 cases a second), so it draws at most 10.
    """
    _run(ncp_session, lambda: schemathesis_probes(method, mode),  # type: ignore[arg-type]
         request.node.nodeid, max_examples=NEGATIVE_EXAMPLES if mode == "negative" else None)


@pytest.mark.seed_s5
@pytest.mark.parametrize("signing", list(SPOILED))
def test_auth_failure_gets_401(ncp_session: ConformanceSession, signing: str,
                               request: pytest.FixtureRequest) -> None:
    """No signature, a wrong one, or one older than 5 minutes: 401 with the gateway body."""
    mark = ncp_session.budget_mark()
    _verdict(ncp_session, request.node.nodeid, mark,
             ncp_session.auth(signing, request.node.nodeid))  # type: ignore[arg-type]


@pytest.mark.seed_s2
@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("action", READ_ACTIONS)
def test_neighbour_answers_match_the_schema(ncp_session: ConformanceSession, action: str,
                                            fmt: str, request: pytest.FixtureRequest) -> None:
    """The neighbour actions a run relies on answer in the asked format and schema."""
    failure = ncp_session.neighbour(action, fmt, request.node.nodeid)
    if failure is not None:
        pytest.fail(failure.render(), pytrace=False)
    if ncp_session.dry_run:
        pytest.skip("dry run: its request was listed, not sent")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One recorded-exchange test per file of the cassette (--cassette, --target fixtures)."""
    if "recorded" in metafunc.fixturenames:
        metafunc.parametrize("recorded", cassette_files(metafunc.config))


def test_recorded_exchange_keeps_the_contract(ncp_recorded: RecordedRun, recorded: str,
                                              request: pytest.FixtureRequest) -> None:
    """Every exchange of one cassette file, re-checked offline against today's contract."""
    failure = ncp_recorded.recheck(recorded, request.node.nodeid)
    if failure is not None:
        pytest.fail(failure.render(), pytrace=False)


def test_recorded_failure_is_fixed(ncp_session: ConformanceSession, ncp_recorded: RecordedRun,
                                   recorded: str, request: pytest.FixtureRequest) -> None:
    """Each recorded create that breaks the contract, sent again: it fails while still broken."""
    mark = ncp_session.budget_mark()
    _verdict(ncp_session, request.node.nodeid, mark,
             ncp_recorded.resend_failures(recorded, request.node.nodeid))
