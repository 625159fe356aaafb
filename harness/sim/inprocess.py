"""The simulator in-process: `responses` answers every `requests` call to a base URL.

The harness code path is the same as against a live account: requests are built,
signed and sent with `requests`; `responses` hands them to `Simulator.handle` at the
adapter, so nothing leaves the process. Calls to any other URL fail loudly. The embedded
target's own session also mounts `SimulatorAdapter`, requests' own hook for a transport,
which answers the same way without `responses`' bookkeeping of every call.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.utils import formatdate
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import requests
import responses
from requests.adapters import HTTPAdapter
from urllib3.response import HTTPResponse

from harness.sim.core import Simulator

__all__ = ["DEFAULT_BASE_URL", "METHODS", "SimulatorAdapter", "simulated"]

DEFAULT_BASE_URL = "https://ncp-simulator.invalid"
"""A host that cannot resolve: if interception were ever off, nothing would be sent."""

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
           "QUERY")


def _answer(sim: Simulator,
            request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(request.url or "")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = request.body or b""
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    result = sim.handle(request.method or "GET", target, dict(request.headers), raw)
    # As an HTTP server would: the Date header (preflight compares clocks with it).
    return result.status, {"Date": formatdate(usegmt=True), **result.headers}, result.body


class SimulatorAdapter(HTTPAdapter):
    """A transport adapter for one session: each request answered by the simulator.

    The answer is built as `responses` builds it (a urllib3 response over the bytes, not
    yet read, with its reason phrase), so what the session reads is the same either way.
    """

    def __init__(self, simulator: Simulator) -> None:
        super().__init__()
        self.simulator = simulator

    def send(self, request: requests.PreparedRequest, stream: bool = False,  # noqa: ARG002, FBT001, FBT002
             timeout: Any = None, verify: Any = True, cert: Any = None,  # noqa: ARG002, FBT002
             proxies: Mapping[str, str] | None = None) -> requests.Response:  # noqa: ARG002
        """Answer `request` from the simulator; nothing leaves the process."""
        status, headers, body = _answer(self.simulator, request)
        raw = HTTPResponse(body=BytesIO(body), headers=headers, status=status,
                           reason=http.client.responses.get(status), preload_content=False,
                           request_method=request.method)
        return self.build_response(request, raw)


@contextmanager
def simulated(
    base_url: str = DEFAULT_BASE_URL,
    simulator: Simulator | None = None,
) -> Iterator[Simulator]:
    """Route every `requests` call under `base_url` to a simulator for the `with` block."""
    sim = simulator or Simulator()
    base = base_url.rstrip("/")
    pattern = re.compile(re.escape(base) + r"(/[^#]*)?")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def answer_and_forget(request: requests.PreparedRequest,
                              ) -> tuple[int, dict[str, str], bytes]:
            # responses keeps every call, twice (the mock's list and the matched response's):
            # memory a long run must not grow by.
            mock.calls.reset()
            for registered in mock.registered():
                registered.calls.reset()
            return _answer(sim, request)

        for method in METHODS:
            mock.add_callback(method, pattern, callback=answer_and_forget)
        yield sim
