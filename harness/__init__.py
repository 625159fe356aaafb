"""Contract-test and fuzz harness for NCP's createServerImageFromSnapshot (VPC Server API v2).

The public surface is what `__all__` lists; everything else is internal and may change.
"""

from harness._version import __version__
from harness.checks.request import ClientRequest, RequestReport, check_request
from harness.checks.robustness import FuzzReport, ParserFailure, fuzz_parser
from harness.client.conformance import ClientConformance
from harness.contract.account import Account, Snapshot
from harness.contract.model import BlockStorage, CreateImageRequest
from harness.contract.oracle import Outcome, Verdict, judge
from harness.contract.wire import decode, decode_request, encode
from harness.core.errors import ContractViolation, HarnessError, UnreadableBody, Violation
from harness.core.signing import Credentials, sign, verify
from harness.sim.scenario import sample_account
from harness.spec.body import ParsedBody, parse_body

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
