"""The published `ncloud-vserver` package (urllib3) against the loopback simulator.

Version 1.0.1 has no typed method for createServerImageFromSnapshot, so the test calls its
generic `ApiClient.call_api` exactly as its generated methods do (see V2Api's
create_member_server_image_instance): POST, `responseFormatType=json` in the query, the
request as a form body that flattens lists of objects into `key.N.field`, and
`auth_settings=["x-ncp-iam"]`. What it gets right and where it deviates is recorded here.
"""

from __future__ import annotations

from typing import Any

import pytest
from ncloud_vserver.api_client import ApiClient
from ncloud_vserver.configuration import Configuration
from ncloud_vserver.rest import ApiException

from harness.client.conformance import ClientConformance


def _create(cc: ClientConformance, body: dict[str, Any]) -> Any:
    configuration = Configuration()
    configuration.host = cc.base_url + "/vserver/v2"  # what NCLOUD_API_GW sets
    configuration.access_key = cc.credentials.access_key
    configuration.secret_key = cc.credentials.secret_key
    client = ApiClient(configuration)
    return client.call_api(
        "/createServerImageFromSnapshot", "POST", {}, [("responseFormatType", "json")],
        {"Content-Type": client.select_header_content_type(
            ["application/x-www-form-urlencoded"])},
        body=body, post_params=[], files={}, response_type="object",
        auth_settings=["x-ncp-iam"], _return_http_data_only=True)


def test_ncloud_vserver_speaks_the_contract_with_two_deviations(
        ncp_conformance: ClientConformance) -> None:
    cc = ncp_conformance
    answer = _create(cc, {
        "serverImageName": "sdk-image-1",
        "serverImageDescription": "made by ncloud-vserver: \u65e5\u672c & co",
        "blockStorageList": [
            {"order": 0, "snapshotInstanceNo": "1000001"},
            {"order": 1, "emptyBlockStorage": True, "blockStorageSize": 10,
             "blockStorageVolumeTypeCode": "CB1"},
        ],
    })
    (report,) = cc.reports()
    sent = report.request
    # Right: POST, a form body flattened the SDK way, percent-encoded UTF-8, a signature the
    # simulator verified, parameters the oracle does not reject, and a readable answer.
    assert sent.method == "POST"
    assert sent.header("Content-Type") == "application/x-www-form-urlencoded"
    assert sent.query == "responseFormatType=json"
    assert sent.body.startswith(b"serverImageName=sdk-image-1&serverImageDescription=made%20by")
    assert b"&blockStorageList.2.order=1&" in sent.body
    assert report.violations == (), report.lines()
    assert answer["serverImageList"][0]["serverImageName"] == "sdk-image-1"
    # Deviations: the Go SDK's -v1 header name, and Python's spelling of a boolean (UH2,
    # where the seed is silent: the simulator accepts it, a real service may not).
    assert [(f.cases[0], f.path) for f in report.findings] == [
        ("REQ-5", "x-ncp-apigw-signature-v1"),
        ("UH2", "blockStorageList.2.emptyBlockStorage"),
    ]
    assert b"blockStorageList.2.emptyBlockStorage=True" in sent.body


def test_a_request_ncloud_vserver_passes_through_unchecked_is_caught(
        ncp_conformance: ClientConformance) -> None:
    cc = ncp_conformance
    cc.check_at_teardown = False
    # The package validates nothing: an image name with '_' and no base storage go out as is.
    with pytest.raises(ApiException) as caught:  # the simulator answers 400, as it must
        _create(cc, {"serverImageName": "sdk_image",
                     "blockStorageList": [{"order": 1, "snapshotInstanceNo": "1000001"}]})
    assert caught.value.status == 400
    (report,) = cc.reports()
    assert {v.rule for v in report.violations} == {"SEED-R2", "SEED-R4"}
