"""Hooks that make `schemathesis run` speak this action's contract.

Load it with `SCHEMATHESIS_HOOKS=harness.schemathesis_hooks` (see the README):

* the schema is loaded as its generation view (cross-key rules dropped; the literal
  `blockStorageList.N.*` keys stay, so the wire is encoded the way the service reads it);
* XML bodies are deserialized (defusedxml, text coerced to the schema's types), so
  `response_schema_conformance` checks XML as well as JSON;
* every request is signed (signature v2 over the query as sent) with NCLOUD_ACCESS_KEY and
  NCLOUD_SECRET_KEY, or the default scenario's demo pair when those are not set;
* the `ncp_contract` check judges each createServerImageFromSnapshot request with the
  oracle and runs this project's checks: only accept and reject can fail, never an open case.

Signatures are redacted from schemathesis' output by `openapi/schemathesis.toml`.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import schemathesis
import urllib3

from harness.checks.response import check_answer
from harness.contract.account import Account
from harness.contract.model import ACTION
from harness.contract.oracle import judge
from harness.contract.probe import Probe
from harness.contract.wire import decode
from harness.core.answer import Answer
from harness.core.errors import ContractViolation
from harness.core.signing import Credentials, sign
from harness.sim.scenario import default_scenario
from harness.spec.body import parse_body
from harness.spec.openapi import generation_view
from harness.strategies.from_schemathesis import prepared, wire_of
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget

__all__ = ["credentials", "deserialize_xml", "ncp_contract"]

_ACCOUNTS: dict[str, Account] = {}
_LOCK = threading.Lock()


def credentials() -> Credentials | None:
    """The key pair to sign with: NCLOUD_* when set, else the simulator's demo pair."""
    return Credentials.from_env() or default_scenario().credentials


@schemathesis.hook
def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
    """Load the generation view: every key, no cross-key rules (see harness.spec.openapi)."""
    del context
    view = generation_view(raw_schema)
    raw_schema.clear()
    raw_schema.update(view)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Sign the request over the path and query exactly as they will be sent."""
    del context, kwargs
    creds = credentials()
    if creds is None:
        return
    base = case.operation.base_url or ""
    request = prepared(case, base)
    # urllib3 re-encodes the query once more on its way out; sign what it will send.
    target = urllib3.util.parse_url(request.url or "").request_uri
    if (request.method or "").upper() != "GET":
        target = target.partition("?")[0]
    headers = dict(case.headers or {})
    for name in list(headers):
        if name.lower().startswith(("x-ncp-apigw-", "x-ncp-iam-")):
            del headers[name]
    case.headers = {**headers, **sign((request.method or "GET").upper(), target, creds)}


@schemathesis.deserializer("application/xml", "text/xml")
def deserialize_xml(ctx: Any, response: Any) -> Any:
    """An XML body as the schema of its media type describes it: the root element's content."""
    action = urlsplit(str(getattr(ctx.operation, "path", ""))).path.rsplit("/", 1)[-1] or ACTION
    return parse_body(response.content, action=action).inner


def _account(base_url: str) -> Account:
    with _LOCK:
        if base_url not in _ACCOUNTS:
            target = HttpTarget(base_url, credentials(), name="schemathesis")
            try:
                _ACCOUNTS[base_url] = discover(target)
            finally:
                target.close()
        return _ACCOUNTS[base_url]


@schemathesis.check
def ncp_contract(ctx: Any, response: Any, case: Any) -> bool | None:
    """The oracle's verdict and this project's checks for createServerImageFromSnapshot."""
    del ctx
    request = response.request
    if (not str(case.operation.path).endswith(f"/{ACTION}")
            or (request.method or "").upper() not in ("GET", "POST")
            or response.status_code in (401, 403)):
        return None  # another action, another method (405), or a request we could not sign
    method, wire = wire_of(request)
    parts = urlsplit(request.url or "")
    account = _account(f"{parts.scheme}://{parts.netloc}")
    probe = Probe(decode(wire), "POST" if method == "POST" else "GET", "schemathesis", (),
                  raw=wire)
    headers = {k: v[0] if isinstance(v, list) and v else v
               for k, v in dict(response.headers).items()}
    answer = Answer(response.status_code, headers, response.content)
    result = check_answer(probe, judge(probe.params, account), answer, account)
    if result.violations:
        raise ContractViolation(list(result.violations))  # the service's fault, typed
    return True
