"""The pytest fixtures that put the simulator in front of a client under test.

`ncp_conformance` serves it on 127.0.0.1 (any client, any language); `ncp_conformance_requests`
answers `requests` calls in-process. Both yield a `ClientConformance`: point the client at
`base_url`, sign with `credentials`, and every request it sends to the action is checked
when the test ends (set `check_at_teardown = False` to inspect violations yourself).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.client.conformance import ClientConformance

__all__ = ["ncp_conformance", "ncp_conformance_requests"]


@pytest.fixture
def ncp_conformance() -> Iterator[ClientConformance]:
    """A loopback simulator for any client; its requests are checked at teardown."""
    conformance = ClientConformance()
    with conformance.serve():
        yield conformance
    _check(conformance)


@pytest.fixture
def ncp_conformance_requests() -> Iterator[ClientConformance]:
    """An in-process simulator for `requests`-based clients; checked at teardown."""
    conformance = ClientConformance()
    with conformance.intercept():
        yield conformance
    _check(conformance)


def _check(conformance: ClientConformance) -> None:
    if conformance.check_at_teardown and conformance.requests:
        conformance.assert_conforms()
