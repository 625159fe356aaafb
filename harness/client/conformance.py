"""Put the simulator in front of a client and check every request it makes (REQ-1..5, SEED-R).

Two ways in, one record:

* `serve()`     a loopback HTTP server on 127.0.0.1, for any client (urllib3, httpx, Go,
                Java, curl): point its endpoint at `base_url`;
* `intercept()` in-process, for clients built on `requests`: `responses` hands every call
                under `base_url` to the simulator, nothing leaves the process.

Either way the simulator answers as the service would (signed with `credentials`), and
`reports()` checks each request with `harness.checks.request` against the scenario's account.
`assert_conforms()` raises `ContractViolation` naming the request, the key and the rule;
`save_har()` writes what was sent, with keys and signatures redacted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from harness.checks.request import ClientRequest, RequestReport, check_request
from harness.contract.wire import ACTION_PATH
from harness.core.errors import ConfigError, ContractViolation, Violation
from harness.core.signing import Credentials, KeyRing
from harness.recording.har import Exchange, dump_entry, dump_har
from harness.recording.redaction import Redactor
from harness.sim.core import Simulator
from harness.sim.inprocess import DEFAULT_BASE_URL, simulated
from harness.sim.render import SimResponse
from harness.sim.scenario import Scenario, default_scenario
from harness.sim.server import running

__all__ = ["ClientConformance"]


class _Recording(Simulator):
    """A simulator that hands every request and its answer to a callback first."""

    def __init__(self, scenario: Scenario, conformance: ClientConformance) -> None:
        super().__init__(scenario)
        self._conformance = conformance

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        answer = super().handle(method, target, headers, body)
        self._conformance._record(method, target, headers, body, answer)  # noqa: SLF001
        return answer


class ClientConformance:
    """A simulated service for a client under test, and the verdict on what the client sent."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self.scenario = scenario or default_scenario()
        self.simulator = _Recording(self.scenario, self)
        self.base_url = ""
        """Scheme and host the client must call (its `NCLOUD_API_GW`); set while serving."""
        self.exchanges: list[Exchange] = []
        """Everything the client sent to the simulator, any path, with the answers."""
        self._requests: list[ClientRequest] = []
        self.check_at_teardown = True
        """Whether the pytest fixtures call `assert_conforms()` when the test ends."""
        self._lock = threading.Lock()

    @property
    def credentials(self) -> Credentials:
        """The key pair the client must sign with: the scenario's."""
        creds = self.scenario.credentials
        if creds is None:
            raise ConfigError("the scenario has no [credentials]; a client cannot sign requests"
                              " the simulator can verify. Add access_key and secret_key to it")
        return creds

    @property
    def endpoint(self) -> str:
        """The action's URL: `base_url` plus /vserver/v2/createServerImageFromSnapshot."""
        return self.base_url + ACTION_PATH

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve the simulator on 127.0.0.1 for the `with` block; yields the base URL."""
        with running(self.simulator) as server:
            self.base_url = server.url
            try:
                yield self.base_url
            finally:
                self.base_url = ""

    @contextmanager
    def intercept(self, base_url: str = DEFAULT_BASE_URL) -> Iterator[str]:
        """Answer every `requests` call under `base_url` in-process; yields the base URL."""
        with simulated(base_url, self.simulator):
            self.base_url = base_url.rstrip("/")
            try:
                yield self.base_url
            finally:
                self.base_url = ""

    def _record(self, method: str, target: str, headers: Mapping[str, str], body: bytes,
                answer: SimResponse) -> None:
        now = time.time()
        with self._lock:
            seq = len(self.exchanges) + 1
            self.exchanges.append(Exchange(
                method=method, url=self.base_url + target,
                request_headers=tuple(headers.items()), request_body=body,
                status=answer.status, reason="", response_headers=tuple(answer.headers.items()),
                response_body=answer.body, label="client", seq=seq,
                started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))))
            if target.partition("?")[0] == ACTION_PATH:
                self._requests.append(ClientRequest(
                    method=method, url=self.base_url + target, headers=tuple(headers.items()),
                    body=body, sent_ms=int(now * 1000), label=f"request {seq}"))

    @property
    def requests(self) -> list[ClientRequest]:
        """Every request the client sent to the action, in order."""
        with self._lock:
            return list(self._requests)

    def reports(self) -> list[RequestReport]:
        """The check of every request to the action, against the scenario's account."""
        creds = self.scenario.credentials
        keys = KeyRing()
        if creds is not None:
            keys.add(creds)
        return [check_request(r, self.scenario.account, secret_for=keys)
                for r in self.requests]

    @property
    def violations(self) -> list[Violation]:
        """Every violation of every request, in order."""
        return [v for report in self.reports() for v in report.violations]

    def assert_conforms(self) -> None:
        """Raise `ContractViolation` listing every violation, or `AssertionError` if none sent."""
        reports = self.reports()
        if not reports:
            raise AssertionError(f"the client sent no request to {ACTION_PATH}"
                                 f" ({len(self.exchanges)} to other paths)")
        violations = [v for report in reports for v in report.violations]
        if violations:
            raise ContractViolation(violations)

    def text(self) -> str:
        """Every request's report, one block each."""
        return "\n".join(line for report in self.reports() for line in report.lines())

    def save_har(self, path: str | Path) -> Path:
        """Write what the client sent and got as HAR, keys and signatures redacted."""
        redactor = Redactor.of(self.scenario.credentials)
        entries = [dump_entry(redactor.exchange(ex)) for ex in list(self.exchanges)]
        target = Path(path)
        target.write_text(dump_har(entries, {}, "what a client sent to the ncp-harness"
                                   " simulator"), encoding="utf-8")
        return target
