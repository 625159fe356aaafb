"""The OpenAPI description: valid OAS 3.2, loads in schemathesis, encodes the wire right."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import OpenAPIV32SpecValidator
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from harness.contract.model import ACTION, NEIGHBOUR_ACTIONS, BlockStorage, CreateImageRequest
from harness.contract.oracle import Outcome, judge
from harness.contract.reference import NOTES
from harness.contract.rules import RULES
from harness.contract.wire import decode, encode_params
from harness.sim.scenario import sample_account
from harness.spec.build import render
from harness.spec.openapi import generation_view, load_spec, spec_path, validator
from tests.helpers import typed_params, valid_requests

ACTIONS = ["createServerImageFromSnapshot", "getBlockStorageSnapshotInstanceList",
           "getBlockStorageVolumeTypeList", "getServerImageList", "getServerImageDetail",
           "deleteServerImage", "getRegionList"]
PARAMS = "CreateServerImageFromSnapshotParams"
WIRE_KEY = re.compile(
    r"(regionCode|serverImageName|serverImageDescription|responseFormatType"
    r"|blockStorageList\.([1-9]|1[0-9]|2[01])\.(order|snapshotInstanceNo|blockStorageSize"
    r"|blockStorageVolumeTypeCode|emptyBlockStorage))")


def test_committed_file_is_what_the_generator_writes() -> None:
    assert spec_path().read_text(encoding="utf-8") == render(), (
        "openapi/ is stale: run `python -m harness.spec.build --write`")


def test_valid_openapi_3_2() -> None:
    spec = load_spec()
    assert spec["openapi"] == "3.2.0"
    errors = list(OpenAPIV32SpecValidator(spec).iter_errors())
    assert errors == []


def test_every_action_has_get_and_post() -> None:
    paths = load_spec()["paths"]
    for action in ACTIONS:
        assert set(paths[f"/vserver/v2/{action}"]) == {"get", "post"}, action


def test_signing_headers_are_the_security_scheme() -> None:
    schemes = load_spec()["components"]["securitySchemes"]
    names = {s["name"] for s in schemes.values()}
    assert names == {"x-ncp-apigw-timestamp", "x-ncp-iam-access-key",
                     "x-ncp-apigw-signature-v2", "x-ncp-apigw-signature-v1"}


def test_every_request_parameter_names_its_seed_rule() -> None:
    props = load_spec()["components"]["schemas"][PARAMS]["properties"]
    assert len(props) == 4 + 21 * 5
    for key, schema in props.items():
        assert str(schema.get("x-seed-rule", "")).startswith("SEED-R"), key


def test_every_seed_rule_is_cited_in_the_description() -> None:
    text = spec_path().read_text(encoding="utf-8")
    for rule in RULES:
        assert rule in text, rule


def test_success_and_error_bodies_in_both_formats() -> None:
    op = load_spec()["paths"]["/vserver/v2/createServerImageFromSnapshot"]["get"]
    assert set(op["responses"]["200"]["content"]) == {"application/json", "application/xml"}
    assert set(op["responses"]["400"]["content"]) == {"application/json", "application/xml"}
    for status in ("401", "403", "404", "413", "429", "503", "504"):
        assert set(op["responses"][status]["content"]) == {"application/json"}, status


def test_xml_is_the_default_response_format() -> None:
    # SEED-S6 and SEED-R10: xml unless responseFormatType=json.
    props = load_spec()["components"]["schemas"][PARAMS]["properties"]
    assert props["responseFormatType"]["default"] == "xml"
    assert props["responseFormatType"]["enum"] == ["xml", "json"]
    assert "SEED-S6" in props["responseFormatType"]["x-seed-rule"]


def _full_schema_errors(request: CreateImageRequest) -> list[str]:
    return [e.message for e in validator(PARAMS).iter_errors(
        typed_params(encode_params(request)))]


BASE = BlockStorage(0, "1000001")


def test_full_schema_accepts_the_seed_example_request() -> None:
    seed = CreateImageRequest("test-img", (BlockStorage(0, "1234564697"),), "KR", None, "json")
    assert _full_schema_errors(seed) == []


@pytest.mark.parametrize(("rule", "request_value"), [
    ("SEED-R4 two bases", CreateImageRequest("img-1", (BASE, BASE))),
    ("SEED-R4 no base", CreateImageRequest("img-1", (BlockStorage(1, None, 10, "CB1", True),))),
    ("SEED-R5 base without snapshot", CreateImageRequest("img-1", (BlockStorage(0, None, 10),))),
    ("SEED-R7 new without size",
     CreateImageRequest("img-1", (BASE, BlockStorage(1, None, None, "CB1", True)))),
    ("SEED-R8 type on base",
     CreateImageRequest("img-1", (BlockStorage(0, "1", None, "CB1"),))),
    ("SEED-R8 new without type",
     CreateImageRequest("img-1", (BASE, BlockStorage(1, None, 10, None, True)))),
    ("SEED-R9 flag on base", CreateImageRequest("img-1", (BlockStorage(0, "1", empty=False),))),
    ("SEED-R9 false without snapshot",
     CreateImageRequest("img-1", (BASE, BlockStorage(1, None, 10, "CB1", False)))),
    ("SEED-R2 name", CreateImageRequest("Img", (BASE,))),
    ("SEED-R7 step", CreateImageRequest("img-1", (BASE, BlockStorage(1, None, 15, "CB1", True)))),
])
def test_full_schema_rejects_per_entry_breaches(
    rule: str, request_value: CreateImageRequest,
) -> None:
    assert _full_schema_errors(request_value), rule
    assert judge(request_value, sample_account()).outcome is Outcome.REJECT


@given(valid_requests(sample_account()))
def test_what_the_oracle_accepts_the_full_schema_accepts(request_value: CreateImageRequest) -> None:
    assert judge(request_value, sample_account()).outcome is Outcome.ACCEPT
    assert _full_schema_errors(request_value) == []


def test_loads_in_schemathesis_4() -> None:
    assert int(schemathesis.__version__.split(".")[0]) == 4
    loaded = schemathesis.openapi.from_path(str(spec_path()))
    operations = set()
    for result in loaded.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operations.add((result.ok().path, result.ok().method.upper()))
    assert len(operations) == len(ACTIONS) * 2


def _wire_of(case: Any) -> tuple[str, str]:
    kwargs = case.as_transport_kwargs(base_url="http://127.0.0.1:9")
    prepared = requests.Request(method=kwargs["method"], url=kwargs["url"],
                                params=kwargs.get("params"), data=kwargs.get("data"),
                                headers=kwargs.get("headers")).prepare()
    if prepared.method == "GET":
        return "GET", (prepared.url or "").partition("?")[2]
    assert prepared.headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = prepared.body or ""
    return "POST", body if isinstance(body, str) else body.decode()


@pytest.mark.slow
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_generates_indexed_keys(method: str, mode: GenerationMode) -> None:
    loaded = schemathesis.openapi.from_dict(generation_view())
    operation = loaded["/vserver/v2/createServerImageFromSnapshot"][method]
    seen: list[tuple[str, str]] = []

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        seen.append(_wire_of(case))

    collect()
    assert len(seen) >= 10
    entry_keys = 0
    for sent_method, wire in seen:
        assert sent_method == method
        for key, value in decode(wire):
            if mode is GenerationMode.POSITIVE:
                assert WIRE_KEY.fullmatch(key), key
                if key.endswith(".emptyBlockStorage"):
                    assert value in ("true", "false")
            entry_keys += key.startswith("blockStorageList.")
            assert not key.startswith("blockStorageList=")
    assert entry_keys > 0


def test_generation_view_keeps_keys_and_drops_only_cross_key_rules() -> None:
    full = load_spec()["components"]["schemas"][PARAMS]
    view = generation_view()["components"]["schemas"][PARAMS]
    assert view["properties"] == full["properties"]
    assert view["required"] == full["required"]
    assert not {"allOf", "oneOf", "dependentRequired"} & set(view)
    assert {"allOf", "oneOf", "dependentRequired"} <= set(full)


@pytest.mark.slow
def test_the_wheel_carries_the_description_and_default_scenario(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d",
                    str(tmp_path)], cwd=root, check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "harness/openapi/ncp-vserver-v2.yaml" in names
    assert "harness/scenarios/default.toml" in names



_CONSTRAINTS = frozenset({"type", "pattern", "format", "minimum", "maximum", "enum", "const",
                          "minLength", "maxLength", "required", "anyOf", "oneOf"})
_SOURCES = frozenset({"x-seed-rule", "x-source", "x-lenient"})


def _unsourced(node: Any, path: str, inherited: bool) -> list[str]:
    """Schema nodes with a constraint and no source; branches of anyOf/items inherit one."""
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _unsourced(v, f"{path}/{i}", inherited)]
    if not isinstance(node, dict):
        return []
    sourced = bool(_SOURCES & node.keys()) or inherited
    found = [path] if _CONSTRAINTS & node.keys() and not sourced else []
    for key, value in node.items():
        if key == "properties":
            found += [p for name, prop in value.items()
                      for p in _unsourced(prop, f"{path}/{name}", False)]
        elif key in ("anyOf", "oneOf", "allOf", "items"):
            found += _unsourced(value, f"{path}/{key}", sourced)
    return found


def test_every_response_constraint_names_its_source() -> None:
    # Issue 16: the seed, a reference page, or an x-lenient note (an assumption or an
    # Optional field, whose breach is a finding). Request schemas are the oracle's.
    schemas = load_spec()["components"]["schemas"]
    responses = {name: s for name, s in schemas.items() if not name.endswith("Params")}
    assert [p for name, s in responses.items() for p in _unsourced(s, name, False)] == []
    lenient = re.findall(r"x-lenient: (\S+)", spec_path().read_text(encoding="utf-8"))
    assert lenient
    assert set(lenient) <= set(NOTES)


def test_the_description_documents_exactly_the_neighbour_actions() -> None:
    # harness.contract.model.NEIGHBOUR_ACTIONS is the one list; specgen's table must agree with it.
    paths = {path.rpartition("/")[2] for path in load_spec()["paths"]}
    assert paths == {ACTION, *NEIGHBOUR_ACTIONS}


def test_get_server_image_list_accepts_every_documented_filter() -> None:
    """The filters getServerImageList's page lists (api.ncloud-docs.com, en/ja, 2026-09-17)."""
    params = {"regionCode": "KR", "serverImageNoList.1": "1234", "serverImageNoList.2": "2345",
              "serverImageName": "img", "serverImageStatusCode": "CREAT",
              "serverImageTypeCodeList.1": "NCP", "hypervisorTypeCodeList.1": "XEN",
              "hypervisorTypeCodeList.2": "KVM", "osTypeCodeList.1": "CENTOS",
              "osTypeCodeList.2": "UBUNTU", "platformCategoryCodeList.1": "OS",
              "platformCategoryCodeList.2": "GPU", "pageNo": 0, "pageSize": 1000,
              "sortedBy": "serverImageName", "sortingOrder": "descending",
              "responseFormatType": "json"}
    check = validator("GetServerImageListParams")
    assert [e.message for e in check.iter_errors(params)] == []
    assert [e.message for e in check.iter_errors({**params, "hypervisorTypeCodeList.1": "RHV"})
            ] == []  # a code list is open: the government site's RHV passes
    assert list(check.iter_errors({**params, "pageSize": 1001}))
    assert list(check.iter_errors({**params, "serverImageFilter": "x"}))  # not documented
