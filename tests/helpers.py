"""Strategies and helpers shared by several test modules (not fixtures: see conftest.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from harness.contract.account import Account
from harness.contract.model import BlockStorage, CreateImageRequest, Params
from harness.contract.wire import encode
from harness.core.signing import sign
from harness.sim import SimResponse, Simulator
from harness.spec.openapi import load_spec, resolve


def valid_requests(account: Account) -> st.SearchStrategy[CreateImageRequest]:
    """Requests valid by construction for `account`, kept small: the oracle must accept."""
    usable = [s for s in account.snapshots
              if s.bootable and s.hypervisor == "KVM" and s.status == "CREAT"]

    @st.composite
    def build(draw: Any) -> CreateImageRequest:
        base_snap = draw(st.sampled_from(usable))
        base_size = draw(st.none() | st.integers(-(-base_snap.size_gb // 10), 1638).map(
            lambda n: n * 10))
        base = BlockStorage(0, base_snap.instance_no, base_size)
        extra = []
        for order in range(1, draw(st.integers(0, 20)) + 1):
            if draw(st.booleans()):
                extra.append(BlockStorage(order, None, draw(st.integers(1, 1638)) * 10,
                                          draw(st.sampled_from(["CB1", "CB2", "FB1", "FB2"])),
                                          empty=True))
            else:
                snap = draw(st.sampled_from(usable))
                extra.append(BlockStorage(order, snap.instance_no, None,
                                          draw(st.none() | st.sampled_from(["CB2", "FB1"])),
                                          empty=False))
        storages = [base, *extra]
        position = draw(st.integers(0, len(extra)))
        storages.insert(position, storages.pop(0))
        name = draw(st.from_regex(r"[a-z][a-z0-9-]{1,28}[a-z0-9]", fullmatch=True))
        description = draw(st.none() | st.text(max_size=333))
        return CreateImageRequest(name, tuple(storages), draw(st.none() | st.just("KR")),
                                  description, draw(st.sampled_from([None, "xml", "json"])))

    return build()


def typed_params(params: Params) -> dict[str, Any]:
    """Wire parameters as the JSON value the OpenAPI request schema describes."""
    props = load_spec()["components"]["schemas"]["CreateServerImageFromSnapshotParams"][
        "properties"]
    typed: dict[str, Any] = {}
    for key, value in params:
        kind = resolve(props[key]).get("type") if key in props else None
        if kind == "integer" and value.lstrip("-").isdigit():
            typed[key] = int(value)
        elif kind == "boolean" and value in ("true", "false"):
            typed[key] = value == "true"
        else:
            typed[key] = value
    return typed


def signed_call(sim: Simulator, method: str, action: str, params: Params = (),
                *, body: bytes | None = None, header: str = "x-ncp-apigw-signature-v2",
                headers: dict[str, str] | None = None) -> SimResponse:
    """Send `params` to the simulator as GET query or POST form body, signed with its key."""
    path = f"/vserver/v2/{action}"
    wire = encode(params)
    target = f"{path}?{wire}" if method == "GET" and wire else path
    if body is None:
        body = wire.encode() if method == "POST" else b""
    creds = sim.credentials
    assert creds is not None
    sent = {"Content-Type": "application/x-www-form-urlencoded",
            **sign(method, target, creds, header=header), **(headers or {})}
    return sim.handle(method, target, sent, body)
