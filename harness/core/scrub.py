r"""Every secret this process has used, masked out of whatever text or bytes it keeps or shows.

The transport registers the key pair it signs with, and every signature it sends (spoiled
ones included), before the request leaves; every answer is scrubbed as it arrives, before
a check, a report, a recording, the ledger or a message sees it. Reports, junit files, the
ledger and the terminal scrub again as they write. A key is masked plain, percent-encoded
(either case), form-encoded and JSON-escaped (`\/`), in any letter case. A signature is
found by its shape (43 base-64 characters and `=`, in those encodings too; or a token of
43 base-64 or base64url characters with its padding dropped) and looked up among those
sent, so scrubbing costs the same after the hundred-thousandth request as after the first.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, quote_plus, unquote

__all__ = ["MASK", "SECRETS", "Scrubber", "is_redacted"]

MASK = "REDACTED"
_END = re.compile(r"=|%3[Dd]")
"""Where a signature ends: only the text just before one of these is looked at."""
_BODY = re.compile(r"(?:[A-Za-z0-9+/ ]|%2[BbFf]|\\/){43}\Z")
_REACH = 43 * 3
"""The most characters 43 base-64 characters take, percent-encoded."""
_MIN_KEY = 4
"""Shorter values are not masked: too short to be a key, masking them mangles text."""
_TOKEN = re.compile(r"(?:[A-Za-z0-9+/_-]|%2[BbFf]|\\/)+(?:=|%3[Dd])?")
"""A run of base-64 or base64url characters (maybe encoded), with its padding if any."""
_URL = str.maketrans("-_", "+/")


_MARKERS = re.compile(r"redacted|filtered|masked|hidden|removed|scrubbed|sanitized|omitted",
                      re.IGNORECASE)
_MASK_ONLY = re.compile(r"[*xX\u2022#.\-_<>\[\]]{3,}")


def is_redacted(value: str) -> bool:
    """Whether a recorded header value is a capture tool's stand-in for a secret.

    Ours (`REDACTED`), schemathesis's (`[Filtered]`), mitmproxy's and proxies' (`***`,
    `[REDACTED]`, `<hidden>`, bullets), and an emptied value: none of them can be verified,
    and none is the client's mistake.
    """
    text = value.strip()
    return (not text or _MARKERS.search(text) is not None
            or _MASK_ONLY.fullmatch(text) is not None)


def _forms(value: str) -> set[str]:
    quoted = quote(value, safe="")
    return {value, quoted, re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quoted),
            quote_plus(value, safe=""), value.replace("/", "\\/")}


class Scrubber:
    """The secret values one process knows, and the masking of any text against them."""

    def __init__(self) -> None:
        self._keys: dict[str, None] = {}
        self._forms: re.Pattern[str] | None = None
        self._signatures: set[str] = set()
        self._bodies: set[str] = set()
        """The signatures sent without their padding, in the standard alphabet."""
        self._lock = threading.Lock()

    def key(self, value: str) -> None:
        """Know an access key or a secret key (masked wherever it appears, in any case)."""
        if len(value) < _MIN_KEY or value in self._keys:
            return
        with self._lock:
            self._keys[value] = None
            forms = sorted({f for k in self._keys for f in _forms(k)}, key=len, reverse=True)
            self._forms = re.compile("|".join(re.escape(f) for f in forms), re.IGNORECASE)

    def signature(self, value: str) -> None:
        """Know a signature the run sent (wherever a service echoes it, it is masked)."""
        with self._lock:
            self._signatures.add(value)
            self._bodies.add(value.rstrip("=").translate(_URL))

    def text(self, text: str) -> str:
        """`text` with every known key and signature masked."""
        if self._forms is not None:
            text = self._forms.sub(MASK, text)
        if self._signatures and ("=" in text or "%3" in text):
            text = self._mask_signatures(text)
        if self._bodies:
            text = _TOKEN.sub(self._token, text)
        return text

    def _token(self, found: re.Match[str]) -> str:
        """A token that is a signature sent, in any alphabet, padded or not: masked."""
        token = found.group(0)
        if len(token) < 43:
            return token
        plain = unquote(token.replace("\\/", "/")).rstrip("=").translate(_URL)
        return MASK if plain in self._bodies else token

    def _mask_signatures(self, text: str) -> str:
        """Each signature sent, wherever it ends at an `=` (plain or encoded), masked."""
        pieces, kept = [], 0
        for end in _END.finditer(text):
            found = _BODY.search(text, max(kept, end.start() - _REACH), end.start())
            if found is None:
                continue
            plain = unquote(text[found.start():end.end()].replace("\\/", "/")).replace(" ", "+")
            if plain in self._signatures:
                pieces += [text[kept:found.start()], MASK]
                kept = end.end()
        return "".join([*pieces, text[kept:]]) if pieces else text

    def data(self, data: bytes) -> bytes:
        """Bytes (a body, maybe not UTF-8) with every known key and signature masked."""
        text = data.decode("latin-1")
        scrubbed = self.text(text)
        return data if scrubbed == text else scrubbed.encode("latin-1", "replace")

    def forget(self) -> None:
        """Forget everything (tests only: one process runs many of them)."""
        with self._lock:
            self._keys.clear()
            self._forms = None
            self._signatures.clear()
            self._bodies.clear()


SECRETS = Scrubber()
"""The process's scrubber: the transport fills it, every output uses it."""
