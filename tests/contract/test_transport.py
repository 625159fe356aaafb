"""Transport and discovery against the simulator (cleanup: test_ownership.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import urllib3
from hypothesis import given
from hypothesis import strategies as st

from harness.contract.model import BlockStorage, CreateImageRequest
from harness.contract.probe import Probe
from harness.core.errors import ConfigError, TargetError
from harness.core.signing import Credentials
from harness.sim.scenario import default_scenario, sample_account
from harness.sim.server import running
from harness.sim.state import PUBLIC_IMAGES
from harness.targets.discovery import discover
from harness.targets.transport import _url_safe, live_target, simulator_target

REQUEST = CreateImageRequest("img-1", (BlockStorage(0, "1000001"),), response_format="json")


@given(st.text())
def test_queries_are_sent_as_urllib3_sends_them(wire: str) -> None:
    safe = _url_safe(wire)
    assert urllib3.util.parse_url(f"http://h/p?{safe}").request_uri == f"/p?{safe}"


def test_lower_case_escapes_are_signed_as_sent_over_http() -> None:
    with running() as server:
        creds = default_scenario().credentials
        target = replace(live_target({"NCLOUD_ACCESS_KEY": "k", "NCLOUD_SECRET_KEY": "s",
                                      "NCLOUD_API_GW": server.url}), credentials=creds)
        probe = Probe((), "GET", "odd", (), raw="serverImageName%e3%81%82=a0a&x=%zz")
        assert target.send(probe).status == 400  # judged, so the signature held


@pytest.mark.parametrize(("env", "message"), [
    ({}, "needs NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY"),
    ({"NCLOUD_ACCESS_KEY": "a"}, "NCLOUD_SECRET_KEY is not set"),
    ({"NCLOUD_ACCESS_KEY": "a", "NCLOUD_SECRET_KEY": "b", "NCLOUD_API_GW": "ftp://x"},
     "NCLOUD_API_GW='ftp://x' is not an http"),
    ({"NCLOUD_ACCESS_KEY": "a", "NCLOUD_SECRET_KEY": "b",
      "NCLOUD_API_GW": "https://u:p@host"}, "must not carry credentials"),
])
def test_live_target_configuration_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        live_target(env)
    assert "b'" not in str(caught.value)


def test_live_target_defaults_to_the_public_gateway() -> None:
    target = live_target({"NCLOUD_ACCESS_KEY": "AK-SENTINEL", "NCLOUD_SECRET_KEY": "SK-SENTINEL"})
    assert target.endpoint == "https://ncloud.apigw.ntruss.com"
    assert "SENTINEL" not in repr(target)


def test_unreachable_target_is_a_target_error() -> None:
    with running() as server:
        url = server.url
    target = live_target({"NCLOUD_ACCESS_KEY": "a", "NCLOUD_SECRET_KEY": "b",
                          "NCLOUD_API_GW": url})
    with pytest.raises(TargetError, match=f"cannot reach {url}"):
        target.call("getRegionList")


@pytest.mark.parametrize("unit", ["bytes", "GB"])
def test_discovery_learns_the_scenarios_account(unit: str) -> None:
    with simulator_target(replace(default_scenario(), volume_size_unit=unit)) as target:
        account = discover(target)
    public = {number: name for number, (name, _, _) in
              enumerate(PUBLIC_IMAGES, start=100_001)}  # NCP's own images are listed too
    assert account == replace(
        sample_account(), size_unit=unit,
        inventory=frozenset({"1900001", *map(str, public)}),
        image_names=frozenset({"existing-image", *public.values()}))


def test_discovery_with_wrong_keys_says_so() -> None:
    with simulator_target() as target:
        target.credentials = Credentials("nobody", "nothing")
        with pytest.raises(TargetError, match=r"getRegionList .* answered 401.*check the keys"):
            discover(target)


def test_discovery_refuses_an_unknown_region() -> None:
    with simulator_target() as target, pytest.raises(TargetError, match="NCLOUD_REGION='XX'"):
        discover(target, region="XX")


def test_a_chosen_region_is_the_one_requests_address() -> None:
    with simulator_target() as target:
        account = discover(target, region="JPN")
    assert account.home_region == "JPN"
    assert account.request_regions == ("JPN",)
    assert sample_account().request_regions == (None, "KR")
