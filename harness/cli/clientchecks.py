"""The commands for SDK maintainers: check-traffic (a HAR file judged) and fuzz-parser."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.checks.request import assumed_account
from harness.checks.robustness import ParserFailure, fuzz_parser, load_parser
from harness.checks.traffic import Captured, traffic_from_har
from harness.checks.trafficjudge import judge_traffic
from harness.cli.common import EXIT_CONTRACT, EXIT_OK, say, scenario_at
from harness.contract.model import ACTION
from harness.contract.wire import ACTION_PATH
from harness.core.errors import ConfigError
from harness.core.plain import json_text
from harness.core.scrub import SECRETS, is_redacted
from harness.core.signing import (
    ACCESS_KEY_HEADER,
    SIGNATURE_V1,
    SIGNATURE_V2,
    Credentials,
    KeyRing,
)
from harness.strategies.answers import Format

__all__ = ["check_traffic", "fuzz_parser_command"]


def check_traffic(file: str, scenario_file: str | None, fmt: str) -> int:
    """Judge every request to the action in a HAR file, then every answer it holds."""
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the HAR file {file}: {exc}") from None
    captured, skipped = traffic_from_har(text, file)
    _know_the_file_s_secrets(captured)  # before any line of the report is written
    if not any(c.action == ACTION for c in captured):
        raise ConfigError(f"{file} holds no request to {ACTION_PATH}: all"
                          f" {len(skipped) + len(captured)} of its entries go to other URLs;"
                          " capture the client's call to the action")
    keys = KeyRing()
    scenario = scenario_at(scenario_file) if scenario_file else None
    for creds in (scenario.credentials if scenario else None, Credentials.from_env()):
        if creds is not None:
            keys.add(creds)
    traffic = judge_traffic(captured, scenario.account if scenario else assumed_account,
                            keys.get)
    if fmt == "json":
        print(SECRETS.text(json_text({"file": file, **traffic.as_dict(), "skipped": skipped},
                                      indent=2)))
    else:
        say("\n".join([*traffic.lines(), traffic.summary(len(skipped))]))
    return EXIT_CONTRACT if traffic.violating or traffic.answers_violating else EXIT_OK


def _know_the_file_s_secrets(captured: list[Captured]) -> None:
    """The keys and signatures a capture holds: masked in every line the report writes.

    A capture tool that redacted nothing leaves the client's access key and signatures in
    the file; the report quotes requests, so they are registered before it is written.
    """
    for entry in captured:
        for name in (SIGNATURE_V2, SIGNATURE_V1):
            value = entry.request.header(name)
            if value and not is_redacted(value):
                SECRETS.signature(value.strip())
        key = entry.request.header(ACCESS_KEY_HEADER)
        if key and not is_redacted(key):
            SECRETS.key(key.strip())


def fuzz_parser_command(args: argparse.Namespace) -> int:
    """Feed a client's response parser legal bodies until it crashes or misreads."""
    parse = load_parser(args.parser)
    formats: tuple[Format, ...] = (("json", "xml") if args.response_format == "both"
                                   else (args.response_format,))

    def heard(failure: ParserFailure, fed: int) -> None:
        say(f"  found after {fed} bodies: {failure.kind} ({failure.format}) {failure.where}",
              file=sys.stderr)

    say(f"fuzz-parser: feeding {args.parser} legal {' and '.join(formats)} bodies...",
          file=sys.stderr)
    report = fuzz_parser(parse, formats=formats, max_examples=args.max_examples,
                         seed=args.seed, progress=heard)
    if args.format == "json":
        print(json_text({"parser": args.parser, "examples": report.examples,
                          "failures": [{"kind": f.kind, "format": f.format, "where": f.where,
                                        "detail": f.detail, "body": f.body}
                                       for f in report.failures]},
                         indent=2))
    else:
        say(f"{args.parser}: {report.examples} legal bodies fed, {len(report.failures)}"
              " kind(s) of failure, each with a minimal body")
        for failure in report.failures:
            say("\n".join(failure.lines()))
    return EXIT_OK if report.ok else EXIT_CONTRACT
