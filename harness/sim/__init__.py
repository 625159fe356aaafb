"""The embedded simulator of the service: the default target of every run.

`Simulator.handle` is a pure request-to-response function over in-memory state;
`harness.sim.inprocess` puts it behind `responses` for code built on `requests`, and
`harness.sim.server` behind a loopback HTTP server (`ncp-harness serve`).
"""

from harness.sim.core import SimResponse, Simulator

__all__ = ["SimResponse", "Simulator"]
