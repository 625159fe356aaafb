"""The simulator in-process: `responses` answers every `requests` call to a base URL.

The harness code path is the same as against a live account: requests are built,
signed and sent with `requests`; `responses` hands them to `Simulator.handle` at the
adapter, so nothing leaves the process. Calls to any other URL fail loudly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from urllib.parse import urlsplit

import requests
import responses

from harness.sim.core import Simulator

__all__ = ["DEFAULT_BASE_URL", "METHODS", "simulated"]

DEFAULT_BASE_URL = "https://ncp-simulator.invalid"
"""A host that cannot resolve: if interception were ever off, nothing would be sent."""

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
           "QUERY")


@contextmanager
def simulated(
    base_url: str = DEFAULT_BASE_URL,
    simulator: Simulator | None = None,
) -> Iterator[Simulator]:
    """Route every `requests` call under `base_url` to a simulator for the `with` block."""
    sim = simulator or Simulator()
    base = base_url.rstrip("/")
    pattern = re.compile(re.escape(base) + r"(/[^#]*)?")

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(request.url or "")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        result = sim.handle(request.method or "GET", target, dict(request.headers), raw)
        # As an HTTP server would: the Date header (preflight compares clocks with it).
        return result.status, {"Date": formatdate(usegmt=True), **result.headers}, result.body

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def answer_and_forget(request: requests.PreparedRequest,
                              ) -> tuple[int, dict[str, str], bytes]:
            # responses keeps every call, twice (the mock's list and the matched response's):
            # memory a long run must not grow by.
            mock.calls.reset()
            for registered in mock.registered():
                registered.calls.reset()
            return answer(request)

        for method in METHODS:
            mock.add_callback(method, pattern, callback=answer_and_forget)
        yield sim
