"""Signature v2: golden vectors computed outside the code under test, and verification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.core.errors import ConfigError
from harness.core.signing import (
    ACCESS_KEY_HEADER,
    SIGNATURE_V1,
    SIGNATURE_V2,
    SIGNINGS,
    SPOILED,
    TIMESTAMP_HEADER,
    Credentials,
    Signing,
    sign,
    signature,
    signed_uri,
    spoiled_as,
    string_to_sign,
    verify,
)
from harness.targets.transport import HttpTarget

ACCESS = "AKIDEXAMPLE000000001"
SECRET = "secret-EXAMPLE-0123456789abcdef"
CREDS = Credentials(ACCESS, SECRET)
STAMP = 1_700_000_000_000
PATH = "/vserver/v2/createServerImageFromSnapshot"

# Computed with openssl, independently of harness.core.signing:
#   printf '%s' "$MESSAGE" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
# where MESSAGE is "METHOD URI\n1700000000000\nAKIDEXAMPLE000000001".
VECTORS = [
    ("GET", f"{PATH}?regionCode=KR&serverImageName=test-img&blockStorageList.1.order=0"
     "&blockStorageList.1.snapshotInstanceNo=1000001&responseFormatType=json",
     "D9YPobGPzqjkxKdjShbqyVmEDaNnpGfzSVo4YVydDIw="),
    ("GET", f"{PATH}?serverImageName=img-1&serverImageDescription=%E8%AA%AC%E6%98%8E+a%2Bb%26c"
     "&blockStorageList.1.order=0&blockStorageList.1.snapshotInstanceNo=1000001",
     "6CrypPWfJ0f+g1mM0oxJbJSvMftaG9ns/NuLi6seymE="),
    ("GET", f"{PATH}?serverImageName=img-1&serverImageDescription=%E8%AA%AC%E6%98%8E%20a%2Bb%26c"
     "&blockStorageList.1.order=0&blockStorageList.1.snapshotInstanceNo=1000001",
     "JuSsb3QWLSQ8evtGnPRzJwdmU5yux9SDkoEWN4A4Pgc="),
    ("POST", PATH, "Hs3V5pe/AuNs7eU5VYymsy2GaA4qP+L4uCUyqkgvtQw="),
    ("GET", "/vserver/v2/getRegionList", "w53eL8dgnlHUxNCoqi6KNUj0ensoz/cqEGsGxZtwLMM="),
]


@pytest.mark.parametrize(("method", "uri", "expected"), VECTORS)
def test_golden_vectors(method: str, uri: str, expected: str) -> None:
    assert signature(Credentials(ACCESS, SECRET), method, uri, str(STAMP)) == expected


@pytest.mark.parametrize(("method", "uri", "expected"), VECTORS)
def test_sign_then_verify_under_both_header_names(method: str, uri: str, expected: str) -> None:
    for header in (SIGNATURE_V2, SIGNATURE_V1):
        headers = sign(method, "https://ncloud.apigw.ntruss.com" + uri, CREDS,
                       timestamp_ms=STAMP, header=header)
        assert headers == {TIMESTAMP_HEADER: str(STAMP), ACCESS_KEY_HEADER: ACCESS,
                           header: expected}
        assert verify(headers, method, uri, {ACCESS: SECRET}, now_ms=STAMP).ok


def test_string_to_sign_layout() -> None:
    assert string_to_sign("get", "/a?b=1", "5", "K") == "GET /a?b=1\n5\nK"
    assert signed_uri("https://h/p/q?x=%20+") == "/p/q?x=%20+"
    assert signed_uri("https://h/p") == "/p"


def test_the_query_must_be_signed_as_sent() -> None:
    # '+' and '%20' mean the same to a decoder but not to the gateway (ncp-api.md section 2).
    plus, percent = VECTORS[1][1], VECTORS[2][1]
    headers = sign("GET", plus, CREDS, timestamp_ms=STAMP)
    assert verify(headers, "GET", plus, {ACCESS: SECRET}, now_ms=STAMP).ok
    result = verify(headers, "GET", percent, {ACCESS: SECRET}, now_ms=STAMP)
    assert not result.ok
    assert result.reason == "signature does not match the request as sent"


@pytest.mark.parametrize(("skew", "ok"), [(0, True), (300_000, True), (-300_000, True),
                                          (300_001, False), (-300_001, False)])
def test_five_minute_skew(skew: int, ok: bool) -> None:
    headers = sign("GET", PATH, CREDS, timestamp_ms=STAMP)
    result = verify(headers, "GET", PATH, {ACCESS: SECRET}, now_ms=STAMP + skew)
    assert result.ok is ok
    if not ok:
        assert "5 minutes" in result.reason


@pytest.mark.parametrize("drop", [TIMESTAMP_HEADER, ACCESS_KEY_HEADER, SIGNATURE_V2])
def test_missing_header_is_named(drop: str) -> None:
    headers = sign("GET", PATH, CREDS, timestamp_ms=STAMP)
    del headers[drop]
    result = verify(headers, "GET", PATH, {ACCESS: SECRET}, now_ms=STAMP)
    assert not result.ok
    assert drop in result.reason


def test_header_names_are_case_insensitive() -> None:
    headers = {k.upper(): v for k, v in sign("GET", PATH, CREDS, timestamp_ms=STAMP).items()}
    assert verify(headers, "GET", PATH, {ACCESS: SECRET}, now_ms=STAMP).ok


def test_unknown_key_wrong_method_bad_timestamp() -> None:
    headers = sign("GET", PATH, CREDS, timestamp_ms=STAMP)
    assert verify(headers, "GET", PATH, {}, now_ms=STAMP).reason == "unknown access key"
    assert not verify(headers, "POST", PATH, {ACCESS: SECRET}, now_ms=STAMP).ok
    headers[TIMESTAMP_HEADER] = "yesterday"
    assert "epoch milliseconds" in verify(headers, "GET", PATH, {ACCESS: SECRET}).reason


@given(st.sampled_from(["GET", "POST"]), st.text(max_size=40), st.integers(0, 2**45))
def test_no_reason_ever_quotes_a_secret(method: str, query: str, now: int) -> None:
    headers = sign(method, f"{PATH}?{query}", CREDS, timestamp_ms=STAMP)
    forged = {**headers, SIGNATURE_V2: headers[SIGNATURE_V2][::-1]}
    for attempt in (headers, forged):
        reason = verify(attempt, method, f"{PATH}?{query}x", {ACCESS: SECRET}, now_ms=now).reason
        for secret in (ACCESS, SECRET, headers[SIGNATURE_V2]):
            assert secret not in reason


def test_credentials_hide_their_keys() -> None:
    assert ACCESS not in repr(CREDS)
    assert SECRET not in repr(CREDS)
    assert SECRET not in str(CREDS)


def test_credentials_from_env() -> None:
    assert Credentials.from_env({}) is None
    env = {"NCLOUD_ACCESS_KEY": ACCESS, "NCLOUD_SECRET_KEY": SECRET}
    assert Credentials.from_env(env) == CREDS
    alt = {"NCLOUD_ACCESS_KEY_ID": ACCESS, "NCLOUD_SECRET_ACCESS_KEY": SECRET}
    assert Credentials.from_env(alt) == CREDS
    with pytest.raises(ConfigError, match="NCLOUD_SECRET_KEY is not set") as caught:
        Credentials.from_env({"NCLOUD_ACCESS_KEY": ACCESS})
    assert ACCESS not in str(caught.value)


def test_unknown_signature_header_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a signature header"):
        sign("GET", PATH, CREDS, header="x-signature")


def test_a_timestamp_int_cannot_read_is_refused_not_crashed_on() -> None:
    for stamp in ("9" * 5000, "\u00b2"):
        headers = {"x-ncp-apigw-timestamp": stamp, "x-ncp-iam-access-key": "a",
                   "x-ncp-apigw-signature-v2": "x"}
        assert verify(headers, "GET", "/p", {"a": "s"}).problem == "timestamp"


@pytest.mark.parametrize("signing", list(SPOILED))
def test_each_spoiled_signing_the_transport_sends_is_named_back_by_the_verifier(
        signing: Signing) -> None:
    """One vocabulary: what the transport spoils is what the gateway's check calls it."""
    target = HttpTarget("https://x.invalid", credentials=CREDS)
    headers = target._signature("GET", PATH, signing)
    result = verify(headers, "GET", PATH, {ACCESS: SECRET})
    assert not result.ok
    assert spoiled_as(result.problem) == signing
    assert spoiled_as("unknown_key") is None
    assert set(SPOILED) == set(SIGNINGS) - {"valid"}
