"""The `ncp-harness` command line's options, and how `run`/`record` hand them to pytest.

Only declarations and translation: no command is carried out here (see `harness.cli.commands`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from harness._version import __version__
from harness.contract.account import GIB
from harness.core.numbers import integer, seconds
from harness.run.options import LIVE_MAX_CREATES, add_to_argparse, fault_name, pytest_flags
from harness.sim.scenario import default_scenario
from harness.suite import SUITE_DIR

__all__ = ["build_parser", "pytest_args"]


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors are a JSON object on stdout when JSON was asked for.

    A caller that reads `--format json` (or `judge --json`) reads standard output as JSON,
    whatever went wrong: a mistyped option's error is an object there too (and the usage on
    standard error), with exit 2.
    """

    json_errors = False

    def error(self, message: str) -> NoReturn:
        if type(self).json_errors:
            self.print_usage(sys.stderr)
            print(json.dumps({"error": f"{self.prog}: {message}", "exit": 2},
                             ensure_ascii=False))
            sys.stderr.write(f"{self.prog}: error: {message}\n")
            raise SystemExit(2)
        super().error(message)


def wants_json(argv: Sequence[str]) -> bool:
    """Whether a command line asks for JSON on standard output."""
    args = list(argv)
    return ("--json" in args or "--format=json" in args
            or any(a == "--format" and b == "json" for a, b in itertools.pairwise(args)))


def build_parser(*, json_errors: bool = False) -> argparse.ArgumentParser:
    """The `ncp-harness` argument parser: every command and option, with its help."""
    _Parser.json_errors = json_errors
    parser = _Parser(
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
    run = commands.add_parser(
        "run",
        help="run the conformance suite against a target (default: the simulator)",
        description=textwrap.fill(
            "Generate valid and invalid createServerImageFromSnapshot requests, send them to"
            " the target, and check every answer against the contract. Writes junit.xml and"
            " summary.json into the report directory. Exit 0: the contract held; 1: a"
            " violation was found; 2: a usage, configuration or target error."),
    )
    run.add_argument("--target", choices=("simulator", "live", "fixtures"), default="simulator",
                     help="simulator (default, in-process), live (signed with"
                     " NCLOUD_ACCESS_KEY/NCLOUD_SECRET_KEY, sent to NCLOUD_API_GW), or"
                     " fixtures (offline: answers come from --cassette)")
    run.add_argument("--cassette", metavar="DIR",
                     help="a recorded run: with --target fixtures every recorded exchange is"
                     " re-checked and generated requests are answered from it (default: the"
                     " shipped simulator recording); with another target, the recorded"
                     " failures are sent again to see whether they are fixed")
    _run_options(run)
    report = commands.add_parser(
        "report",
        help="rebuild report.html from a run's summary.json, compared with earlier runs",
        description=textwrap.fill(
            "Read REPORT_DIR/summary.json, write REPORT_DIR/report.html and print what the"
            " run found. With --compare, say which violations are new, fixed and"
            " persisting since the latest earlier run, which clauses and classes it"
            " covered that this run did not, and chart the trend over all of them. Exit 1"
            " when a violation is new or coverage dropped (--allow-coverage-drop: only a"
            " new violation), else 0 (also when there is no earlier run yet: the first"
            " night); 2 when a summary cannot be read."),
    )
    report.add_argument("--report-dir", default="reports", metavar="DIR",
                        help="the run's report directory (default: %(default)s)")
    report.add_argument("--compare", metavar="PATH",
                        help="an earlier summary.json, or a directory of them (searched"
                        " recursively, e.g. one directory per night)")
    report.add_argument("--allow-coverage-drop", action="store_true",
                        help="exit 0 when this run judged fewer clauses or classes than the"
                        " last (still shown): only a new violation fails the comparison")
    _format_option(report)
    record = commands.add_parser(
        "record",
        help="run the conformance suite and record every exchange as HAR files",
        description=textwrap.fill(
            "A run (as `ncp-harness run`) that also writes every exchange to --out DIR: one"
            " HAR 1.2 file per test, plus session.har for learning the account and"
            " cleaning up. Keys, signatures, timestamps and secret-looking parameters are"
            " redacted before anything is written. Replay with `ncp-harness run --target"
            " fixtures --cassette DIR`. Exit codes as for run."),
    )
    record.add_argument("--target", choices=("simulator", "live"), default="simulator",
                        help="simulator (default) or live (NCLOUD_* variables, --yes)")
    record.add_argument("--out", required=True, metavar="DIR",
                        help="the cassette directory to create (must not hold one already)")
    record.add_argument("--redact-param", action="append", default=[], metavar="NAME",
                        help="also mask this query or form parameter (repeatable)")
    record.add_argument("--redact-header", action="append", default=[], metavar="NAME",
                        help="also mask this request or response header (repeatable), e.g."
                        " an account-identifying response header")
    _run_options(record)
    clean = commands.add_parser(
        "cleanup",
        help="delete the images a run left behind, from its ledger",
        description=textwrap.fill(
            "Finish a run's cleanup from its ledger (after a crash or a killed run), on the"
            " endpoint and in the region its images were created in. Every image is proved"
            " the run's again before it is deleted: listed by number with the name, create"
            " time and region the ledger recorded, and not in the account before the run."
            " Every create the run did not see through (refused, unreadable, lost) is looked"
            " for in one listing of the region: its image is the run's only when its name is"
            " unique to the run and it was made inside the request's window. Anything not"
            " proven is listed with the reason and never deleted; a run still running is"
            " left alone. Exit 0 when nothing is left, 3 when images are still being"
            " created after the wait (owed: run it again later; nothing is lost), 1 when"
            " something is left behind, unknown or refused, 2 when the ledger or the target"
            " is wrong."),
    )
    clean.add_argument("--ledger", required=True, metavar="FILE",
                       help="the run's ledger (default location: reports/ledger.jsonl)")
    clean.add_argument("--target", choices=("live",), default="live",
                       help="the target the images live on (live: NCLOUD_* variables)")
    _site_option(clean)
    clean.add_argument("--wait", type=seconds(zero=True), default=120.0, metavar="SECONDS",
                       help="how long to wait for images still INIT, and for deletions to"
                       " show (default: %(default)s)")
    clean.add_argument("--dry-run", action="store_true", default=False,
                       help="prove and list what would be deleted, and what would be refused;"
                       " delete nothing")
    _send_parser(commands)
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
    serve.add_argument("--port", type=integer(0, 65535), default=0,
                       help="port to listen on (default: 0, any free port)")
    serve.add_argument("--scenario", metavar="FILE",
                       help="account state and behaviour (TOML or JSON; default: the built-in"
                       " scenario, harness/scenarios/default.toml)")
    _site_option(serve)
    serve.add_argument("--verbose", action="store_true",
                       help="log each request's method, path and status (never headers)")
    serve.add_argument("--fault", metavar="NAME", type=fault_name,
                       help="serve a service with this one bug (see --list-faults)")
    serve.add_argument("--list-faults", action="store_true",
                       help="print every named fault, the rule it breaks and what it does")
    _preflight_parser(commands)
    traffic = commands.add_parser(
        "check-traffic",
        help="check the requests a client sent, from a HAR file, against the contract",
        description=textwrap.fill(
            "Read a HAR file (exported by a browser, mitmproxy, Charles or any proxy) and"
            " check every request to createServerImageFromSnapshot in it: method and path"
            " (REQ-1), where the parameters travel (REQ-2), their percent-encoding (REQ-3),"
            " the blockStorageList.N.* keys (REQ-4), the signature (REQ-5) and the"
            " parameters' validity by the oracle (SEED-R1..R11). Signatures are verified"
            " when the secret key is known (--scenario's key pair, or NCLOUD_ACCESS_KEY/"
            "NCLOUD_SECRET_KEY). Exit 0: every request keeps the contract; 1: a violation;"
            " 2: the file cannot be read or holds no request to the action."),
    )
    traffic.add_argument("file", metavar="FILE", help="the HAR file")
    traffic.add_argument("--scenario", metavar="FILE",
                         help="judge against this scenario's account and verify with its key"
                         " pair (default: assume the snapshots and regions the requests name"
                         " exist and fit, and judge only the requests' own shape)")
    _format_option(traffic)
    fuzz = commands.add_parser(
        "fuzz-parser",
        help="feed a client's response parser legal bodies; report each crash and misread",
        description=textwrap.fill(
            "Import PARSER (module:function, looked up from the current directory too),"
            " call it as parse(body: bytes, response_format: str) with success bodies the"
            " contract allows, in JSON and XML, and compare what it returns (the contract's"
            " field names, any subset) with what each body says. Every kind of crash and"
            " misread is shrunk to a minimal body. Exit 0: none found; 1: failures found;"
            " 2: PARSER cannot be imported or returns fields the contract does not have."),
    )
    fuzz.add_argument("parser", metavar="PARSER", help="e.g. examples.sdk_parser:parse")
    fuzz.add_argument("--response-format", choices=("json", "xml", "both"), default="both",
                      help="which bodies to feed (default: %(default)s)")
    fuzz.add_argument("--max-examples", type=integer(1), default=300, metavar="N",
                      help="bodies to try per search for a new failure (default: %(default)s)")
    fuzz.add_argument("--seed", type=int, default=0,
                      help="the search's seed; the same seed finds the same bodies")
    _format_option(fuzz)
    return parser


def _send_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    """The `send` command: one request, as a failure's reproduction prints it."""
    send = commands.add_parser(
        "send",
        help="send one createServerImageFromSnapshot request and check the answer",
        description="Send one request (as printed in a failure's reproduction), show the"
        " oracle's verdict, the answer and every check. Exit 1 on a violation.",
    )
    send.add_argument("wire", help="the query string or form body, exactly as to send")
    send.add_argument("--method", choices=("GET", "POST"), default="GET")
    send.add_argument("--target", choices=("simulator", "live"), default="simulator")
    send.add_argument("--scenario", metavar="FILE", help="the simulator's scenario")
    _site_option(send)
    send.add_argument("--fault", metavar="NAME", type=fault_name,
                      help="give the simulator one named bug (as the run that printed this"
                      " reproduction did); simulator target only")
    send.add_argument("--yes", action="store_true",
                      help="consent to sending to a live endpoint that is not loopback, where"
                      " a valid request creates a paid image (or set NCLOUD_HARNESS_YES=1)")


def _preflight_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    """The `preflight` command: read-only, before a first live run."""
    pre = commands.add_parser(
        "preflight",
        help="before a first live run: check keys, clock and neighbours; create nothing",
        description=textwrap.fill(
            "Read-only: check that the gateway accepts the key pair and that this machine's"
            " clock is within five minutes of the gateway's, call the neighbour actions a run"
            " reads (getRegionList, getBlockStorageSnapshotInstanceList,"
            " getBlockStorageVolumeTypeList, getServerImageList) in JSON and XML and judge"
            " their answers three ways, then print what a run would learn (regions, usable"
            " snapshots, volume-type limits and their unit, images already present) and what"
            " a run with --max-creates N would cover. Creates and deletes nothing, unless"
            " --check-create asks it to prove create permission. Uses"
            " NCLOUD_ACCESS_KEY, NCLOUD_SECRET_KEY, NCLOUD_API_GW and NCLOUD_REGION as a live"
            " run does. Exit 0: ready; 1: a neighbour answer breaks the contract; 2: a run"
            " could not start (keys refused, clock too far off, endpoint unreachable)."),
    )
    pre.add_argument("--target", choices=("live", "simulator"), default="live",
                     help="live (default: the NCLOUD_* account) or the embedded simulator")
    pre.add_argument("--scenario", metavar="FILE",
                     help="the simulator's scenario (--target simulator)")
    _site_option(pre)
    pre.add_argument("--max-creates", type=integer(0), default=LIVE_MAX_CREATES, metavar="N",
                     help="the create budget to plan for (default: %(default)s, a live run's)")
    pre.add_argument("--request-timeout", "--timeout", type=seconds(), default=30.0,
                     metavar="SECONDS", dest="request_timeout",
                     help="the most one request may take, its whole answer included"
                     " (default: %(default)s)")
    pre.add_argument("--check-create", action="store_true",
                     help="also prove that the key may create images, with one create that"
                     " cannot make one (a snapshot the account does not have, asked in XML;"
                     " under custody in --ledger): a 400 proves it and shows the service's"
                     " XML error shape, a 401/210 or 403/230 says the key may not create")
    pre.add_argument("--ledger", default="reports/ledger.jsonl", metavar="FILE",
                     help="the ledger a run will use: what earlier runs still owe there is"
                     " settled first and charged to its budget (default: %(default)s)")
    _format_option(pre)


def _site_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", choices=("public", "gov", "fin"), default=None,
                        help="the NCP site: its gateway when NCLOUD_API_GW is not set, its"
                        " scenario on the simulator (default: NCLOUD_SITE, else public)")


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or json on standard output")


def _run_options(parser: argparse.ArgumentParser) -> None:
    """The options `run` and `record` share: the command line's own, then the run's table."""
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default), or json: summary.json on standard output and"
                        " everything else on standard error")
    parser.add_argument("--report-dir", default="reports", metavar="DIR",
                        help="where junit.xml and summary.json go (default: %(default)s)")
    parser.add_argument("-k", dest="select", metavar="EXPR",
                        help="only tests whose name matches (pytest -k)")
    parser.add_argument("-m", dest="markers", metavar="EXPR",
                        help="only tests with these markers, e.g. seed_r4 (pytest -m)")
    parser.add_argument("--quiet", action="store_true",
                        help="no line per test: on a terminal, a progress bar instead")
    parser.add_argument("--verbose", action="store_true",
                        help="a line per test, also on a terminal (the default in CI logs)")
    add_to_argparse(parser)


def _sample_account_text() -> str:
    account = default_scenario().account
    rows = [f"  {s.instance_no}  {s.size_bytes / GIB:6.2f} GB  {s.volume_type}  {s.hypervisor:3}"
            f"  {s.status:5}  {'bootable' if s.bootable else 'not bootable'}"
            for s in account.snapshots]
    return ("the default scenario's account:\n" + "\n".join(rows)
            + f"\n  regions: {', '.join(account.regions)};"
            f" images already named: {', '.join(sorted(account.image_names))}")


def _cassette_args(args: argparse.Namespace) -> list[str]:
    """The replay (`run --cassette`) or recording (`record --out`) options for pytest."""
    if getattr(args, "cassette", None):
        return ["--cassette", str(Path(args.cassette).resolve())]
    if getattr(args, "out", None):
        out = ["--record", str(Path(args.out).resolve())]
        for name in args.redact_param:
            out += ["--redact-param", name]
        for name in args.redact_header:
            out += ["--redact-header", name]
        return out
    return []


def _verbosity(args: argparse.Namespace) -> str:
    """-v in logs (a line per test), -q on a terminal (where the progress bar shows)."""
    if args.verbose and not args.quiet:
        return "-v"
    return "-q" if args.quiet or sys.stdout.isatty() else "-v"


def pytest_args(args: argparse.Namespace, report_dir: Path) -> list[str]:
    """The pytest command line of a run."""
    pytest_args = [str(SUITE_DIR), "-c", str(SUITE_DIR / "pytest.ini"), "--rootdir",
                   str(SUITE_DIR), "--target", args.target,
                   "--report-dir", str(report_dir),
                   "--junitxml", str(report_dir / "junit-tests.xml"),
                   "-o", "junit_family=xunit2", "--assert=plain", _verbosity(args)]
    if pytest_args[-1] == "-q":  # the progress bar says how far the run is: no [100%] too
        pytest_args += ["-o", "console_output_style=classic"]
    pytest_args += _cassette_args(args)
    if args.select:
        pytest_args += ["-k", args.select]
    if args.markers:
        pytest_args += ["-m", args.markers]
    pytest_args += pytest_flags(args)
    if args.ledger is None:
        pytest_args += ["--ledger", str(report_dir / "ledger.jsonl")]
    return pytest_args
