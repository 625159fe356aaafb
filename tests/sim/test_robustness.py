"""No input makes the simulator answer 5xx or raise: arbitrary wire, signed and unsigned."""

from __future__ import annotations

import socket
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.core.signing import sign
from harness.sim import Simulator
from harness.sim.actions import ACTIONS
from harness.sim.faults import FAULTS
from harness.sim.scenario import default_scenario
from harness.sim.server import running

CREDS = default_scenario().credentials
KEYS = ["serverImageName", "serverImageDescription", "regionCode", "responseFormatType",
        "serverImageNo", "serverImageNoList.1", "serverImageNoList.x", "isBootable", "pageNo",
        "pageSize", "hypervisorTypeCodeList.1", "blockStorageSnapshotInstanceNoList.1",
        *[f"blockStorageList.{n}.{f}" for n in ("1", "2", "21", "22", "0", "01", "a", "")
          for f in ("order", "snapshotInstanceNo", "blockStorageSize",
                    "blockStorageVolumeTypeCode", "emptyBlockStorage", "noBlockStorage")],
        "serverImageNoList." + "1" * 5000, "blockStorageList." + "9" * 5000 + ".order"]
VALUES = st.one_of(
    st.sampled_from(["0", "1", "20", "21", "-1", "1000001", "1000003", "1000004", "1000005",
                     "CB1", "true", "false", "True", "", "img-1", "KR", "json", "xml", "10",
                     "2000001", "99999999999999999999999", "%", "%zz", "%FF%FE", "+", "\x00"]),
    st.text(max_size=40),
    st.text(min_size=5000, max_size=20000, alphabet="ab%"),
    # Past int()'s 4300-digit limit, and digits int() does not read: each once crashed it.
    st.sampled_from(["9" * 5000, "\u00b2", "\u0661\u0662", "1" * 10]),
)
PAIRS = st.lists(st.tuples(st.sampled_from(KEYS) | st.text(max_size=10), VALUES), max_size=25)
RAW_WIRE = st.one_of(
    PAIRS.map(lambda pairs: "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)),
    PAIRS.map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)),  # unescaped, odd
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
)
ACTION_NAMES = st.sampled_from([*ACTIONS, "nope", ""])


@given(ACTION_NAMES, st.sampled_from(["GET", "POST"]), RAW_WIRE, st.binary(max_size=400),
       st.sampled_from([None, *(f.name for f in FAULTS if f.kind != "crash")]))
def test_signed_garbage_never_gets_5xx(action: str, method: str, query: str, body: bytes,
                                       fault: str | None) -> None:
    sim = Simulator(fault=fault)  # a named fault bends the answers, never breaks the service
    assert CREDS is not None
    target = f"/vserver/v2/{action}" + (f"?{query}" if query else "")
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               **sign(method, target, CREDS)}
    response = sim.handle(method, target, headers, body)
    assert 200 <= response.status < 500
    assert response.body


@given(ACTION_NAMES, RAW_WIRE, RAW_WIRE)
def test_form_bodies_of_garbage_never_get_5xx(action: str, query: str, form: str) -> None:
    sim = Simulator()
    assert CREDS is not None
    target = f"/vserver/v2/{action}"
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               **sign("POST", target, CREDS)}
    assert sim.handle("POST", target, headers, form.encode("utf-8", "replace")).status < 500
    assert sim.handle("POST", target + f"?{query}", headers, b"").status < 500


@given(st.text(max_size=30), st.text(max_size=200),
       st.dictionaries(st.text(max_size=30), st.text(max_size=60), max_size=6),
       st.binary(max_size=200))
def test_unsigned_anything_never_gets_5xx(method: str, target: str, headers: dict[str, str],
                                          body: bytes) -> None:
    response = Simulator().handle(method, target, headers, body)
    assert 200 <= response.status < 500


def test_the_server_survives_malformed_http() -> None:
    junk = [b"GARBAGE\r\n\r\n",
            b"GET /vserver/v2/getRegionList HTTP/1.1\r\nContent-Length: x\r\n\r\n",
            b"POST /vserver/v2/getRegionList HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", b""]
    with running() as server:
        host, port = server.server_address[:2]
        for payload in junk:
            with socket.create_connection((str(host), port), timeout=5) as conn:
                conn.sendall(payload)
                conn.shutdown(socket.SHUT_WR)
                answer = conn.recv(4096)
                assert not answer.startswith(b"HTTP/1.1 5"), answer[:80]
                assert not answer.startswith(b"HTTP/1.0 5"), answer[:80]
        with socket.create_connection((str(host), port), timeout=5) as conn:
            conn.sendall(b"GET /vserver/v2/getRegionList HTTP/1.1\r\nHost: x\r\n"
                         b"Connection: close\r\n\r\n")
            assert conn.recv(4096).startswith(b"HTTP/1.1 401")


@pytest.mark.parametrize(("target", "fault"), [
    ("/vserver/v2/getServerImageList?pageNo=" + "9" * 5000, None),
    ("/vserver/v2/getServerImageList?pageNo=%C2%B2", None),
    ("/vserver/v2/getServerImageList?serverImageNoList." + "1" * 5000 + "=1", None),
    ("/vserver/v2/createServerImageFromSnapshot?serverImageName=img-1"
     "&blockStorageList.1.order=0&blockStorageList.1.snapshotInstanceNo=1000001"
     "&blockStorageList.1.blockStorageSize=" + "9" * 5000, "ignores-size-limits"),
], ids=["huge-page", "superscript-page", "huge-list-index", "huge-size-let-through"])
def test_numbers_int_cannot_read_are_refused_not_crashed_on(target: str,
                                                          fault: str | None) -> None:
    assert CREDS is not None
    response = Simulator(fault=fault).handle("GET", target, sign("GET", target, CREDS))
    assert 200 <= response.status < 500
