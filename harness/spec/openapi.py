"""Finding, loading and using the OpenAPI description: schemas, validators, generation view.

The description is `openapi/ncp-vserver-v2.yaml` in a checkout and `harness/openapi/` in an
installed wheel. Its schemas are JSON Schema 2020-12 (OpenAPI 3.1+), so `jsonschema`
validates bodies against them directly; `$ref`s resolve inside the document.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from harness.core.errors import SpecError

__all__ = [
    "SPEC_FILENAME",
    "fast_validator",
    "generation_view", "lenient_spec", "load_spec", "resolve", "spec_path", "validator"]

SPEC_FILENAME = "ncp-vserver-v2.yaml"
_BASE_URI = "urn:ncp-harness:openapi"
_CROSS_KEY_RULES = ("dependentRequired", "oneOf", "allOf")


def spec_path() -> Path:
    """Where the OpenAPI description is: inside the installed package, or in the checkout."""
    here = Path(__file__).resolve().parents[1]  # harness/
    for candidate in (here / "openapi" / SPEC_FILENAME, here.parent / "openapi" / SPEC_FILENAME):
        if candidate.is_file():
            return candidate
    raise SpecError(f"{SPEC_FILENAME} is neither in {here / 'openapi'} nor in"
                    f" {here.parent / 'openapi'}; reinstall the package or run"
                    " `python -m harness.spec.build --write` in the checkout")


@cache
def load_spec() -> dict[str, Any]:
    """The OpenAPI description as a dict (read once; treat it as read-only)."""
    path = spec_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot be read as YAML: {exc}") from exc
    if not isinstance(data, dict) or "components" not in data:
        raise SpecError(f"{path}: not an OpenAPI description (no components)")
    return data


def resolve(schema: dict[str, Any], spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """Follow `$ref`s inside the description until a schema without one is reached."""
    doc = load_spec() if spec is None else spec
    seen = 0
    while "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SpecError(f"$ref {ref!r} does not point inside the description")
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part]
        schema = target
        seen += 1
        if seen > 32:
            raise SpecError(f"$ref {ref!r} loops")
    return schema


def _without_lenient(value: Any) -> Any:
    if isinstance(value, dict):
        if "x-lenient" in value:
            return {"x-lenient-dropped": value["x-lenient"]}
        return {k: _without_lenient(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lenient(v) for v in value]
    return value


@cache
def lenient_spec() -> dict[str, Any]:
    """The description without its `x-lenient` constraints: what a violation is judged by.

    A lenient node holds a constraint that rests on an assumption or on a field some
    version of NCP's reference calls Optional (harness.contract.reference.SHAPE_NOTES); breaking it
    is a finding, so only the rest of the description can give a violation.
    """
    return _without_lenient(load_spec())  # type: ignore[no-any-return]


@cache
def validator(schema_name: str, *, lenient: bool = False) -> Draft202012Validator:
    """A JSON Schema validator for `#/components/schemas/<schema_name>` (strict or lenient)."""
    doc = lenient_spec() if lenient else load_spec()
    if schema_name not in doc["components"]["schemas"]:
        raise SpecError(f"no schema {schema_name!r} in the OpenAPI description")
    registry: Registry[Any] = Registry().with_resource(
        _BASE_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator(
        {"$ref": f"{_BASE_URI}#/components/schemas/{schema_name}"},
        registry=registry,
        format_checker=FormatChecker(),
    )


@cache
def fast_validator(schema_name: str, *, lenient: bool = False) -> jsonschema_rs.Validator:
    """A compiled (Rust) validator for the same schema: a quick yes/no before the details."""
    validator(schema_name)  # the same checks and errors for an unknown name
    registry = jsonschema_rs.Registry([(_BASE_URI, lenient_spec() if lenient else load_spec())])
    return jsonschema_rs.validator_for(
        {"$ref": f"{_BASE_URI}#/components/schemas/{schema_name}"},
        registry=registry, validate_formats=True)


def generation_view(spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of the description that schemathesis can generate every operation from.

    The request schema states its per-entry rules as `if/then/else` and `dependentRequired`
    over 105 literal keys; the generator schemathesis uses cannot expand that many
    alternatives and gives up on the operation. This view drops those cross-key rules and
    keeps every key with its own constraints, so generated wire is correctly encoded
    (`blockStorageList.N.field`) and the oracle, not the schema, decides validity.
    """
    view = copy.deepcopy(load_spec() if spec is None else spec)
    params = view["components"]["schemas"]["CreateServerImageFromSnapshotParams"]
    for keyword in _CROSS_KEY_RULES:
        params.pop(keyword, None)
    params["x-generation-view"] = (
        "cross-key rules dropped for generation; see harness.spec.openapi.generation_view")
    return view
