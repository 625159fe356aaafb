"""The response, error and neighbour-action schemas of the OpenAPI description.

Success bodies follow SEED-S1..S4 and ncp-api.md section 3, with section 8's
contradictions resolved as that page says: the wrapper is `<action>Response` (the
example), instance numbers may be a number or a digit string, sizes are bytes.
Schemas describe the JSON shape; in XML every list is wrapped twice
(`<serverImageList><serverImage>`), which the `xml` objects say.
"""

from __future__ import annotations

from typing import Any

__all__ = ["components_schemas", "list_result", "wrapper"]

REF = "#/components/schemas/"
UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
NEIGHBOURS_SOURCE = "ncp-api.md section 5 (neighbour actions a live run needs)"
COMMON_CODE = ("CommonCode (api.ncloud-docs.com, ko and ja): code String Required, codeName"
               " String Required")
SNAPSHOT = ("BlockStorageSnapshotInstance (api.ncloud-docs.com, en/ja/ko, updated 2026-09-17):"
            " every field this schema requires is marked Required")
ERRORS = "Server API common errors (ncp-api.md section 4)"
REGION = ("Region (api.ncloud-docs.com, VPC, en/ja/ko, updated 2026-09-17): regionCode and"
          " regionName String Required")
CREATE_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}$"

# The list each action answers with, and the XML element of one row.
LISTS: dict[str, tuple[str, str, str]] = {
    "ServerImageListResult": ("serverImageList", "serverImage", "ServerImage"),
    "ListedServerImageListResult": ("serverImageList", "serverImage", "ListedServerImage"),
    "BlockStorageSnapshotInstanceListResult": (
        "blockStorageSnapshotInstanceList", "blockStorageSnapshotInstance",
        "BlockStorageSnapshotInstance"),
    "BlockStorageVolumeTypeListResult": (
        "blockStorageVolumeTypeList", "blockStorageVolumeType", "BlockStorageVolumeType"),
    "RegionListResult": ("regionList", "region", "Region"),
}


def wrapper(action: str) -> str:
    """Name of the JSON wrapper schema of an action's success body."""
    return action[0].upper() + action[1:] + "Response"


def _lenient(note: str, **constraint: Any) -> dict[str, Any]:
    """A constraint whose breach is a finding citing `note` (contract.reference.SHAPE_NOTES).

    It sits in a node of its own (under `allOf`) so the validator's error names the node;
    the lenient view of the description (harness.spec.openapi) drops such nodes.
    """
    return {**constraint, "x-lenient": note}


def _ref(name: str, **extra: Any) -> dict[str, Any]:
    return {"$ref": REF + name, **extra}


def _code(enum: list[str] | None = None, rule: str = "SEED-S3") -> dict[str, Any]:
    if enum is None:
        return _ref("CodeName", **{"x-seed-rule": rule})
    return {"allOf": [_ref("CodeName")], "properties": {"code": {"enum": enum}},
            "x-seed-rule": rule}


def _instance_no(rule: str) -> dict[str, Any]:
    return {"type": "string", "pattern": "^[0-9]+$", "x-seed-rule": rule}


def _list(row: str, element: str, list_name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": _ref(row, xml={"name": element}),
            "xml": {"name": list_name, "nodeType": "element"}, **extra}


def list_result(action: str, result: str) -> dict[str, Any]:
    """The JSON success body of `action`: one key, `<action>Response`, around `result`."""
    key = f"{action}Response"
    return {"type": "object", "required": [key], "properties": {key: _ref(result)},
            "x-seed-rule": "SEED-S1"}


def _result(list_name: str, element: str, row: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["requestId", "returnCode", "returnMessage", "totalRows", list_name],
        "properties": {
            "requestId": {"type": "string", "pattern": f"^$|{UUID}", "x-seed-rule": "SEED-S2",
                          "allOf": [_lenient("REF-requestId-empty", pattern=UUID,
                                             format="uuid")]},
            "returnCode": {"type": "string", "const": "0", "x-seed-rule": "SEED-S2"},
            "returnMessage": {"type": "string", "x-seed-rule": "SEED-S2"},
            "totalRows": {"type": "integer", "minimum": 0, "x-seed-rule": "SEED-S2"},
            list_name: _list(row, element, list_name, **{"x-seed-rule": "SEED-S2"}),
        },
        "x-seed-rule": "SEED-S2",
    }


def _server_image() -> dict[str, Any]:
    codes = ["serverImageType", "serverImageLifeCyclePhase", "hypervisorType",
             "cpuArchitectureType", "osCategoryType", "osType", "serverImageStatus",
             "serverImageOperation", "shareStatus"]
    required = ["serverImageNo", "serverImageName",
                *(c for c in codes if c != "serverImageLifeCyclePhase"), "serverImageStatusName",
                "blockStorageMappingList", "sharedLoginIdList", "serverImageProductCode",
                "createDate"]
    return {
        "type": "object",
        "required": required,
        "allOf": [_lenient("REF-lifecycle-phase", required=["serverImageLifeCyclePhase"]),
                  _lenient("REF-platform-category", required=["platformCategoryCode"])],
        "properties": {
            "serverImageNo": _instance_no("SEED-S3"),
            "serverImageName": {"type": "string", "minLength": 1, "x-seed-rule": "SEED-S3"},
            "serverImageDescription": {"type": "string", "x-source": "ServerImage (api.ncloud-"
                                       "docs.com, en, 2026-09-17): String, Optional",
                                       "description": "Not in the seed's example; echoed"
                                       " when the request sent one."},
            # Code lists are open: a code the reference does not list is a finding
            # (harness.contract.reference), never a schema violation.
            "serverImageType": _code(),
            "serverImageLifeCyclePhase": _code(),
            "hypervisorType": _code(),
            "cpuArchitectureType": _code(),
            "osCategoryType": _code(),
            "osType": _code(),
            "serverImageStatus": _code(),
            "serverImageOperation": _code(),
            "serverImageStatusName": {"type": "string", "x-seed-rule": "SEED-S3"},
            "shareStatus": _code(),
            "blockStorageMappingList": _list("BlockStorageMapping", "blockStorageMapping",
                                             "blockStorageMappingList",
                                             **{"x-seed-rule": "SEED-S3"}),
            "sharedLoginIdList": {
                "type": "array", "items": {"type": "string", "xml": {"name": "sharedLoginId"}},
                "xml": {"name": "sharedLoginIdList", "nodeType": "element"},
                "x-seed-rule": "SEED-S3",
                "x-assumed": "XML child element sharedLoginId (ncp-api.md section 3)"},
            "serverImageProductCode": {"type": "string", "x-seed-rule": "SEED-S3"},
            "createDate": {"type": "string", "pattern": CREATE_DATE, "x-seed-rule": "SEED-S3",
                           "description": "2025-06-26T10:33:37+0900 style (no colon in the"
                           " offset, so not RFC 3339 date-time)."},
            "platformCategoryCode": {"type": "string", "x-seed-rule": "SEED-S3"},
        },
        "x-seed-rule": "SEED-S3",
    }


def _listed_server_image() -> dict[str, Any]:
    """A row of an unfiltered getServerImageList: the account's images and NCP's own.

    NCP's public images come in older shapes (an XEN image without a mapping list or a
    lifecycle phase): a row is held to what every version of the ServerImage page requires
    of any image, not to SEED-S3's list for the image a create answers with.
    """
    row = _server_image()
    row["required"] = ["serverImageNo", "serverImageName", "serverImageType",
                       "hypervisorType", "serverImageStatus", "createDate"]
    row["x-source"] = ("ServerImage (api.ncloud-docs.com, en and ja, updated 2026-09-17, and"
                       " its older ja version): the fields every version marks Required;"
                       " docs/reference.md")
    del row["x-seed-rule"], row["allOf"]
    row["properties"]["blockStorageMappingList"] = _list(
        "ListedBlockStorageMapping", "blockStorageMapping", "blockStorageMappingList",
        **{"x-source": row["x-source"]})
    return row


def _listed_mapping() -> dict[str, Any]:
    """A mapping of a listed image: what the BlockStorageMapping page marks Required only.

    SEED-S4's fuller list is for the image a create answers with; NCP's own images carry
    no snapshot, and their mappings no iops or throughput.
    """
    row = _mapping()
    del row["allOf"]
    return row


def _mapping() -> dict[str, Any]:
    source = "BlockStorageMapping (api.ncloud-docs.com, en/ko/ja, updated 2026-09-17)"
    absent = {"type": "string", "maxLength": 0,
              "description": "An absent value as NCP writes it: \"\" (ncp-api.md section 9)"}
    return {
        "type": "object",
        "required": ["order", "blockStorageSize", "blockStorageVolumeType", "isEncryptedVolume"],
        "x-source": source + ": order, blockStorageSize, blockStorageVolumeType and"
        " isEncryptedVolume Required; the snapshot number and name, blockStorageName, iops"
        " and throughput Optional",
        "allOf": [
            _lenient("REF-mapping-snapshot-no", required=["blockStorageSnapshotInstanceNo"]),
            _lenient("REF-mapping-snapshot-name", anyOf=[
                {"required": ["blockStorageSnapshotName"]},
                {"required": ["blockStorageSnapshotInstanceName"]}]),
            _lenient("REF-mapping-iops", required=["iops", "throughput"])],
        "properties": {
            "order": {"type": "integer", "minimum": 0, "x-seed-rule": "SEED-S4",
                      "allOf": [_lenient("REF-mapping-order-max", maximum=20)]},
            "blockStorageSnapshotInstanceNo": {
                "anyOf": [{"type": "integer", "minimum": 0},
                          {"type": "string", "pattern": "^[0-9]+$"}, absent],
                "x-seed-rule": "SEED-S4",
                "x-contradiction": "a string in the docs, a bare number in the seed's example,"
                " int32 in the Go SDK (ncp-api.md section 8); both are accepted, and \"\""
                " where there is no snapshot (a new empty storage)"},
            "blockStorageSnapshotName": {"type": "string", "x-seed-rule": "SEED-S4"},
            "blockStorageSnapshotInstanceName": {
                "type": "string", "x-source": source + " (ja and ko spell the name so)"},
            "blockStorageName": {"type": "string", "x-source": source},
            "blockStorageSize": {"type": "integer", "minimum": 0, "x-seed-rule": "SEED-S4",
                                 "description": "Bytes: 10737418240 for a 10 GB request."},
            "blockStorageVolumeType": _code(rule="SEED-S4"),
            "iops": {"type": "integer", "minimum": 0, "x-seed-rule": "SEED-S4",
                     "x-source": source + ": Optional"},
            "throughput": {"type": "integer", "minimum": 0, "x-seed-rule": "SEED-S4",
                           "x-source": source + ": Optional"},
            "isEncryptedVolume": {"type": "boolean", "x-seed-rule": "SEED-S4"},
        },
        "x-seed-rule": "SEED-S4",
    }


def _snapshot_row() -> dict[str, Any]:
    return {
        "type": "object",
        "x-source": SNAPSHOT,
        "required": ["blockStorageSnapshotInstanceNo", "blockStorageSnapshotVolumeSize",
                     "blockStorageSnapshotInstanceStatus", "hypervisorType", "isBootable"],
        "properties": {
            "blockStorageSnapshotInstanceNo": _instance_no("SEED-R5"),
            "blockStorageSnapshotName": {"type": "string", "x-source": SNAPSHOT},
            "blockStorageSnapshotVolumeSize": {"type": "integer", "minimum": 0,
                                               "x-source": SNAPSHOT, "description": "Bytes."},
            "blockStorageSnapshotInstanceStatus": _code(rule="SEED-R5"),
            "hypervisorType": _code(rule="SEED-R11"),
            "isBootable": {"type": "boolean", "x-seed-rule": "SEED-R5"},
            "blockStorageVolumeType": _code(rule="SEED-R8"),
        },
    }


def _volume_type_row() -> dict[str, Any]:
    source = ("BlockStorageVolumeType (api.ncloud-docs.com, en/ko/ja, updated 2026-09-17;"
              " docs/reference.md)")
    size = {"type": "integer", "minimum": 0, "x-source": source,
            "description": "Long: bytes in the reference's example (10737418240 = 10 GB);"
            " some gateways give GB. The unit is learned (harness.contract.volumetypes)."}
    count = {"type": "integer", "minimum": 0, "x-source": source}
    flag = {"type": "boolean", "x-source": source}
    return {
        "type": "object",
        "x-source": source,
        "required": ["blockStorageVolumeType", "hypervisorType", "minVolumeSize",
                     "maxVolumeSize", "minIops", "maxIops", "minThroughput", "maxThroughput",
                     "zoneCodeList"],
        "anyOf": [{"required": [name]} for name in
                  ("isBaseStorageAvailable", "isBasicStorageAvailable", "isAvailableBase")],
        "properties": {
            "blockStorageVolumeType": _code(rule="SEED-R8"),
            "hypervisorType": _code(rule="SEED-R11"),
            "minVolumeSize": size, "maxVolumeSize": size,
            "minBaseVolumeSize": size, "maxBaseVolumeSize": size,
            "minBasicVolumeSize": size, "maxBasicVolumeSize": size,
            "minIops": count, "maxIops": count, "minThroughput": count, "maxThroughput": count,
            "zoneCodeList": {"type": "array", "items": {"type": "string",
                                                        "xml": {"name": "zoneCode"}},
                             "xml": {"name": "zoneCodeList", "nodeType": "element"},
                             "x-source": source,
                             "x-assumed": "XML child element zoneCode"},
            "isBaseStorageAvailable": flag, "isBasicStorageAvailable": flag,
            "isAvailableBase": flag,
        },
    }


def _params(properties: dict[str, Any], *, required: list[str] | None = None,
            lists: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    props = {"regionCode": {"type": "string", "minLength": 1},
             **properties,
             "responseFormatType": {"type": "string", "enum": ["xml", "json"], "default": "xml"}}
    schema: dict[str, Any] = {"type": "object", "properties": props,
                              "additionalProperties": False, "x-source": NEIGHBOURS_SOURCE}
    if lists:
        schema["patternProperties"] = {
            rf"^{name}\.[1-9][0-9]*$": item for name, item in lists.items()}
    if required:
        schema["required"] = required
    return schema


IMAGE_LIST = "getServerImageList (api.ncloud-docs.com, en and ja, updated 2026-09-17; ko)"


def _image_list_params(digits: dict[str, Any]) -> dict[str, Any]:
    """The documented filters, sorting and paging of getServerImageList, every one accepted.

    Code lists are open (harness.contract.reference): the codes the page lists are named in
    the descriptions, never enforced, so another site's or a newer account's codes pass.
    """
    def codes(listed: str) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "x-source": IMAGE_LIST,
                "description": f"codes the page lists: {listed}"}

    schema = _params(
        {"serverImageName": {"type": "string"},
         "serverImageStatusCode": codes("INIT | CREAT | CREFL (ko: INIT | CREAT)"),
         "pageNo": {"type": "integer", "minimum": 0, "x-source": IMAGE_LIST,
                    "description": "0..N, default 0; the first page is 0 or 1"},
         "pageSize": {"type": "integer", "minimum": 1, "maximum": 1000, "x-source": IMAGE_LIST,
                      "description": "1..1000; conditional: required with pageNo"},
         "sortedBy": {"type": "string", "x-source": IMAGE_LIST,
                      "description": "the field to sort by, with sortingOrder"},
         "sortingOrder": {"type": "string", "x-source": IMAGE_LIST,
                          "description": "ascending | descending (case-insensitive, as the"
                          " member image list's page says)"}},
        lists={"serverImageNoList": digits,
               "serverImageTypeCodeList": codes("SELF | NCP"),
               "hypervisorTypeCodeList": codes("XEN | KVM (gov: RHV too)"),
               "osTypeCodeList": codes("CENTOS | UBUNTU | WINDOWS | ROCKY | NAVIX"),
               "platformCategoryCodeList": codes("OS | APP | DBMS | GPU")})
    schema["x-source"] = IMAGE_LIST
    return schema


def components_schemas() -> dict[str, Any]:
    """Every shared schema except the request parameters and the JSON wrappers."""
    digits = {"type": "string", "pattern": "^[0-9]+$"}
    page = {"type": "integer", "minimum": 1}
    schemas: dict[str, Any] = {
        "CodeName": {"type": "object", "required": ["code", "codeName"], "x-source": COMMON_CODE,
                     "properties": {"code": {"type": "string", "x-source": COMMON_CODE},
                                    "codeName": {"type": "string", "x-source": COMMON_CODE}}},
        "ServerImage": _server_image(),
        "ListedServerImage": _listed_server_image(),
        "BlockStorageMapping": _mapping(),
        "ListedBlockStorageMapping": _listed_mapping(),
        "BlockStorageSnapshotInstance": _snapshot_row(),
        "BlockStorageVolumeType": _volume_type_row(),
        "Region": {"type": "object", "required": ["regionCode", "regionName"],
                   "x-source": REGION,
                   "properties": {"regionCode": {"type": "string", "x-seed-rule": "SEED-R1"},
                                  "regionName": {"type": "string", "x-source": REGION}}},
        "ResponseError": {
            "type": "object", "required": ["returnCode", "returnMessage"],
            "properties": {"returnCode": {"type": "string", "x-source": ERRORS, "allOf": [
                               _lenient("REF-return-code-digits", pattern="^[0-9]+$")]},
                           "returnMessage": {"type": "string", "x-source": ERRORS}},
            "description": "The Server API's error (validation, not found, state). Which"
            " returnCode goes with which rule is not documented.", "x-seed-rule": "SEED-S5"},
        "ResponseErrorBody": {"type": "object", "required": ["responseError"],
                              "properties": {"responseError": _ref("ResponseError")},
                              "x-seed-rule": "SEED-S5"},
        "GatewayError": {
            "type": "object", "required": ["errorCode", "message"],
            "properties": {
                "errorCode": {"anyOf": [{"type": "string", "pattern": "^[0-9]+$"},
                                        {"type": "integer"}], "x-source": ERRORS,
                              "x-contradiction": "typed integer by the docs' table; real"
                              " bodies carry a string"},
                "message": {"type": "string", "x-source": ERRORS},
                "details": {"type": "string", "x-source": ERRORS}},
            "description": "The API Gateway's error (auth, routing, throttling); always JSON.",
            "x-seed-rule": "SEED-S5", "x-source": "ncp-api.md section 4"},
        "GatewayErrorBody": {"type": "object", "required": ["error"], "x-seed-rule": "SEED-S5",
                             "properties": {"error": _ref("GatewayError")}},
        "GetBlockStorageSnapshotInstanceListParams": _params(
            {"isBootable": {"type": "boolean"},
             "blockStorageSnapshotInstanceStatusCode": {"type": "string",
                                                        "enum": ["INIT", "CREAT"]},
             "pageNo": page, "pageSize": page},
            lists={"blockStorageSnapshotInstanceNoList": digits,
                   "hypervisorTypeCodeList": {"type": "string", "enum": ["XEN", "KVM"]}}),
        "GetBlockStorageVolumeTypeListParams": _params({"zoneCode": {"type": "string"}}),
        "GetServerImageListParams": _image_list_params(digits),
        "GetServerImageDetailParams": _params({"serverImageNo": digits},
                                              required=["serverImageNo"]),
        "DeleteServerImageParams": {
            **_params({}, lists={"serverImageNoList": digits}),
            "required": ["serverImageNoList.1"],
            "description": "serverImageNoList.N is required (the documented name is singular)."},
        "GetRegionListParams": _params({}),
    }
    del schemas["GetRegionListParams"]["properties"]["regionCode"]
    for result, (list_name, element, row) in LISTS.items():
        schemas[result] = _result(list_name, element, row)
    return schemas
