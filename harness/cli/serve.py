"""The `serve` command: the simulator on an HTTP port until Ctrl-C; and its fault list."""

from __future__ import annotations

import signal
import sys

from harness.cli.common import EXIT_OK, say
from harness.core.errors import ConfigError
from harness.core.loopback import is_loopback
from harness.sim.core import Simulator
from harness.sim.faults import FAULTS, KINDS
from harness.sim.scenario import Scenario
from harness.sim.server import SimulatorServer

__all__ = ["exposure_warning", "list_faults", "serve"]


def exposure_warning(address: str) -> str | None:
    """A warning when the simulator listens beyond loopback, else None."""
    if is_loopback(address):
        return None
    return (f"{address} is not a loopback address; the simulator and its demo key pair are"
            " reachable from the network")


def list_faults() -> int:
    """Print every named fault, by kind, with the rule a correct diagnosis blames."""
    width = max(len(f.name) for f in FAULTS)
    for kind in KINDS:
        say(f"{kind}:")
        for fault in (f for f in FAULTS if f.kind == kind):
            say(f"  {fault.name:{width}}  {fault.blames:9} {fault.does}")
    return EXIT_OK


def serve(host: str, port: int, scenario: Scenario, *, verbose: bool,
          fault: str | None = None) -> int:
    """Serve the simulator until Ctrl-C or SIGTERM (either, even when SIGINT was ignored)."""
    try:
        server = SimulatorServer(Simulator(scenario, fault=fault), host, port, verbose=verbose)
    except OSError as exc:
        raise ConfigError(f"--host {host} --port {port}: cannot listen ({exc.strerror})") from None
    warning = exposure_warning(str(server.server_address[0]))
    if warning:
        say(f"ncp-harness: warning: {warning}", file=sys.stderr)

    def stop(signum: int, frame: object) -> None:
        del signum, frame
        raise KeyboardInterrupt

    # Both signals explicitly: a process started with SIGINT ignored (an xdist worker's child,
    # a CI runner's) would otherwise never stop on Ctrl-C.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    say(server.url, flush=True)
    bug = f" with the fault {fault}" if fault else ""
    say(f"ncp-harness: simulating {scenario.source}{bug}; Ctrl-C or SIGTERM stops",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    say("ncp-harness: simulator stopped", file=sys.stderr, flush=True)
    return EXIT_OK
