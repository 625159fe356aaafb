"""NCP's sites: the gateway and scenario --site (or NCLOUD_SITE) picks, and what is refused."""

from __future__ import annotations

import pytest

from harness.core.errors import ConfigError
from harness.core.sites import SITES, site_named, site_of_endpoint
from harness.sim.scenario import parse_scenario, site_scenario
from harness.targets.transport import live_target

KEYS = {"NCLOUD_ACCESS_KEY": "site-test-access-key", "NCLOUD_SECRET_KEY": "site-test-secret"}


def test_the_site_is_the_flag_else_ncloud_site_else_public() -> None:
    assert site_named(None, {}).name == "public"
    assert site_named(None, {"NCLOUD_SITE": "Gov"}).name == "gov"
    assert site_named("fin", {"NCLOUD_SITE": "gov"}).name == "fin"
    with pytest.raises(ConfigError, match=r"--site='mars' is not an NCP site; expected one of"
                       r" public, gov, fin"):
        site_named("mars", {})
    with pytest.raises(ConfigError, match="NCLOUD_SITE='moon'"):
        site_named(None, {"NCLOUD_SITE": "moon"})


@pytest.mark.parametrize("name", list(SITES))
def test_each_site_calls_its_own_gateway_unless_ncloud_api_gw_says_otherwise(name: str) -> None:
    target = live_target(KEYS, site=name)
    try:
        assert target.endpoint == SITES[name].endpoint
        assert site_of_endpoint(target.endpoint) == SITES[name]
    finally:
        target.close()
    stand_in = live_target({**KEYS, "NCLOUD_API_GW": "http://127.0.0.1:8080"}, site=name)
    stand_in.close()
    assert stand_in.endpoint == "http://127.0.0.1:8080"  # a loopback stand-in is not a site


def test_a_gateway_of_another_site_than_the_one_asked_for_is_refused() -> None:
    env = {**KEYS, "NCLOUD_API_GW": SITES["public"].endpoint}
    with pytest.raises(ConfigError, match="is the public site's gateway, but the gov site"):
        live_target(env, site="gov")
    with pytest.raises(ConfigError, match="the fin site was asked for"):
        live_target({**env, "NCLOUD_SITE": "fin"})
    live_target(env).close()  # no site asked for: NCLOUD_API_GW alone decides


def test_each_site_has_a_scenario_of_its_own_regions() -> None:
    for name, site in SITES.items():
        scenario = site_scenario(name)
        assert scenario.account.regions == site.regions
    gov = site_scenario("gov")
    assert gov.image_shape == "older"
    assert "RHV" in gov.public_hypervisors
    assert site_scenario("public").image_shape == "current"


def test_a_wrong_public_hypervisor_names_the_field() -> None:
    base = {"snapshots": [{"instance_no": "1", "size_gb": 10, "bootable": True}]}
    with pytest.raises(ConfigError, match="public_hypervisors"):
        parse_scenario({**base, "public_hypervisors": ["KVM", "HYPERV"]}, source="x.toml")
    with pytest.raises(ConfigError, match="image_shape"):
        parse_scenario({**base, "image_shape": "newest"}, source="x.toml")
