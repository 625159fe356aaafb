"""HAR cassettes: exchanges survive a round trip; a corrupt file names its file and place."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.core.errors import CassetteError
from harness.recording.har import Exchange, dump_entry, dump_har, load_har

BASE = Exchange(
    method="GET",
    url="https://h.invalid/vserver/v2/createServerImageFromSnapshot?serverImageName=a%2Bb"
        "&blockStorageList.1.order=0",
    request_headers=(("x-ncp-apigw-timestamp", "REDACTED"),),
    request_body=b"", status=400, reason="Bad Request",
    response_headers=(("Content-Type", "application/json"),),
    response_body=b'{"responseError": {"returnCode": "1", "returnMessage": "x"}}',
    started="2026-11-27T00:00:00.000Z", elapsed_ms=1.5, label="break:SEED-R4",
    rules=("SEED-R4",), signing="valid", test="t", seq=3)


def _document(*exchanges: Exchange) -> str:
    return dump_har([dump_entry(e) for e in exchanges], {"run": "r1", "seed": 1}, "test")


def _load(text: str) -> list[Exchange]:
    return load_har(text, "c.har")[1]


headers = st.lists(st.tuples(st.text(st.characters(codec="utf-8"), min_size=1, max_size=8),
                             st.text(st.characters(codec="utf-8"), max_size=8)), max_size=3)


@given(body=st.binary(max_size=64), request_body=st.text(max_size=30), method=st.sampled_from(
    ["GET", "POST"]), status=st.integers(100, 599), sent=headers, got=headers,
    error=st.sampled_from([None, "timeout"]))
def test_an_exchange_survives_a_round_trip(body: bytes, request_body: str, method: str,
                                           status: int, sent: list[tuple[str, str]],
                                           got: list[tuple[str, str]],
                                           error: str | None) -> None:
    exchange = replace(BASE, method=method, response_body=body, status=0 if error else status,
                       request_body=request_body.encode("utf-8", "replace"),
                       request_headers=tuple(sent), response_headers=tuple(got), error=error)
    (back,) = _load(_document(exchange))
    assert back == exchange
    assert back.where == "c.har log.entries[0]"


def test_a_document_has_one_entry_per_line_and_is_har_1_2() -> None:
    text = _document(BASE, replace(BASE, seq=4))
    lines = text.splitlines()
    assert len(lines) == 4  # header, two entries, closing
    log = json.loads(text)["log"]
    assert log["version"] == "1.2"
    assert log["creator"]["name"] == "ncp-harness"
    entry = log["entries"][0]
    assert entry["request"]["queryString"][0] == {"name": "serverImageName", "value": "a+b"}
    assert entry["response"]["content"]["mimeType"] == "application/json"
    assert entry["_ncpHarness"]["rules"] == ["SEED-R4"]


def test_wire_and_target_are_exactly_as_sent() -> None:
    post = replace(BASE, method="POST", url="https://h.invalid/p/vserver/v2/x",
                   request_body=b"a=%2B&b=1")
    assert BASE.wire == "serverImageName=a%2Bb&blockStorageList.1.order=0"
    assert BASE.target.startswith("/vserver/v2/createServerImageFromSnapshot?serverImageName=a%2Bb")
    assert post.wire == "a=%2B&b=1"
    assert post.action == "x"


def test_binary_bodies_are_base64() -> None:
    text = _document(replace(BASE, response_body=b"\xff\xfe"))
    content = json.loads(text)["log"]["entries"][0]["response"]["content"]
    assert content["encoding"] == "base64"
    assert _load(text)[0].response_body == b"\xff\xfe"


def test_a_har_from_another_tool_loads_with_its_signing_inferred() -> None:
    foreign = {"log": {"version": "1.2", "creator": {"name": "browser"}, "entries": [
        {"request": {"method": "GET", "url": "https://x.invalid/vserver/v2/getRegionList",
                     "headers": [{"name": "x-ncp-apigw-signature-v2", "value": "..."}]},
         "response": {"status": 200, "headers": [], "content": {"text": "{}"}}},
        {"request": {"method": "GET", "url": "https://x.invalid/vserver/v2/getRegionList",
                     "headers": []},
         "response": {"status": 401, "headers": [], "content": {}}}]}}
    meta, exchanges = load_har(json.dumps(foreign), "b.har")
    assert meta == {}
    assert [e.signing for e in exchanges] == ["valid", "none"]
    assert exchanges[0].label == "recorded"
    assert exchanges[1].response_body == b""


@pytest.mark.parametrize("cut", [1, 40, 200, -30, -3])
def test_a_truncated_file_names_line_and_column(cut: int) -> None:
    text = _document(BASE, BASE)
    with pytest.raises(CassetteError) as caught:
        _load(text[:cut])
    assert caught.value.file == "c.har"
    assert caught.value.place.startswith("line ")
    assert " column " in caught.value.place
    assert "c.har" in str(caught.value)


def _edited(path: list[str | int], value: object) -> str:
    document = json.loads(_document(BASE, BASE))
    node = document
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return json.dumps(document)


@pytest.mark.parametrize(("path", "value", "place"), [
    (["log", "entries", 1, "response", "status"], "200", "log.entries[1].response.status"),
    (["log", "entries", 0, "response", "status"], 700, "log.entries[0].response.status"),
    (["log", "entries", 1, "request"], KeyError, "log.entries[1]"),
    (["log", "entries", 0, "request", "url"], "/no/host", "log.entries[0].request.url"),
    (["log", "entries", 0, "request", "method"], "get", "log.entries[0].request.method"),
    (["log", "entries", 0, "_ncpHarness", "signing"], "maybe",
     "log.entries[0]._ncpHarness.signing"),
    (["log", "entries", 0, "response", "headers"], [{"name": "a"}],
     "log.entries[0].response.headers[0]"),
    (["log", "entries"], {}, "log.entries"),
    (["log"], KeyError, "the top level"),
])
def test_a_hand_edited_file_names_the_place(path: list[str | int], value: object,
                                             place: str) -> None:
    with pytest.raises(CassetteError) as caught:
        _load(_edited(path, value))
    assert caught.value.place == place
    assert "HAR" in caught.value.problem


def test_bad_base64_and_unexplained_status_0_are_named() -> None:
    document = json.loads(_document(BASE))
    document["log"]["entries"][0]["response"]["content"] = {"text": "!!", "encoding": "base64"}
    with pytest.raises(CassetteError, match=r"log.entries\[0\].response.content.text"):
        _load(json.dumps(document))
    with pytest.raises(CassetteError, match=r"status: 0 \(no answer\)"):
        _load(_document(replace(BASE, status=0)))


def test_an_empty_file_is_named() -> None:
    with pytest.raises(CassetteError, match=r"c\.har: the file is empty"):
        _load("  \n")
