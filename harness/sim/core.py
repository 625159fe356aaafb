"""The simulator's front door: routing, method, size, signature, format; then the action.

`Simulator.handle(method, target, headers, body)` takes the request as it came off the
wire (target is the raw path and query) and never raises or answers 5xx for any input:
the gateway's checks come first (404 unknown action, 405 other methods, 413 oversized
body, 400/100 broken encoding when the scenario says so, 401 bad signature, 401/210 or
403/230 for a key the scenario may not let create), then the action answers 200 or a 400
`responseError`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping

from harness.contract.model import ACTION, Params
from harness.contract.wire import decode, encoding_problem
from harness.core.signing import Credentials, KeyRing, spoiled_as, verify
from harness.sim.actions import ACTIONS, Context
from harness.sim.faults import Fault, fault_named, with_fault
from harness.sim.render import Format, SimResponse, gateway_error, server_error
from harness.sim.scenario import Scenario, default_scenario
from harness.sim.state import ImageStore
from harness.sim.variants import reference_variant

__all__ = ["PREFIX", "SimResponse", "Simulator"]

PREFIX = "/vserver/v2/"
ALLOWED_METHODS = ("GET", "POST")


class Simulator:
    """One simulated account: its scenario, its images, and the request handler."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        clock: Callable[[], float] = time.time,
        environ: Mapping[str, str] | None = None,
        fault: Fault | str | None = None,
    ) -> None:
        self.scenario = scenario or default_scenario()
        self.fault = fault_named(fault) if isinstance(fault, str) else fault
        """The one bug this simulator has on purpose (`harness.sim.faults`), or None."""
        self.images = ImageStore(first_no=self.scenario.first_image_no,
                                 ready_after_looks=self.scenario.image_ready_after_looks,
                                 ready_after_seconds=self.scenario.image_ready_after_seconds,
                                 clock=clock,
                                 gone_after_looks=self.scenario.image_gone_after_looks,
                                 public=(self.scenario.public_hypervisors
                                         if self.scenario.public_images else ()),
                                 existing=tuple(sorted(self.scenario.account.image_names)))
        self._clock = clock
        keys = KeyRing()
        for creds in (self.scenario.credentials,
                      Credentials.from_env(os.environ if environ is None else environ)):
            if creds is not None:
                keys.add(creds)
        self._keys = keys
        self._count = 0
        self._count_lock = threading.Lock()

    @property
    def credentials(self) -> Credentials | None:
        """The scenario's key pair, for clients that sign requests to this simulator."""
        return self.scenario.credentials

    def handle(self, method: str, target: str, headers: Mapping[str, str],  # noqa: PLR0911
               body: bytes = b"") -> SimResponse:
        """Answer one request; `target` is the raw request target (path and query as sent)."""
        path, _, query = target.partition("?")
        action = path[len(PREFIX):] if path.startswith(PREFIX) else None
        handler = ACTIONS.get(action or "")
        if handler is None:
            return gateway_error(404, f"no API at {path[:200]!r}")
        if method.upper() not in ALLOWED_METHODS:
            return gateway_error(405, f"{method[:20]} is not allowed; use GET or POST",
                                 {"Allow": ", ".join(ALLOWED_METHODS)})
        outage = self._outage()
        if outage is not None:
            return outage
        if len(body) > self.scenario.max_body_bytes:
            return gateway_error(413, f"the body is {len(body)} bytes; at most"
                                 f" {self.scenario.max_body_bytes} are accepted")
        if self.scenario.gateway_checks_encoding:
            broken = encoding_problem(query) or (encoding_problem(body) if method.upper()
                                                 == "POST" and _is_form(headers) else None)
            if broken is not None:
                return gateway_error(400, f"the request's encoding: {broken}")
        fault = self.fault if action == ACTION else None
        if self.scenario.verify_signatures:
            result = verify(headers, method.upper(), target, self._keys,
                            now_ms=int(self._clock() * 1000))
            if not result.ok and not (fault and fault.auth == spoiled_as(result.problem)):
                return gateway_error(403 if fault and fault.auth == "forbidden" else 401,
                                     result.reason)
        if self.scenario.deny_create and action == ACTION:  # a key that may read, not create
            denied = self.scenario.deny_create
            return gateway_error(401 if denied == "210" else 403,
                                 "the key's sub account has no policy to create images",
                                 code=denied)
        params = decode(query)
        if method.upper() == "POST" and _is_form(headers) and (fault is None or fault.reads_form):
            params += decode(body)
        fmt = _format(params, fault)
        if fault and fault.crashes and fault.crashes(params):
            return server_error("50000", "internal error", fmt, status=500)
        answer = handler(Context(self.scenario, self.images, params, fmt, fault))
        if self.scenario.reference_variants:
            answer = reference_variant(answer)
        return with_fault(fault, answer, fmt) if fault else answer

    def _outage(self) -> SimResponse | None:
        """The scenario's throttling, outages and delays (off unless a scenario sets them)."""
        scenario = self.scenario
        with self._count_lock:
            self._count += 1
            count = self._count
        if scenario.delay_seconds:
            time.sleep(scenario.delay_seconds)
        headers = ({"Retry-After": str(scenario.retry_after_seconds)}
                   if scenario.retry_after_seconds is not None else {})
        if scenario.throttle_every and count % scenario.throttle_every == 0:
            return gateway_error(429, "throttled by the scenario", headers,
                                 code=scenario.throttle_code)
        if scenario.unavailable_every and count % scenario.unavailable_every == 0:
            return gateway_error(503, "unavailable by the scenario", headers)
        if scenario.hiccup_every and count % scenario.hiccup_every == 0:
            return server_error("1000", "Please try your call again later.\nTemporary Error",
                                "json", status=500)
        if scenario.unexpected_every and count % scenario.unexpected_every == 0:
            return gateway_error(500, "the gateway's own hiccup, by the scenario", code="900")
        return None


def _is_form(headers: Mapping[str, str]) -> bool:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return not content_type or content_type.lower().startswith(
        "application/x-www-form-urlencoded")


def _format(params: Params, fault: Fault | None = None) -> Format:
    """SEED-R10/S6: json when asked for, XML otherwise (also for unknown values, U9)."""
    value = next((v for k, v in params if k == "responseFormatType"), None)
    if fault is not None and (not fault.honours_format or value is None):
        return "xml" if not fault.honours_format else fault.default_format
    return "json" if value == "json" else "xml"
