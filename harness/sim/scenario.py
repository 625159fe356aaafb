"""Scenarios: the account state and behaviour knobs of the simulator, from TOML or JSON.

A scenario file is checked field by field; a wrong one raises `ConfigError` naming the
file, the field (`snapshots[2].size_gb`), the value and what was expected. The default
scenario ships in the package (`harness/scenarios/default.toml`) and is documented there.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from harness.contract.account import GIB, Account, Snapshot
from harness.contract.limits import VOLUME_TYPES, LimitsProfile, VolumeTypeLimits
from harness.contract.rules import OPEN_CASES
from harness.core.depth import TooDeep, json_document, toml_document
from harness.core.errors import ConfigError
from harness.core.signing import Credentials
from harness.core.sites import site_named

__all__ = [
    "POLICIES",
    "Scenario",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
    "sample_account",
    "site_scenario",
]

POLICIES = ("accept", "reject")
_MAX_DELAY = 3600.0
_MAX_CREATION = 86400.0
"""Real images take minutes to hours to make ("about 30 minutes for 50 GB"): up to a day."""
_MAX_DIGITS = 20


@dataclass(frozen=True)
class Scenario:
    """Everything the simulator needs to know about the account it pretends to be."""

    account: Account
    credentials: Credentials | None
    policy: Mapping[str, str]
    verify_signatures: bool = True
    image_ready_after_looks: int = 0
    image_ready_after_seconds: float = 0.0
    image_gone_after_looks: int = 2
    volume_size_unit: str = "bytes"
    public_images: bool = True
    reference_variants: bool = False
    image_shape: str = "current"
    """"older": every image is answered as the older ServerImage page shows it (no
    serverImageLifeCyclePhase, no platformCategoryCode), as the government site's page does."""
    public_hypervisors: tuple[str, ...] = ("KVM", "KVM", "XEN")
    """The hypervisors of NCP's own public images, in order (the gov site has RHV ones)."""
    max_body_bytes: int = 1_048_576
    first_image_no: int = 2_000_001
    throttle_every: int = 0
    retry_after_seconds: int | None = None
    unavailable_every: int = 0
    hiccup_every: int = 0
    unexpected_every: int = 0
    throttle_code: str = "410"
    deny_create: str = ""
    gateway_checks_encoding: bool = False
    delay_seconds: float = 0.0
    drop_every: int = 0
    source: str = field(default="<built in>", compare=False)

    def accepts(self, cases: tuple[str, ...]) -> bool:
        """Whether the policy accepts a request that raises all of these open cases."""
        return all(self.policy.get(case, "reject") == "accept" for case in cases)


@cache
def default_scenario() -> Scenario:
    """The scenario that ships with the package (parsed once; scenarios are immutable)."""
    return _packaged("default.toml")


@cache
def _packaged(name: str) -> Scenario:
    text = resources.files("harness").joinpath(f"scenarios/{name}").read_text("utf-8")
    return parse_scenario(tomllib.loads(text), source=name)


def site_scenario(site: str | None) -> Scenario:
    """The packaged scenario of an NCP site (--site, else NCLOUD_SITE, else public)."""
    return _packaged(site_named(site, os.environ).scenario)


def sample_account() -> Account:
    """The default scenario's account: bootable and not, KVM and XEN, one INIT snapshot."""
    return default_scenario().account


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a .toml or .json file; `ConfigError` says what is wrong and where."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--scenario {path}: cannot be read ({exc.strerror})") from None
    try:
        data = json_document(text) if path.suffix.lower() == ".json" else toml_document(text)
    except TooDeep as exc:
        raise ConfigError(f"--scenario {path}: {exc}") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise ConfigError(f"--scenario {path}: not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--scenario {path}: the top level must be a table/object")
    return parse_scenario(data, source=str(path))


class _Fields:
    """Reads typed fields out of one table, naming the field in every error."""

    def __init__(self, data: Mapping[str, Any], where: str, source: str) -> None:
        self.data, self.where, self.source = data, where, source
        self.used: set[str] = set()

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"scenario {self.source}: {self.where}{key}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None,
            *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, (int,)):
            raise self.fail(key, f"expected an integer, got {value!r}")
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(key, f"expected {names}, got {value!r}")
        return value

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise self.fail(unknown[0], f"is not a known field; known: {known}")


def parse_scenario(data: Mapping[str, Any], *, source: str = "<dict>") -> Scenario:
    """Build a Scenario from parsed TOML/JSON, checking every field."""
    top = _Fields(data, "", source)
    regions = top.get("regions", list, ["KR", "SGN", "JPN"])
    if not regions or not all(isinstance(r, str) and r for r in regions):
        raise top.fail("regions", f"expected a non-empty list of region codes, got {regions!r}")
    names = top.get("existing_image_names", list, [])
    if not all(isinstance(n, str) for n in names):
        raise top.fail("existing_image_names", f"expected a list of strings, got {names!r}")
    raw_snapshots = top.get("snapshots", list, required=True)
    snapshots = tuple(_snapshot(item, i, source) for i, item in enumerate(raw_snapshots))
    numbers = [s.instance_no for s in snapshots]
    if len(set(numbers)) != len(numbers):
        raise top.fail("snapshots", f"instance_no values repeat: {numbers!r}")
    scenario = Scenario(
        account=Account(snapshots, tuple(regions),
                        _limits(top.get("limits", dict, {}), source), frozenset(names)),
        credentials=_credentials(top.get("credentials", dict), source),
        policy=_policy(top.get("policy", dict, {}), source),
        verify_signatures=top.get("verify_signatures", bool, True),
        image_ready_after_looks=_non_negative(top, "image_ready_after_looks", 0),
        image_ready_after_seconds=_seconds(top, "image_ready_after_seconds", _MAX_CREATION),
        image_gone_after_looks=_non_negative(top, "image_gone_after_looks", 2),
        volume_size_unit=_one_of(top, "volume_size_unit", ("bytes", "GB"), "bytes"),
        public_images=top.get("public_images", bool, True),
        reference_variants=top.get("reference_variants", bool, False),
        image_shape=_one_of(top, "image_shape", ("current", "older"), "current"),
        public_hypervisors=_hypervisors(top),
        max_body_bytes=_positive(top, "max_body_bytes", 1_048_576),
        first_image_no=_positive(top, "first_image_no", 2_000_001),
        throttle_every=_non_negative(top, "throttle_every", 0),
        retry_after_seconds=_non_negative(top, "retry_after_seconds", None),
        unavailable_every=_non_negative(top, "unavailable_every", 0),
        hiccup_every=_non_negative(top, "hiccup_every", 0),
        unexpected_every=_non_negative(top, "unexpected_every", 0),
        throttle_code=_one_of(top, "throttle_code", ("400", "410", "420"), "410"),
        deny_create=_one_of(top, "deny_create", ("", "210", "230"), ""),
        gateway_checks_encoding=top.get("gateway_checks_encoding", bool, False),
        delay_seconds=_seconds(top, "delay_seconds"),
        drop_every=_non_negative(top, "drop_every", 0),
        source=source,
    )
    top.done()
    return scenario


def _hypervisors(fields: _Fields) -> tuple[str, ...]:
    """public_hypervisors: one of KVM, XEN, RHV per public image (at most 10)."""
    value = fields.get("public_hypervisors", list, ["KVM", "KVM", "XEN"])
    if len(value) > 10 or not all(v in ("KVM", "XEN", "RHV") for v in value):
        raise fields.fail("public_hypervisors", "expected up to 10 of KVM, XEN, RHV, got"
                          f" {value!r}"[:200])
    return tuple(value)


def _non_negative(fields: _Fields, key: str, default: Any) -> Any:
    value = fields.get(key, int, default)
    if value is not None and value < 0:
        raise fields.fail(key, f"expected 0 or more, got {value!r}")
    return value


def _one_of(fields: _Fields, key: str, choices: tuple[str, ...], default: str) -> str:
    value: str = fields.get(key, str, default)
    if value not in choices:
        raise fields.fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
    return value


def _positive(fields: _Fields, key: str, default: int) -> int:
    value: int = fields.get(key, int, default)
    if value < 1:
        raise fields.fail(key, f"expected 1 or more, got {value!r}")
    return value


def _seconds(fields: _Fields, key: str, cap: float = _MAX_DELAY) -> float:
    """A delay: a finite number of seconds, 0 or more, at most `cap` (an hour)."""
    value = float(fields.get(key, (int, float), 0.0))
    if not math.isfinite(value) or not 0 <= value <= cap:
        raise fields.fail(key, f"expected 0 to {cap} seconds, got {value!r}")
    return value


def _snapshot(item: Any, index: int, source: str) -> Snapshot:
    where = f"snapshots[{index}]."
    if not isinstance(item, dict):
        raise ConfigError(f"scenario {source}: snapshots[{index}]: expected a table, got {item!r}")
    f = _Fields(item, where, source)
    number = f.get("instance_no", str, required=True)
    if not (number.isascii() and number.isdigit() and len(number) <= _MAX_DIGITS):
        raise f.fail("instance_no", f"expected 1 to {_MAX_DIGITS} ASCII digits, got {number!r}")
    size_gb = f.get("size_gb", int)
    size_bytes = f.get("size_bytes", int)
    if (size_gb is None) == (size_bytes is None):
        raise f.fail("size_gb", "give exactly one of size_gb and size_bytes")
    size = size_bytes if size_bytes is not None else size_gb * GIB
    if size <= 0:
        raise f.fail("size_bytes" if size_bytes is not None else "size_gb",
                     f"expected a positive size, got {size_bytes or size_gb!r}")
    hypervisor = f.get("hypervisor", str, "KVM")
    if hypervisor not in ("KVM", "XEN"):
        raise f.fail("hypervisor", f"expected KVM or XEN, got {hypervisor!r}")
    status = f.get("status", str, "CREAT")
    if status not in ("INIT", "CREAT"):
        raise f.fail("status", f"expected INIT or CREAT, got {status!r}")
    volume_type = f.get("volume_type", str, "CB1")
    if volume_type not in VOLUME_TYPES:
        raise f.fail("volume_type", f"expected one of {', '.join(VOLUME_TYPES)}, got"
                     f" {volume_type!r}")
    snap = Snapshot(number, size, f.get("bootable", bool, required=True), hypervisor, status,
                    volume_type, f.get("name", str, f"snapshot-{number}"))
    f.done()
    return snap


def _limits(data: Mapping[str, Any], source: str) -> LimitsProfile:
    f = _Fields(data, "limits.", source)
    types_raw = f.get("volume_types", dict, {})
    types: dict[str, VolumeTypeLimits] = {}
    for code in VOLUME_TYPES:
        spec = types_raw.get(code, {})
        t = _Fields(spec, f"limits.volume_types.{code}.", source)
        limits = VolumeTypeLimits(t.get("min_gb", int, 10), t.get("max_gb", int, 16380),
                                  t.get("step_gb", int, 10))
        t.done()
        if not 0 < limits.min_gb <= limits.max_gb or limits.step_gb <= 0:
            raise t.fail("min_gb", f"expected 0 < min_gb <= max_gb and step_gb > 0, got {spec!r}")
        types[code] = limits
    unknown = sorted(set(types_raw) - set(VOLUME_TYPES))
    if unknown:
        raise f.fail(f"volume_types.{unknown[0]}",
                     f"is not a volume type; expected one of {', '.join(VOLUME_TYPES)}")
    profile = LimitsProfile(MappingProxyType(types), _positive(f, "max_entries", 21),
                            _positive(f, "max_order", 20))
    f.done()
    return profile


def _credentials(data: Mapping[str, Any] | None, source: str) -> Credentials | None:
    if data is None:
        return None
    f = _Fields(data, "credentials.", source)
    try:
        creds = Credentials(f.get("access_key", str, required=True),
                            f.get("secret_key", str, required=True))
    except ConfigError as exc:  # the key itself is never quoted
        raise f.fail("access_key" if "access" in str(exc) else "secret_key", str(exc)) from None
    f.done()
    return creds


def _policy(data: Mapping[str, Any], source: str) -> Mapping[str, str]:
    policy = dict.fromkeys(OPEN_CASES, "reject")
    for case, choice in data.items():
        if case not in OPEN_CASES:
            raise ConfigError(f"scenario {source}: policy.{case}: not an open case; expected one"
                              f" of {', '.join(OPEN_CASES)}")
        if choice not in POLICIES:
            raise ConfigError(f"scenario {source}: policy.{case}: expected \"accept\" or"
                              f" \"reject\", got {choice!r}")
        policy[case] = choice
    return MappingProxyType(policy)
