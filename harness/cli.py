"""The `ncp-harness` command line: argument parsing and exit codes, nothing else.

Exit codes: 0 success, 1 the service (or the judged request) broke the contract,
2 usage or configuration error (our side).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from harness._version import __version__
from harness.account import GIB, sample_account
from harness.errors import HarnessError
from harness.oracle import Outcome, judge
from harness.wire import decode

__all__ = ["main"]

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
        description="Print the oracle's verdict (accept, reject or unspecified) on one"
        " request, judged against the built-in sample account. Exit 0 for accept or"
        " unspecified, 1 for reject.",
        epilog=_sample_account_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    judge_cmd.add_argument("query", help="e.g. 'serverImageName=img-1&blockStorageList.1.order=0"
                           "&blockStorageList.1.snapshotInstanceNo=1000001'")
    judge_cmd.add_argument("--json", action="store_true", help="print the verdict as JSON")
    return parser


def _sample_account_text() -> str:
    account = sample_account()
    rows = [f"  {s.instance_no}  {s.size_bytes / GIB:6.2f} GB  {s.volume_type}  {s.hypervisor:3}"
            f"  {s.status:5}  {'bootable' if s.bootable else 'not bootable'}"
            for s in account.snapshots]
    return ("the sample account:\n" + "\n".join(rows)
            + f"\n  regions: {', '.join(account.regions)};"
            f" images already named: {', '.join(sorted(account.image_names))}")


def _judge(query: str, *, as_json: bool) -> int:
    verdict = judge(decode(query), sample_account())
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "judge":
            return _judge(args.query, as_json=args.json)
    except HarnessError as exc:
        print(f"ncp-harness: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    parser.print_help()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
