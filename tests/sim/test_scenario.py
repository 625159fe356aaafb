"""Scenarios: the default one, TOML and JSON files, and errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.contract.limits import VOLUME_TYPES
from harness.contract.rules import OPEN_CASES
from harness.core.errors import ConfigError
from harness.sim.scenario import default_scenario, load_scenario, parse_scenario

MINIMAL = {"snapshots": [{"instance_no": "1", "size_gb": 10, "bootable": True}]}


def test_default_scenario_has_the_inventory_the_issue_asks_for() -> None:
    scenario = default_scenario()
    snaps = scenario.account.snapshots
    assert {s.bootable for s in snaps} == {True, False}
    assert {s.hypervisor for s in snaps} == {"KVM", "XEN"}
    assert {s.status for s in snaps} == {"INIT", "CREAT"}
    assert len({s.size_bytes for s in snaps}) >= 3
    assert len({s.volume_type for s in snaps}) >= 3
    assert set(scenario.policy) == set(OPEN_CASES)
    assert set(scenario.account.limits.volume_types) == set(VOLUME_TYPES)
    assert scenario.credentials is not None


def test_minimal_scenario_takes_the_documented_defaults() -> None:
    scenario = parse_scenario(MINIMAL)
    assert scenario.account.regions == ("KR", "SGN", "JPN")
    assert scenario.credentials is None
    assert set(scenario.policy.values()) == {"reject"}
    assert scenario.verify_signatures is True
    assert scenario.max_body_bytes == 1_048_576


def test_toml_and_json_files_load_the_same(tmp_path: Path) -> None:
    toml = tmp_path / "s.toml"
    toml.write_text('regions = ["JPN"]\n[[snapshots]]\ninstance_no = "7"\nsize_gb = 20\n'
                    'bootable = false\n[policy]\nU3 = "accept"\n', encoding="utf-8")
    js = tmp_path / "s.json"
    js.write_text(json.dumps({"regions": ["JPN"], "policy": {"U3": "accept"},
                              "snapshots": [{"instance_no": "7", "size_gb": 20,
                                             "bootable": False}]}), encoding="utf-8")
    assert load_scenario(toml) == load_scenario(js)
    assert load_scenario(js).policy["U3"] == "accept"


@pytest.mark.parametrize(("change", "message"), [
    ({"snapshots": None}, "snapshots: is required"),
    ({"snapshots": "x"}, "snapshots: expected list"),
    ({"regions": []}, "regions: expected a non-empty list"),
    ({"colour": "red"}, "colour: is not a known field"),
    ({"policy": {"U99": "accept"}}, "policy.U99: not an open case"),
    ({"policy": {"U1": "maybe"}}, 'policy.U1: expected "accept" or "reject"'),
    ({"max_body_bytes": -1}, "max_body_bytes: expected 1 or more"),
    ({"max_body_bytes": 0}, "max_body_bytes: expected 1 or more"),
    ({"delay_seconds": float("nan")}, "delay_seconds: expected 0 to 3600.0 seconds, got nan"),
    ({"delay_seconds": float("inf")}, "delay_seconds: expected 0 to 3600.0 seconds, got inf"),
    ({"delay_seconds": -0.5}, "delay_seconds: expected 0 to 3600.0 seconds"),
    ({"retry_after_seconds": -1}, "retry_after_seconds: expected 0 or more"),
    ({"first_image_no": 0}, "first_image_no: expected 1 or more"),
    ({"limits": {"max_entries": 0}}, "limits.max_entries: expected 1 or more"),
    ({"limits": {"max_order": -3}}, "limits.max_order: expected 1 or more"),
    ({"credentials": {"access_key": "ok-key", "secret_key": "bad\u00e9key"}},
     "credentials.secret_key: the secret key holds a character that is not printable ASCII"),
    ({"throttle_every": -2}, "throttle_every: expected 0 or more"),
    ({"unavailable_every": "often"}, "unavailable_every: expected int"),
    ({"delay_seconds": "slow"}, "delay_seconds: expected int/float"),
    ({"retry_after_seconds": "soon"}, "retry_after_seconds: expected int"),
    ({"verify_signatures": "yes"}, "verify_signatures: expected bool"),
    ({"credentials": {"access_key": "a"}}, "credentials.secret_key: is required"),
    ({"limits": {"volume_types": {"XB9": {}}}}, "limits.volume_types.XB9: is not a volume type"),
    ({"limits": {"volume_types": {"CB1": {"min_gb": "ten"}}}},
     "limits.volume_types.CB1.min_gb: expected int"),
    ({"limits": {"max_entries": True}}, "limits.max_entries: expected an integer"),
])
def test_top_level_errors_name_the_field(change: dict[str, object], message: str) -> None:
    data = {**MINIMAL, **change}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_scenario(data, source="bad.toml")


@pytest.mark.parametrize(("snapshot", "message"), [
    ({"size_gb": 10, "bootable": True}, "snapshots[0].instance_no: is required"),
    ({"instance_no": "x1", "size_gb": 10, "bootable": True},
     "instance_no: expected 1 to 20 ASCII digits"),
    ({"instance_no": "\u0663\u00b2", "size_gb": 10, "bootable": True},
     "instance_no: expected 1 to 20 ASCII digits"),
    ({"instance_no": "1" * 21, "size_gb": 10, "bootable": True},
     "instance_no: expected 1 to 20 ASCII digits"),
    ({"instance_no": "1", "bootable": True}, "give exactly one of size_gb and size_bytes"),
    ({"instance_no": "1", "size_gb": 10, "size_bytes": 5, "bootable": True}, "exactly one"),
    ({"instance_no": "1", "size_gb": "ten", "bootable": True}, "size_gb: expected int"),
    ({"instance_no": "1", "size_gb": 0, "bootable": True}, "expected a positive size"),
    ({"instance_no": "1", "size_gb": 10}, "snapshots[0].bootable: is required"),
    ({"instance_no": "1", "size_gb": 10, "bootable": True, "hypervisor": "HYPERV"},
     "hypervisor: expected KVM or XEN"),
    ({"instance_no": "1", "size_gb": 10, "bootable": True, "status": "GONE"},
     "status: expected INIT or CREAT"),
    ({"instance_no": "1", "size_gb": 10, "bootable": True, "volume_type": "SSD"},
     "volume_type: expected one of CB1, CB2, FB1, FB2"),
    ({"instance_no": "1", "size_gb": 10, "bootable": True, "colour": "red"},
     "snapshots[0].colour: is not a known field"),
])
def test_snapshot_errors_name_the_field(snapshot: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_scenario({"snapshots": [snapshot]}, source="bad.toml")
    assert message in str(caught.value)
    assert "bad.toml" in str(caught.value)


def test_repeated_snapshot_numbers_are_refused() -> None:
    snap = MINIMAL["snapshots"][0]
    with pytest.raises(ConfigError, match="instance_no values repeat"):
        parse_scenario({"snapshots": [snap, snap]})


@pytest.mark.parametrize(("name", "text", "message"), [
    ("s.toml", "regions = [", "not valid TOML"),
    ("s.json", "{", "not valid JSON"),
    ("s.json", "[1]", "top level must be a table"),
])
def test_unreadable_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_scenario(path)


def test_missing_file_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--scenario .*nope\.toml: cannot be read"):
        load_scenario(tmp_path / "nope.toml")


def test_credentials_never_show_in_errors_or_repr() -> None:
    scenario = parse_scenario({**MINIMAL, "credentials": {"access_key": "AK-SENTINEL",
                                                          "secret_key": "SK-SENTINEL"}})
    assert "SENTINEL" not in repr(scenario)
    with pytest.raises(ConfigError) as caught:
        parse_scenario({**MINIMAL, "credentials": {"access_key": "AK-SENTINEL",
                                                   "secret_key": "SK-SENTINEL", "x": 1}})
    assert "SENTINEL" not in str(caught.value)
