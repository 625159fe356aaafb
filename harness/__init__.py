"""Contract-test and fuzz harness for NCP's createServerImageFromSnapshot (VPC Server API v2).

The public surface is what `__all__` lists; everything else is internal and may change.
"""

from harness._version import __version__
from harness.account import Account, Snapshot
from harness.body import ParsedBody, parse_body
from harness.conformance import ClientConformance
from harness.errors import ContractViolation, HarnessError, UnreadableBody, Violation
from harness.model import BlockStorage, CreateImageRequest
from harness.oracle import Outcome, Verdict, judge
from harness.requestcheck import ClientRequest, RequestReport, check_request
from harness.robustness import FuzzReport, ParserFailure, fuzz_parser
from harness.scenario import sample_account
from harness.signing import Credentials, sign, verify
from harness.wire import decode, decode_request, encode

__all__ = [
    "Account",
    "BlockStorage",
    "ClientConformance",
    "ClientRequest",
    "ContractViolation",
    "CreateImageRequest",
    "Credentials",
    "FuzzReport",
    "HarnessError",
    "Outcome",
    "ParsedBody",
    "ParserFailure",
    "RequestReport",
    "Snapshot",
    "UnreadableBody",
    "Verdict",
    "Violation",
    "__version__",
    "check_request",
    "decode",
    "decode_request",
    "encode",
    "fuzz_parser",
    "judge",
    "parse_body",
    "sample_account",
    "sign",
    "verify",
]
