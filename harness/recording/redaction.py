"""Redaction: what a recorded exchange must lose before it reaches a disk.

Three layers, each enough on its own for what it covers:

1. Headers: the access key, signature and timestamp headers, `Authorization`, cookies, and
   any header named on the command line (`--redact-header`, request or response).
2. Parameters: every query or form parameter whose name suggests a secret (secret, pass,
   token, signature, credential, auth, session, access key, api key) or is named on the
   command line (`--redact-param`) keeps its name and loses its value.
3. Values: the key pair in use and every signature sent are replaced wherever they still
   appear in the serialized entry (say, echoed by a service in a body), plain or
   percent-encoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import unquote_plus

from harness.core.scrub import MASK, SECRETS, Scrubber
from harness.core.signing import Credentials
from harness.recording.har import Exchange

__all__ = ["MASK", "SECRET_HEADERS", "Redactor"]

SECRET_HEADERS = frozenset({
    "x-ncp-iam-access-key", "x-ncp-apigw-signature-v1", "x-ncp-apigw-signature-v2",
    "x-ncp-apigw-timestamp", "x-ncp-apigw-api-key", "authorization", "proxy-authorization",
    "cookie", "set-cookie",
})
_SECRET_NAME = re.compile(
    r"secret|pass|token|signature|credential|auth|session|access[-_.]?key|api[-_.]?key",
    re.IGNORECASE)


@dataclass
class Redactor:
    """Masks secrets in exchanges; knows the key pair and collects each signature it masks."""

    credentials: Credentials | None = None
    params: frozenset[str] = frozenset()
    headers: frozenset[str] = frozenset()
    _keys: Scrubber = field(default_factory=Scrubber)
    _values: Scrubber = field(default_factory=Scrubber)
    """The secret header values of the entries not yet written (forgotten after each)."""

    def __post_init__(self) -> None:
        if self.credentials is not None:
            self._keys.key(self.credentials.access_key)
            self._keys.key(self.credentials.secret_key)

    @classmethod
    def of(cls, credentials: Credentials | None, params: Iterable[str] = (),
           headers: Iterable[str] = ()) -> Redactor:
        """A redactor with extra parameter and header names (case-insensitive)."""
        return cls(credentials, frozenset(p.lower() for p in params),
                   frozenset(h.lower() for h in headers))

    def secret_param(self, name: str) -> bool:
        """Whether a parameter's value is masked."""
        return bool(_SECRET_NAME.search(name)) or name.lower() in self.params

    def secret_header(self, name: str) -> bool:
        """Whether a header's value is masked."""
        return name.lower() in SECRET_HEADERS or name.lower() in self.headers

    def _mask_headers(self, items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        out = []
        for name, value in items:
            if self.secret_header(name):
                if value and name.lower() != "x-ncp-apigw-timestamp":
                    self._values.key(value)
                out.append((name, MASK))
            else:
                out.append((name, value))
        return tuple(out)

    def mask_wire(self, wire: str) -> str:
        """A query or form body with secret parameters' values masked, the rest as it was."""
        if not wire:
            return wire
        pieces = []
        for piece in wire.split("&"):
            name, eq, _ = piece.partition("=")
            pieces.append(f"{name}={MASK}" if eq and self.secret_param(unquote_plus(name))
                          else piece)
        return "&".join(pieces)

    def exchange(self, ex: Exchange) -> Exchange:
        """The exchange with headers and parameters masked (layers 1 and 2)."""
        base, sep, query = ex.url.partition("?")
        body = ex.request_body
        if body:
            body = self.mask_wire(body.decode("utf-8", "replace")).encode("utf-8")
        return replace(
            ex, url=base + sep + self.mask_wire(query),
            request_headers=self._mask_headers(ex.request_headers), request_body=body,
            response_headers=self._mask_headers(ex.response_headers))

    def scrub(self, text: str) -> str:
        """Serialized text with every known secret value masked (layer 3).

        The key pair, the secret header values of the entries being written, and whatever
        this process has signed with or sent (`harness.core.scrub.SECRETS`).
        """
        return self._values.text(self._keys.text(SECRETS.text(text)))

    def forget_signatures(self) -> None:
        """Drop the signatures collected so far (after the entries holding them are written)."""
        self._values.forget()
