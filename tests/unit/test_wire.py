"""Wire codec: a golden table in both directions, raw wire, and round-trip properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.contract.keys import EntryKey, entry_key, parse_entry_key
from harness.contract.model import BlockStorage, CreateImageRequest, Params
from harness.contract.wire import decode, decode_request, encode, encode_params, go_sdk_form_body
from harness.core.errors import WireError

BASE = BlockStorage(order=0, snapshot_instance_no="1000001")
B1 = "blockStorageList.1.order=0&blockStorageList.1.snapshotInstanceNo=1000001"

# (name, typed request, exact wire bytes). Bytes written by hand from the rules in
# harness.contract.wire's docstring (Go url.QueryEscape: unreserved kept, space '+', rest %XX).
GOLDEN: list[tuple[str, CreateImageRequest, str]] = [
    ("seed example request (masked values as printed)",
     CreateImageRequest("test-***", (BlockStorage(0, "*****4697"),), "KR", None, "json"),
     "regionCode=KR&serverImageName=test-%2A%2A%2A&blockStorageList.1.order=0"
     "&blockStorageList.1.snapshotInstanceNo=%2A%2A%2A%2A%2A4697&responseFormatType=json"),
    ("minimal: name and base storage",
     CreateImageRequest("img-1", (BASE,)),
     f"serverImageName=img-1&{B1}"),
    ("space is '+'",
     CreateImageRequest("img-1", (BASE,), description="a b"),
     f"serverImageName=img-1&serverImageDescription=a+b&{B1}"),
    ("a literal plus is %2B",
     CreateImageRequest("img-1", (BASE,), description="1+1"),
     f"serverImageName=img-1&serverImageDescription=1%2B1&{B1}"),
    ("unreserved characters pass through",
     CreateImageRequest("img-1", (BASE,), description="a-b_c.d~e"),
     f"serverImageName=img-1&serverImageDescription=a-b_c.d~e&{B1}"),
    ("reserved characters are escaped",
     CreateImageRequest("img-1", (BASE,), description="&=?/#%*"),
     f"serverImageName=img-1&serverImageDescription=%26%3D%3F%2F%23%25%2A&{B1}"),
    ("multi-byte text is UTF-8 percent-encoded",
     CreateImageRequest("img-1", (BASE,), description="説明"),
     f"serverImageName=img-1&serverImageDescription=%E8%AA%AC%E6%98%8E&{B1}"),
    ("four-byte UTF-8",
     CreateImageRequest("img-1", (BASE,), description="\U0001f600"),
     f"serverImageName=img-1&serverImageDescription=%F0%9F%98%80&{B1}"),
    ("empty description is sent empty",
     CreateImageRequest("img-1", (BASE,), description=""),
     f"serverImageName=img-1&serverImageDescription=&{B1}"),
    ("new empty additional storage",
     CreateImageRequest("img-1", (BASE, BlockStorage(1, None, 100, "CB1", empty=True))),
     f"serverImageName=img-1&{B1}&blockStorageList.2.order=1"
     "&blockStorageList.2.blockStorageSize=100&blockStorageList.2.blockStorageVolumeTypeCode=CB1"
     "&blockStorageList.2.emptyBlockStorage=true"),
    ("attached snapshot with a changed type",
     CreateImageRequest("img-1", (BASE, BlockStorage(1, "1000003", 200, "FB2", empty=False))),
     f"serverImageName=img-1&{B1}&blockStorageList.2.order=1"
     "&blockStorageList.2.snapshotInstanceNo=1000003&blockStorageList.2.blockStorageSize=200"
     "&blockStorageList.2.blockStorageVolumeTypeCode=FB2&blockStorageList.2.emptyBlockStorage=false"),
    ("the base need not come first: N is not the order",
     CreateImageRequest("img-1", (BlockStorage(1, None, 10, "CB2", empty=True), BASE)),
     "serverImageName=img-1&blockStorageList.1.order=1&blockStorageList.1.blockStorageSize=10"
     "&blockStorageList.1.blockStorageVolumeTypeCode=CB2&blockStorageList.1.emptyBlockStorage=true"
     "&blockStorageList.2.order=0&blockStorageList.2.snapshotInstanceNo=1000001"),
    ("region and xml format",
     CreateImageRequest("img-1", (BASE,), "JPN", None, "xml"),
     f"regionCode=JPN&serverImageName=img-1&{B1}&responseFormatType=xml"),
    ("no storage at all (invalid, yet expressible)",
     CreateImageRequest("img-1"),
     "serverImageName=img-1"),
]


@pytest.mark.parametrize(("name", "request_value", "wire"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_encode(name: str, request_value: CreateImageRequest, wire: str) -> None:
    assert encode(request_value) == wire


@pytest.mark.parametrize(("name", "request_value", "wire"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_decode(name: str, request_value: CreateImageRequest, wire: str) -> None:
    assert decode_request(wire) == request_value


def test_seed_example_url_as_printed_decodes() -> None:
    # The seed's curl line sends '*' unescaped; both spellings mean the same request.
    printed = ("regionCode=KR&serverImageName=test-***&blockStorageList.1.order=0"
               "&blockStorageList.1.snapshotInstanceNo=*****4697&responseFormatType=json")
    assert decode_request(printed) == GOLDEN[0][1]


def test_go_sdk_post_body() -> None:
    request = CreateImageRequest("img-1", (BASE,), "KR", "a b")
    body = go_sdk_form_body(request)
    assert body == ("responseFormatType=json&regionCode=KR&serverImageName=img-1"
                    f"&serverImageDescription=a+b&{B1}")
    assert decode_request(body) == CreateImageRequest("img-1", (BASE,), "KR", "a b", "json")


RAW: list[tuple[str, Params, str]] = [
    ("duplicate key", (("serverImageName", "a"), ("serverImageName", "b")),
     "serverImageName=a&serverImageName=b"),
    ("gap and junk index", (("blockStorageList.1.order", "0"), ("blockStorageList.3.order", "1"),
                            ("blockStorageList.x.order", "2")),
     "blockStorageList.1.order=0&blockStorageList.3.order=1&blockStorageList.x.order=2"),
    ("unknown key with an odd name", (("no Block&Storage", "true"),),
     "no+Block%26Storage=true"),
]


@pytest.mark.parametrize(("name", "params", "wire"), RAW, ids=[r[0] for r in RAW])
def test_raw_wire_both_directions(name: str, params: Params, wire: str) -> None:
    assert encode(params) == wire
    assert decode(wire) == params


@pytest.mark.parametrize(("wire", "names"), [
    ("serverImageName=a&serverImageName=b", "serverImageName is sent twice"),
    ("blockStorageList.x.order=0", "blockStorageList.x.order: the list index 'x'"),
    ("blockStorageList.1.order=0&blockStorageList.3.order=1", "indexes [1, 3]"),
    ("noBlockStorage=true", "noBlockStorage is not a parameter"),
    ("blockStorageList.1.order=007", "blockStorageList.1.order='007' is not an integer"),
    ("blockStorageList.1.emptyBlockStorage=True",
     "blockStorageList.1.emptyBlockStorage='True' is not true or false"),
])
def test_decode_request_names_the_key(wire: str, names: str) -> None:
    with pytest.raises(WireError, match=names.replace("[", r"\[").replace("]", r"\]")):
        decode_request(wire)


def test_decode_tolerates_garbage() -> None:
    assert decode("a&&=b&%zz=%FF&c=%E3%81") == (("a", ""), ("", "b"), ("%zz", "\ufffd"),
                                                  ("c", "\ufffd"))
    assert decode(b"name=\xff") == (("name", "\ufffd"),)


def test_encode_refuses_unencodable_text_and_names_the_key() -> None:
    with pytest.raises(WireError, match="serverImageDescription"):
        encode(CreateImageRequest("img-1", (BASE,), description="\ud800"))


def test_an_entry_with_nothing_set_is_refused_not_dropped() -> None:
    with pytest.raises(WireError, match=r"blockStorageList\.2 has no field set"):
        encode(CreateImageRequest("img-1", (BASE, BlockStorage())))


text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
storages = st.builds(
    BlockStorage,
    order=st.none() | st.integers(-5, 30),
    snapshot_instance_no=st.none() | text,
    size_gb=st.none() | st.integers(-10, 20000),
    volume_type=st.none() | text,
    empty=st.none() | st.booleans(),
).filter(lambda b: b != BlockStorage())
requests_ = st.builds(
    CreateImageRequest,
    server_image_name=st.none() | text,
    block_storages=st.lists(storages, max_size=22).map(tuple),
    region_code=st.none() | text,
    description=st.none() | text,
    response_format=st.none() | text,
)


@given(requests_)
def test_round_trip_typed(request_value: CreateImageRequest) -> None:
    assert decode_request(encode(request_value)) == request_value


@given(st.lists(st.tuples(text, text), max_size=10).map(tuple))
def test_round_trip_raw(params: Params) -> None:
    assert decode(encode(params)) == params


@given(st.binary(max_size=200))
def test_decode_never_raises(data: bytes) -> None:
    assert isinstance(decode(data), tuple)


@given(requests_)
def test_encode_params_order_is_the_sdks(request_value: CreateImageRequest) -> None:
    keys = [k for k, _ in encode_params(request_value)]
    tops = [k for k in keys if not k.startswith("blockStorageList.")]
    expected = [k for k in ("regionCode", "serverImageName", "serverImageDescription",
                            "responseFormatType") if k in tops]
    assert tops == expected
    if "responseFormatType" in keys:
        assert keys[-1] == "responseFormatType"


@pytest.mark.parametrize(("key", "label", "field", "index", "well_formed"), [
    ("blockStorageList.1.order", "1", "order", 1, True),
    ("blockStorageList.21.blockStorageSize", "21", "blockStorageSize", 21, True),
    ("blockStorageList.01.order", "01", "order", None, False),
    ("blockStorageList.-1.order", "-1", "order", None, False),
    ("blockStorageList..order", "", "order", None, False),
    ("blockStorageList.1.", "1", "", 1, False),
    ("blockStorageList.1.or-der", "1", "or-der", 1, False),
    ("blockStorageList.\uff11.order", "\uff11", "order", None, False),
    ("blockStorageList.9999999999.order", "9999999999", "order", None, False),
])
def test_one_grammar_for_list_keys(key: str, label: str, field: str, index: int | None,
                                   well_formed: bool) -> None:
    parsed = parse_entry_key(key)
    assert parsed == EntryKey(label, field)
    assert (parsed.index, parsed.well_formed) == (index, well_formed)
    if well_formed:
        assert entry_key(parsed.label, parsed.field) == key


@pytest.mark.parametrize("key", ["blockStorageList.1", "blockStorageList.1.order.x",
                                 "blockStorageListX.1.order", "serverImageName", ""])
def test_other_keys_are_not_list_keys(key: str) -> None:
    assert parse_entry_key(key) is None
