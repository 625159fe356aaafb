"""The client seam: send requests to a target over `requests`, signed or deliberately not.

The same code path serves every target: the in-process simulator (`responses` answers at
the adapter), a loopback `ncp-harness serve`, or a live account. A GET carries the wire
as its query exactly as drawn (only bytes a URL cannot hold are escaped, and the
signature covers what is sent); a POST carries it as a form body and signs the path, as
the Go SDK does. Nothing here logs or returns a key or a signature.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import quote, urlsplit

import requests
import urllib3

from harness.contract.model import ACTION, Params
from harness.contract.probe import Probe
from harness.contract.wire import encode
from harness.core.answer import Answer
from harness.core.bounded import DEFAULT_MAX_BODY, Expired, deadline, read_body
from harness.core.errors import AnswerTooLarge, ConfigError, TargetError, TargetTimeout
from harness.core.gateway import is_hiccup, is_transient
from harness.core.loopback import is_loopback
from harness.core.scrub import SECRETS
from harness.core.signing import SIGNATURE_V2, Credentials, Signing, sign
from harness.core.sites import site_named, site_of_endpoint
from harness.core.skew import Skew
from harness.recording.har import Exchange
from harness.sim.core import Simulator
from harness.sim.inprocess import DEFAULT_BASE_URL, SimulatorAdapter, simulated
from harness.sim.scenario import Scenario, default_scenario
from harness.targets.sharing import RateLimit

__all__ = [
    "PUBLIC_GATEWAY",
    "HttpTarget",
    "live_target",
    "simulator_target",
]

PUBLIC_GATEWAY = "https://ncloud.apigw.ntruss.com"
_QUERY_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "-._~!$&'()*+,;=:@/?")
_HEX = frozenset("0123456789abcdefABCDEF")


_ALREADY_SAFE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*")


def _url_safe(wire: str) -> str:
    """The query exactly as urllib3 puts it on the wire, so that it can be signed as sent.

    urllib3 upper-cases percent-escapes and escapes what a query may not hold (spaces,
    controls, non-ASCII, a `%` that starts no escape); doing the same first keeps the
    signature over the bytes that really go out.
    """
    if _ALREADY_SAFE.fullmatch(wire):
        return wire
    out = []
    i = 0
    while i < len(wire):
        ch = wire[i]
        if ch == "%" and wire[i + 1:i + 2] in _HEX and wire[i + 2:i + 3] in _HEX and \
                len(wire[i + 1:i + 3]) == 2:
            out.append("%" + wire[i + 1:i + 3].upper())
            i += 3
            continue
        out.append(ch if ch in _QUERY_SAFE else quote(ch, safe="", errors="replace"))
        i += 1
    return "".join(out)


@dataclass
class HttpTarget:
    """A service endpoint: base URL, key pair, HTTP session."""

    base_url: str
    credentials: Credentials | None
    name: str = "live"
    timeout: float = 30.0
    signature_header: str = SIGNATURE_V2
    max_body: int = DEFAULT_MAX_BODY
    """Bytes of one answer, decoded, read at most (--max-body); longer is AnswerTooLarge."""
    max_retries: int = 4
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    retries: int = 0
    hiccups: int = 0
    """Answers that were NCP's "Please try your call again later" (500, returnCode 1000)."""
    rate: RateLimit | None = None
    recorder: Callable[[Exchange], None] | None = None
    """Called with every exchange (a cassette recorder); it must redact before it stores."""
    skew: Skew = field(default_factory=Skew)
    """The service's clock against this machine's, narrowed by every answer's Date header."""
    creates: ClassVar[bool] = True
    """Whether a request can create a real image (False for a replayed cassette)."""
    _context: tuple[str, tuple[str, ...]] = field(default=("", ()), init=False, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session = requests.Session()
        if self.credentials is not None:  # whatever a service echoes, it is masked
            SECRETS.key(self.credentials.access_key)
            SECRETS.key(self.credentials.secret_key)
        host = urlsplit(self.base_url).hostname or ""
        if host.endswith(".invalid") or is_loopback(host):
            self.session.trust_env = False  # no proxy lookups for local targets

    @property
    def endpoint(self) -> str:
        """The base URL as reports may show it (scheme, host, port; never credentials)."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"

    def send(self, probe: Probe, *, signing: Signing = "valid") -> Answer:
        """Send a createServerImageFromSnapshot probe as drawn."""
        with self._labelled(probe.label, probe.rules):
            return self.request(probe.method, ACTION, probe.wire, signing=signing)

    def call(self, action: str, params: Params = (), *, method: str = "GET") -> Answer:
        """Call a neighbour action with typed parameters."""
        with self._labelled(f"call:{action}", ()):
            return self.request(method, action, encode(params))

    @contextmanager
    def _labelled(self, label: str, rules: tuple[str, ...]) -> Iterator[None]:
        """What a recorder notes for the requests sent inside the block."""
        self._context = (label, rules)
        try:
            yield
        finally:
            self._context = ("", ())

    def target_of(self, method: str, action: str, wire: str) -> tuple[str, bytes]:
        """The request target (path and query) and body a request would be sent with."""
        path = f"{urlsplit(self.base_url).path}/vserver/v2/{action}"
        if method.upper() == "GET":
            return (f"{path}?{_url_safe(wire)}" if wire else path), b""
        return path, wire.encode("utf-8", "replace")

    def request(self, method: str, action: str, wire: str, *,
                signing: Signing = "valid") -> Answer:
        """Send one request, retrying what throttling and outages allow.

        A gateway 429 is retried (the request never reached the service), honouring
        Retry-After, else with exponential backoff and jitter; a gateway 503/504 and NCP's
        backend hiccup (500, returnCode 1000) are retried for every action but
        createServerImageFromSnapshot, which may have run: a create is never resent blindly
        (a listing of the account looks for its image). A timeout or a dropped connection is a
        TargetTimeout (retried for reads, never for a create); a target that cannot be
        reached is a TargetError.
        """
        attempt = 0
        while True:
            last = attempt >= self.max_retries
            try:
                answer = self._once(method, action, wire, signing)
            except TargetTimeout:
                if action == ACTION or last:
                    raise  # a create may have run: never resent blindly
                delay = self.backoff_seconds
            else:
                if is_hiccup(answer):
                    self.hiccups += 1
                throttled = answer.status == 429
                down = action != ACTION and is_transient(answer)  # a create is never resent
                if not (throttled or down) or last:
                    return answer
                delay = self._delay(answer, attempt)
            self.retries += 1
            self.sleep(delay)
            attempt += 1

    def _delay(self, answer: Answer, attempt: int) -> float:
        after = answer.header("Retry-After").strip()
        if after.isdigit():
            return min(float(after), self.max_backoff_seconds)
        base: float = min(self.max_backoff_seconds, self.backoff_seconds * 2.0 ** attempt)
        jitter = 0.5 + random.random() / 2  # noqa: S311 - jitter, not secrecy
        return base * jitter

    def _once(self, method: str, action: str, wire: str, signing: Signing) -> Answer:
        if self.rate is not None:
            self.rate.acquire()
        target, body = self.target_of(method, action, wire)
        parts = urlsplit(self.base_url)
        url = f"{parts.scheme}://{parts.netloc}{target}"
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        headers.update(self._signature(method.upper(), target, signing))
        # Prepared by hand: the session's cookie and auth merging is not needed and costs
        # more than the rest of a request in-process (benchmarks/throughput.py).
        prepared = requests.PreparedRequest()
        prepared.prepare(method=method.upper(), url=f"{parts.scheme}://{parts.netloc}/",
                         headers={**self.session.headers, **headers}, data=body or None)
        prepared.url = url  # exactly as signed: no re-quoting by requests
        started = datetime.now(UTC)
        sent = time.time()
        what = f"{action} on {self.endpoint}"
        try:
            with deadline(self.timeout) as left:  # the whole request, body included
                response = self.session.send(prepared, timeout=self.timeout,
                                             allow_redirects=False, stream=True)
                try:
                    content = read_body(response.raw, cap=self.max_body, left=left, what=what)
                finally:
                    response.close()
        except (Expired, requests.Timeout, urllib3.exceptions.TimeoutError):
            self._record(prepared, body, signing, started, error="timeout")
            raise TargetTimeout(f"{what} did not answer within {self.timeout:g} s") from None
        except TargetTimeout:
            self._record(prepared, body, signing, started, error="timeout")
            raise
        except AnswerTooLarge:
            self._record(prepared, body, signing, started, error="too large")
            raise
        except (requests.ConnectionError, urllib3.exceptions.ProtocolError) as exc:
            if _dropped(exc):
                self._record(prepared, body, signing, started, error="dropped")
                raise TargetTimeout(f"{what}: the connection was closed before a whole"
                                    " answer") from None
            raise TargetError(f"cannot reach {self.endpoint} ({type(exc).__name__}); is the"
                              " target running and NCLOUD_API_GW right?") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise TargetError(f"{what} failed ({type(exc).__name__}); is the target running"
                              " and NCLOUD_API_GW right?") from None
        # Scrubbed on arrival: no check, report, recording or message sees an echoed secret.
        answer = Answer(response.status_code,
                        {k: SECRETS.text(v) for k, v in response.headers.items()},
                        SECRETS.data(content))
        self.skew.observe(sent, time.time(), answer.header("Date"))
        self._record(prepared, body, signing, started, answer=answer,
                     reason=SECRETS.text(response.reason or ""))
        return answer

    def _record(self, prepared: requests.PreparedRequest, body: bytes, signing: Signing,
                started: datetime, *, answer: Answer | None = None, reason: str = "",
                error: str | None = None) -> None:
        if self.recorder is None:
            return
        label, rules = self._context
        elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
        self.recorder(Exchange(
            method=prepared.method or "GET", url=prepared.url or "",
            request_headers=tuple(prepared.headers.items()), request_body=body,
            status=answer.status if answer else 0, reason=reason or "",
            response_headers=tuple(answer.headers.items()) if answer else (),
            response_body=answer.body if answer else b"",
            started=started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            elapsed_ms=elapsed, label=label, rules=tuple(rules), signing=signing,
            error=error))

    def _signature(self, method: str, target: str, signing: Signing) -> dict[str, str]:
        if signing == "none" or self.credentials is None:
            return {}
        if signing == "stale":
            headers = sign(method, target, self.credentials, header=self.signature_header,
                           timestamp_ms=int(time.time() * 1000) - 6 * 60 * 1000)
        else:
            headers = sign(method, target, self.credentials, header=self.signature_header)
        if signing == "wrong":
            sig = headers[self.signature_header]
            headers[self.signature_header] = ("A" if sig[0] != "A" else "B") + sig[1:]
        SECRETS.signature(headers[self.signature_header])  # before it leaves
        return headers

    def close(self) -> None:
        """Release the HTTP session."""
        self.session.close()


def _dropped(exc: BaseException) -> bool:
    """A connection the peer closed mid-request (not one that could not be opened)."""
    seen: BaseException | None = exc
    for _ in range(10):  # the cause chain is short; never follow a cycle forever
        if seen is None or isinstance(seen, ConnectionRefusedError):
            return False
        if isinstance(seen, (ConnectionResetError, http.client.RemoteDisconnected)) or (
                "RemoteDisconnected" in repr(seen) or "Connection aborted" in str(seen)):
            return True
        nested = [a for a in seen.args if isinstance(a, BaseException)]
        seen = seen.__cause__ or seen.__context__ or (nested[0] if nested else None)
    return False


@contextmanager
def simulator_target(scenario: Scenario | None = None,
                     fault: str | None = None) -> Iterator[HttpTarget]:
    """The embedded simulator in-process (with one named fault, if asked), via `requests`."""
    scenario = scenario or default_scenario()
    with simulated(DEFAULT_BASE_URL, Simulator(scenario, fault=fault)) as sim:
        target = HttpTarget(DEFAULT_BASE_URL, sim.credentials or Credentials.from_env(),
                            name="simulator")
        target.session.mount(DEFAULT_BASE_URL, SimulatorAdapter(sim))
        try:
            yield target
        finally:
            target.close()


def live_target(environ: Mapping[str, str] | None = None, *,
                site: str | None = None) -> HttpTarget:
    """A live account (or any stand-in) from NCLOUD_* variables; ConfigError names what lacks.

    The gateway is NCLOUD_API_GW, else the site's (`site`, else NCLOUD_SITE, else public);
    an NCLOUD_API_GW that is another site's gateway than the one asked for is refused.
    """
    env = os.environ if environ is None else environ
    credentials = Credentials.from_env(env)
    if credentials is None:
        raise ConfigError("--target live needs NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY (or"
                          " NCLOUD_ACCESS_KEY_ID and NCLOUD_SECRET_ACCESS_KEY); set both and"
                          " run again")
    chosen = site_named(site, env)
    base = env.get("NCLOUD_API_GW") or chosen.endpoint
    other = site_of_endpoint(base)
    if (site or env.get("NCLOUD_SITE")) and other is not None and other != chosen:
        raise ConfigError(f"NCLOUD_API_GW={base!r} is the {other.name} site's gateway, but"
                          f" the {chosen.name} site was asked for; unset NCLOUD_API_GW or"
                          " ask for the site it is")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"NCLOUD_API_GW={base!r} is not an http(s) URL; expected e.g."
                          f" {PUBLIC_GATEWAY} or http://127.0.0.1:8080")
    if parts.username or parts.password:
        raise ConfigError("NCLOUD_API_GW must not carry credentials; use NCLOUD_ACCESS_KEY"
                          " and NCLOUD_SECRET_KEY")
    return HttpTarget(base, credentials, name="live")
