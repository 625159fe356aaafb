"""Wire-level fuzzing: raw query strings and form bodies no SDK would send.

Duplicate keys, gaps and junk in `N`, odd percent-encodings (lower-case hex, truncated and
invalid escapes, overlong UTF-8, double encoding, escaped separators), control and Unicode
trap characters, and huge values. Whatever the oracle says of the decoded parameters, the
service must never answer 5xx (SEED-S5).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from harness.contract.account import Account
from harness.contract.keys import entry_key, entry_prefix, parse_entry_key
from harness.contract.probe import Probe
from harness.contract.wire import decode, encode, encode_params
from harness.strategies.valid import METHODS, valid_request

__all__ = ["TRAPS", "WIRE_KINDS", "wire_probes"]

TRAPS = ["\x00", "\r\n", "\t", "\u200b", "\u202e", "\ufeff", "\u0430", "ß", "ﬁ", "\U0001f600",
         "e\u0301", "\ud7ff", "\uffff", "'", '"', "<", "&amp;", "%", "+", "\\", "../"]
"""Characters that break naive parsers: controls, zero-width, bidi, homoglyphs, emoji."""

ODD_ESCAPES = ["%e3%81%82", "%2", "%", "%zz", "%C0%AF", "%ED%A0%80", "%2541", "%00", "%FF",
               "%26", "%3D", "+", "%2B", "%20"]

WIRE_KINDS = ("duplicate-key", "junk-index", "odd-escape", "trap-character", "huge-value",
              "many-keys")


def _pairs(wire: str) -> list[str]:
    return [p for p in wire.split("&") if p]


@st.composite
def _mutate(draw: Any, wire: str, kind: str) -> str:
    pairs = _pairs(wire)
    if kind == "duplicate-key":
        pick = draw(st.sampled_from(pairs))
        key = pick.split("=", 1)[0]
        other = draw(st.sampled_from(("", "0", "x", "true", "1000001", "CB1")))
        pairs.insert(draw(st.integers(0, len(pairs))), f"{key}={other}")
    elif kind == "junk-index":
        junk = draw(st.sampled_from(("a", "-1", "1.5", "", "99999999999", "0x1", "%31", " 1")))
        keys = [parse_entry_key(p.partition("=")[0]) for p in pairs]
        index = draw(st.sampled_from(sorted({k.label for k in keys if k is not None})))
        pairs = [p.replace(entry_prefix(index), entry_prefix(junk), 1)
                 if k is not None and k.label == index else p
                 for p, k in zip(pairs, keys, strict=True)]
    elif kind == "odd-escape":
        at = draw(st.integers(0, len(pairs) - 1))
        key, _, value = pairs[at].partition("=")
        escape = draw(st.sampled_from(ODD_ESCAPES))
        pairs[at] = f"{key}={value}{escape}" if draw(st.booleans()) else f"{key}{escape}={value}"
    elif kind == "trap-character":
        trap = draw(st.sampled_from(TRAPS))
        field = draw(st.sampled_from(["serverImageName", "serverImageDescription",
                                      "regionCode"]))
        pairs = [p for p in pairs if not p.startswith(f"{field}=")]
        pairs.append(encode(((field, f"img{trap}x"),)))
    elif kind == "huge-value":
        size = draw(st.sampled_from((1_001, 10_000, 100_000)))
        field = draw(st.sampled_from(["serverImageName", "serverImageDescription",
                                      "blockStorageList.1.blockStorageSize"]))
        pairs = [p for p in pairs if not p.startswith(f"{field}=")]
        pairs.append(f"{field}={'9' * size}")
    else:  # many-keys
        count = draw(st.integers(100, 600))
        pairs.extend(f"{entry_key(n, 'order')}={n}" for n in range(2, count))
    return "&".join(pairs)


def wire_probes(account: Account, kind: str | None = None) -> st.SearchStrategy[Probe]:
    """Raw-wire probes of one kind (or any kind); sent exactly as drawn."""
    kinds = st.sampled_from(WIRE_KINDS) if kind is None else st.just(kind)

    @st.composite
    def build(draw: Any) -> Probe:
        request = draw(valid_request(account, additional=(0, 2)))
        chosen = draw(kinds)
        raw = draw(_mutate(encode(encode_params(request)), chosen))
        return Probe(decode(raw), draw(st.sampled_from(METHODS)), f"wire:{chosen}",
                     ("SEED-S5",), raw=raw)

    return build()
