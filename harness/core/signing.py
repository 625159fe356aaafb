r"""API Gateway signature v2: sign a request, and verify one with the same logic.

String to sign (ncp-api.md section 2)::

    METHOD + " " + URI + "\\n" + timestamp + "\\n" + accessKey

where URI is the path plus `?` plus the query exactly as sent (raw, percent-encoded; no
`?` without a query). HMAC-SHA256 with the secret key, standard Base64. A POST body is not
signed. The same value may travel as `x-ncp-apigw-signature-v2` or, as the Go SDK sends
it, `x-ncp-apigw-signature-v1`. The gateway refuses a timestamp more than 5 minutes off.

Nothing here puts a key or a signature into a message or a repr.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from harness.core.errors import ConfigError

__all__ = [
    "ACCESS_KEY_HEADER",
    "MAX_SKEW_MS",
    "SIGNATURE_HEADERS",
    "SIGNATURE_V1",
    "SIGNATURE_V2",
    "SIGNINGS",
    "SPOILED",
    "TIMESTAMP_HEADER",
    "AuthResult",
    "Credentials",
    "KeyRing",
    "Signing",
    "sign",
    "signature",
    "signed_uri",
    "spoiled_as",
    "string_to_sign",
    "verify",
]

TIMESTAMP_HEADER = "x-ncp-apigw-timestamp"
ACCESS_KEY_HEADER = "x-ncp-iam-access-key"
SIGNATURE_V2 = "x-ncp-apigw-signature-v2"
SIGNATURE_V1 = "x-ncp-apigw-signature-v1"
SIGNATURE_HEADERS = (SIGNATURE_V2, SIGNATURE_V1)
MAX_SKEW_MS = 5 * 60 * 1000

Signing = Literal["valid", "none", "wrong", "stale"]
"""How a request is signed: properly, or spoiled on purpose one of three ways. The one
vocabulary: the transport sends it, recordings store it, the simulator's auth faults and
the session's auth tests name it."""
SIGNINGS: tuple[Signing, ...] = ("valid", "none", "wrong", "stale")
SPOILED: Mapping[str, str] = {"none": "a request without a signature",
                               "wrong": "a request with a wrong signature",
                               "stale": "a request signed more than 5 minutes ago"}
"""Each spoiled signing (every Signing but valid), as a failure message names it."""

_ENV_ACCESS = ("NCLOUD_ACCESS_KEY", "NCLOUD_ACCESS_KEY_ID")
_ENV_SECRET = ("NCLOUD_SECRET_KEY", "NCLOUD_SECRET_ACCESS_KEY")


def _not_printable_ascii(value: str) -> int | None:
    """The 1-based position of the first character that is not printable ASCII, or None."""
    return next((i + 1 for i, ch in enumerate(value) if not " " <= ch <= "~"), None)


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access key and its secret; neither shows in repr, str, a traceback or any message.

    Both must be printable ASCII, checked on creation: a key that is not would fail later,
    deep in signing, where a traceback could print it. No function takes a key by itself
    as an argument (tracebacks print arguments): they take the whole pair.
    """

    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)

    def __post_init__(self) -> None:
        for what, at in (("the access key", _not_printable_ascii(self.access_key)),
                         ("the secret key", _not_printable_ascii(self.secret_key))):
            if at is not None:
                raise ConfigError(f"{what} holds a character that is not printable ASCII"
                                  f" (character {at}); keys are printable ASCII: copy the key"
                                  " again, without quotes or line breaks")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """Keys from NCLOUD_ACCESS_KEY/NCLOUD_SECRET_KEY (or the SDKs' other names), or None."""
        env = os.environ if environ is None else environ
        access = next((n for n in _ENV_ACCESS if env.get(n)), None)
        secret = next((n for n in _ENV_SECRET if env.get(n)), None)
        if access is None and secret is None:
            return None
        if access is None or secret is None:
            missing = _ENV_ACCESS[0] if access is None else _ENV_SECRET[0]
            raise ConfigError(f"{missing} is not set while its partner is; set both or neither")
        try:
            return cls(env[access], env[secret])
        except ConfigError as exc:  # name the variable, never its value
            raise ConfigError(str(exc).replace("the access key", access)
                              .replace("the secret key", secret)) from None

    def digest(self, message: bytes) -> bytes:
        """HMAC-SHA256 of `message` with the secret key (the key never leaves this object)."""
        return hmac.new(self.secret_key.encode("ascii"), message, hashlib.sha256).digest()


class KeyRing(Mapping[str, str]):
    """Access key -> secret key, for verifying signatures; its repr shows neither."""

    def __init__(self, pairs: Mapping[str, str] | None = None) -> None:
        self._pairs = dict(pairs or {})

    def add(self, credentials: Credentials) -> None:
        """Accept this key pair's signatures too."""
        self._pairs[credentials.access_key] = credentials.secret_key

    def __getitem__(self, access_key: str) -> str:
        return self._pairs[access_key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __repr__(self) -> str:
        return f"KeyRing({len(self._pairs)} key pair(s))"


def signed_uri(url_or_path: str) -> str:
    """The URI part of the string to sign: path, plus `?query` as sent when there is one."""
    parts = urlsplit(url_or_path)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def string_to_sign(method: str, uri: str, timestamp: str, access_key: str) -> str:
    r"""`METHOD URI\ntimestamp\naccessKey`, exactly as the gateway rebuilds it."""
    return f"{method.upper()} {uri}\n{timestamp}\n{access_key}"


def signature(credentials: Credentials, method: str, uri: str, timestamp: str) -> str:
    """Base64 of HMAC-SHA256 over the string to sign."""
    message = string_to_sign(method, uri, timestamp, credentials.access_key)
    return base64.b64encode(credentials.digest(message.encode("utf-8"))).decode("ascii")


def sign(
    method: str,
    url_or_path: str,
    credentials: Credentials,
    *,
    timestamp_ms: int | None = None,
    header: str = SIGNATURE_V2,
) -> dict[str, str]:
    """The three signing headers for a request to `url_or_path` (query as it will be sent)."""
    if header not in SIGNATURE_HEADERS:
        raise ConfigError(f"header={header!r} is not a signature header; expected one of"
                          f" {', '.join(SIGNATURE_HEADERS)}")
    stamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    sig = signature(credentials, method, signed_uri(url_or_path), stamp)
    return {TIMESTAMP_HEADER: stamp, ACCESS_KEY_HEADER: credentials.access_key, header: sig}


@dataclass(frozen=True, slots=True)
class AuthResult:
    """Whether a request's signature holds, and if not, why (never quoting a secret)."""

    ok: bool
    reason: str = ""
    problem: str = ""
    """`missing`, `timestamp`, `stale`, `unknown_key` or `mismatch`; empty when ok."""


def _pair(secret_for: Callable[[str], str | None] | Mapping[str, str],
          access: str) -> Credentials | None:
    """The key pair of `access`, or None when it is unknown (or no client could sign with it)."""
    lookup = secret_for.get if isinstance(secret_for, Mapping) else secret_for
    secret = lookup(access)
    if secret is None:
        return None
    try:
        return Credentials(access, secret)
    except ConfigError:
        return None


def verify(
    headers: Mapping[str, str],
    method: str,
    url_or_path: str,
    secret_for: Callable[[str], str | None] | Mapping[str, str],
    *,
    now_ms: int | None = None,
    max_skew_ms: int = MAX_SKEW_MS,
) -> AuthResult:
    """Check the signing headers of a request as the gateway does; same logic as `sign`."""
    lower = {k.lower(): v for k, v in headers.items()}
    stamp = lower.get(TIMESTAMP_HEADER)
    access = lower.get(ACCESS_KEY_HEADER)
    given = next((lower[h] for h in SIGNATURE_HEADERS if lower.get(h)), None)
    if not stamp or not access or not given:
        missing = [name for name, value in ((TIMESTAMP_HEADER, stamp),
                                            (ACCESS_KEY_HEADER, access),
                                            (f"{SIGNATURE_V2} (or -v1)", given)) if not value]
        return AuthResult(ok=False, reason=f"missing header {', '.join(missing)}",
                          problem="missing")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 15:  # int() of any input: no
        return AuthResult(ok=False, reason=f"{TIMESTAMP_HEADER} is not epoch milliseconds",
                          problem="timestamp")
    now = int(time.time() * 1000) if now_ms is None else now_ms
    if abs(now - int(stamp)) > max_skew_ms:
        return AuthResult(ok=False, reason=f"{TIMESTAMP_HEADER} is more than"
                          f" {max_skew_ms // 60000} minutes away from the gateway's clock",
                          problem="stale")
    pair = _pair(secret_for, access)
    if pair is None:
        return AuthResult(ok=False, reason="unknown access key", problem="unknown_key")
    expected = signature(pair, method, signed_uri(url_or_path), stamp)
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace")):
        return AuthResult(ok=False, reason="signature does not match the request as sent",
                          problem="mismatch")
    return AuthResult(ok=True)


_SPOILED_BY: dict[str, Signing] = {"missing": "none", "stale": "stale", "mismatch": "wrong"}


def spoiled_as(problem: str) -> Signing | None:
    """Which spoiled signing a `verify` problem is (None: one the harness never sends)."""
    return _SPOILED_BY.get(problem)
