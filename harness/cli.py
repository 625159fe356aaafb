"""The `ncp-harness` command line: argument parsing and exit codes, nothing else.

Exit codes: 0 success, 1 the service (or the judged request) broke the contract,
2 usage or configuration error (our side).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import sys
import textwrap
from collections.abc import Sequence

from harness._version import __version__
from harness.account import GIB
from harness.errors import ConfigError, HarnessError
from harness.oracle import Outcome, judge
from harness.scenario import Scenario, default_scenario, load_scenario
from harness.sim.core import Simulator
from harness.sim.server import SimulatorServer
from harness.wire import decode

__all__ = ["exposure_warning", "main"]

EXIT_OK = 0
EXIT_CONTRACT = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ncp-harness",
        description="Contract-test and fuzz harness for NAVER Cloud Platform's"
        " createServerImageFromSnapshot (VPC Server API v2).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    judge_cmd = commands.add_parser(
        "judge",
        help="ask the rules oracle about one request (query string or form body)",
        description=textwrap.fill(
            "Print the oracle's verdict (accept, reject or unspecified) on one request,"
            " judged against the default scenario's account (or --scenario). Exit 0 for"
            " accept or unspecified, 1 for reject."),
        epilog=_sample_account_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    judge_cmd.add_argument("query", help="e.g. 'serverImageName=img-1&blockStorageList.1.order=0"
                           "&blockStorageList.1.snapshotInstanceNo=1000001'")
    judge_cmd.add_argument("--json", action="store_true", help="print the verdict as JSON")
    judge_cmd.add_argument("--scenario", metavar="FILE",
                           help="judge against this scenario's account (TOML or JSON)")
    serve = commands.add_parser(
        "serve",
        help="run the embedded simulator as an HTTP server",
        description="Serve the simulated createServerImageFromSnapshot and its neighbour"
        " actions under /vserver/v2/ until Ctrl-C or SIGTERM. Prints the URL it listens on."
        " Requests must be signed with the scenario's key pair (or NCLOUD_ACCESS_KEY/"
        "NCLOUD_SECRET_KEY when set).",
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: %(default)s, loopback only)")
    serve.add_argument("--port", type=int, default=0,
                       help="port to listen on (default: 0, any free port)")
    serve.add_argument("--scenario", metavar="FILE",
                       help="account state and behaviour (TOML or JSON; default: the built-in"
                       " scenario, harness/scenarios/default.toml)")
    serve.add_argument("--verbose", action="store_true",
                       help="log each request's method, path and status (never headers)")
    return parser


def _sample_account_text() -> str:
    account = default_scenario().account
    rows = [f"  {s.instance_no}  {s.size_bytes / GIB:6.2f} GB  {s.volume_type}  {s.hypervisor:3}"
            f"  {s.status:5}  {'bootable' if s.bootable else 'not bootable'}"
            for s in account.snapshots]
    return ("the default scenario's account:\n" + "\n".join(rows)
            + f"\n  regions: {', '.join(account.regions)};"
            f" images already named: {', '.join(sorted(account.image_names))}")


def _scenario(path: str | None) -> Scenario:
    return load_scenario(path) if path else default_scenario()


def _judge(query: str, *, as_json: bool, scenario: str | None) -> int:
    verdict = judge(decode(query), _scenario(scenario).account)
    if as_json:
        print(json.dumps({
            "outcome": verdict.outcome.value,
            "breaches": [{"rule": b.rule, "path": b.path, "message": b.message}
                         for b in verdict.breaches],
            "open_cases": [{"case": c.case, "path": c.path, "message": c.message}
                           for c in verdict.open_cases],
        }, indent=2, ensure_ascii=False))
    else:
        print(verdict.outcome.value)
        for b in verdict.breaches:
            print(f"  {b.rule:9} {b.path}: {b.message}")
        for c in verdict.open_cases:
            print(f"  {c.case:9} {c.path}: {c.message}")
    return EXIT_CONTRACT if verdict.outcome is Outcome.REJECT else EXIT_OK


def exposure_warning(address: str) -> str | None:
    """A warning when the simulator listens beyond loopback, else None."""
    if ipaddress.ip_address(address).is_loopback:
        return None
    return (f"{address} is not a loopback address; the simulator and its demo key pair are"
            " reachable from the network")


def _serve(host: str, port: int, scenario: Scenario, *, verbose: bool) -> int:
    try:
        server = SimulatorServer(Simulator(scenario), host, port, verbose=verbose)
    except OSError as exc:
        raise ConfigError(f"--host {host} --port {port}: cannot listen ({exc.strerror})") from None
    warning = exposure_warning(str(server.server_address[0]))
    if warning:
        print(f"ncp-harness: warning: {warning}", file=sys.stderr)

    def stop(signum: int, frame: object) -> None:
        del signum, frame
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    print(server.url, flush=True)
    print(f"ncp-harness: simulating {scenario.source}; Ctrl-C or SIGTERM stops",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        signal.signal(signal.SIGTERM, previous)
    print("ncp-harness: simulator stopped", file=sys.stderr, flush=True)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "judge":
            return _judge(args.query, as_json=args.json, scenario=args.scenario)
        if args.command == "serve":
            return _serve(args.host, args.port, _scenario(args.scenario), verbose=args.verbose)
    except HarnessError as exc:
        print(f"ncp-harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    parser.print_help()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
