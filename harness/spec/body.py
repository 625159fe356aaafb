"""One parser for every response body: JSON or XML, success or error, into one shape.

`parse_body` sniffs the format (content, not the Content-Type header, which the checks
compare separately), parses XML with defusedxml, coerces XML text to the types the
OpenAPI schema gives, and validates the result against that schema. A JSON body and its
XML rendering give equal `data`. Each schema mismatch is judged by its source: breaking a
constraint of the seed or one the reference marks Required is a `Violation` citing the
`x-seed-rule` of the schema that failed; breaking an `x-lenient` constraint (an assumption,
or a field the reference calls Optional) is a `Difference` citing its note in
harness.contract.reference. An unreadable body raises `UnreadableBody`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

from jsonschema.exceptions import ValidationError

from harness.contract.model import ACTION
from harness.contract.reference import NOTES, Difference
from harness.contract.schemas import wrapper
from harness.core.depth import TooDeep, json_document
from harness.core.errors import UnreadableBody, Violation
from harness.core.xmlcodec import from_xml
from harness.spec.openapi import fast_validator, resolve, validator

__all__ = ["BodyKind", "ParsedBody", "parse_body"]

BodyKind = Literal["success", "error", "gateway_error", "unknown"]
_INT = re.compile(r"-?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?", re.ASCII)
_BOOLS = {"true": True, "false": False}
MAX_PROBLEMS = 50
"""Schema faults kept per answer; past this, one line says there were more."""


@dataclass(frozen=True)
class ParsedBody:
    """A parsed body: format, kind, data, schema faults, and where it differs from the reference."""

    format: Literal["json", "xml"]
    kind: BodyKind
    data: dict[str, Any]
    problems: tuple[Violation, ...]
    differences: tuple[Difference, ...] = ()

    @property
    def root(self) -> str:
        """The single top-level key: `createServerImageFromSnapshotResponse`, `error`, ..."""
        return next(iter(self.data), "")

    @property
    def inner(self) -> Any:
        """The value inside the top-level key."""
        return self.data.get(self.root)


def parse_body(body: bytes | str, *, action: str = ACTION) -> ParsedBody:
    """Parse, coerce and validate a response body of `action` (success or error)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    fmt, data = _decode(raw)
    kind, schema_name = _classify(data, action)
    if fmt == "xml":
        data = _coerce(data, {"$ref": f"#/components/schemas/{schema_name}"})
    if fast_validator(schema_name).is_valid(data):
        return ParsedBody(fmt, kind, data, ())
    problems = tuple(_problems(data, schema_name, kind))
    broken = {p.path for p in problems}
    return ParsedBody(fmt, kind, data, problems, tuple(
        d for d in _differences(data, schema_name) if d.path not in broken))


def _decode(raw: bytes) -> tuple[Literal["json", "xml"], dict[str, Any]]:
    head = raw.lstrip()[:1]
    if head == b"<":
        return "xml", from_xml(raw)
    if head in (b"{", b"["):
        try:
            data = json_document(raw)
        except TooDeep as exc:
            raise UnreadableBody(f"JSON body {exc}; it begins {raw[:80]!r}",
                                 head=raw[:80]) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UnreadableBody(f"JSON body does not parse ({exc}); it begins {raw[:80]!r}",
                                 head=raw[:80]) from None
        if not isinstance(data, dict):
            raise UnreadableBody(f"JSON body is a {type(data).__name__}, not an object; it"
                                 f" begins {raw[:80]!r}", head=raw[:80])
        return "json", data
    what = "empty" if not raw.strip() else f"neither JSON nor XML; it begins {raw[:80]!r}"
    raise UnreadableBody(f"body is {what}", head=raw[:80])


def _classify(data: dict[str, Any], action: str) -> tuple[BodyKind, str]:
    keys = list(data)
    if keys == ["responseError"]:
        return "error", "ResponseErrorBody"
    if keys == ["error"]:
        return "gateway_error", "GatewayErrorBody"
    if keys == [f"{action}Response"]:
        return "success", wrapper(action)
    return "unknown", wrapper(action)


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    """Turn XML text into the integers, numbers and booleans the schema asks for."""
    schema = resolve(schema)
    for part in schema.get("allOf", []):
        value = _coerce(value, part)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: _coerce(v, props[k]) if k in props else v for k, v in value.items()
                if not (v == "" and k in props and _typed(props[k]))}
    if isinstance(value, list):
        items = schema.get("items")
        return [_coerce(v, items) for v in value] if isinstance(items, dict) else value
    if isinstance(value, str):
        return _coerce_text(value, schema)
    return value


def _typed(schema: dict[str, Any]) -> bool:
    """Whether a field is a number or a boolean with no string form.

    XML writes an absent value as an empty element (ncp-api.md section 9); for such a field
    that can only mean the value is absent, so the key is dropped, and the schema judges its
    absence (a violation when the field is required, a finding when it is lenient).
    """
    schema = resolve(schema)
    branches = [resolve(b) for b in schema.get("anyOf", []) + schema.get("oneOf", [])]
    kinds = {b.get("type") for b in branches} if branches else {schema.get("type")}
    return bool(kinds) and kinds <= {"integer", "number", "boolean"}


def _coerce_text(text: str, schema: dict[str, Any]) -> Any:  # noqa: PLR0911 - one per type
    """Coerce to the schema's type; for anyOf/oneOf, to the first branch the text fits."""
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        value = _coerce_text(text, resolve(branch))
        if value is not text:
            return value
        if resolve(branch).get("type") == "string":
            return text
    kind = schema.get("type")
    if kind == "integer" and _INT.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        return int(text) if _INT.fullmatch(text) else float(text)
    if kind == "boolean" and text in _BOOLS:
        return _BOOLS[text]
    if kind == "array" and not text.strip():
        return []
    return text


def _problems(data: dict[str, Any], schema_name: str, kind: BodyKind) -> list[Violation]:
    """The schema faults of one answer, at most MAX_PROBLEMS of them (and a line for the rest).

    An answer listing 50,000 broken images must not keep 50,000 violations. Judged by the
    lenient schema: what only the strict one rejects is a difference (`_differences`).
    """
    if fast_validator(schema_name, lenient=True).is_valid(data):
        return []
    check = validator(schema_name, lenient=True)
    found = list(islice(check.iter_errors(data), MAX_PROBLEMS + 1))
    errors = sorted(found[:MAX_PROBLEMS], key=_error_order)
    problems = [_violation(error, kind) for error in errors]
    if len(found) > MAX_PROBLEMS:
        problems.append(Violation(
            rule=problems[0].rule, check="response_schema", path="(body)",
            message=f"more schema faults than the {MAX_PROBLEMS} listed; not all are shown"))
    return problems


def _differences(data: dict[str, Any], schema_name: str) -> list[Difference]:
    """The breaches of `x-lenient` constraints: findings citing the reference's note."""
    found: dict[tuple[str, str], Difference] = {}
    for error in islice(validator(schema_name).iter_errors(data), MAX_PROBLEMS):
        for part in (error, *(error.context or [])):
            note = part.schema.get("x-lenient") if isinstance(part.schema, dict) else None
            if isinstance(note, str) and note in NOTES:
                path = _json_path(part)
                what = (f"{str(part.instance)[:60]!r} does not match"
                        if part.validator in ("pattern", "format") else part.message[:160])
                found.setdefault((note, path), Difference(
                    NOTES[note], path, f"{path}: {what} ({NOTES[note].text})"))
                break
    return sorted(found.values(), key=lambda d: (d.path, d.note.id))


def _error_order(error: ValidationError) -> tuple[str, str]:
    return (_json_path(error), error.message)


def _json_path(error: ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".") or "(body)"


def _violation(error: ValidationError, kind: BodyKind) -> Violation:
    path = _json_path(error)
    rule = None
    for schema in (error.schema, *(e.schema for e in error.context or [])):
        if isinstance(schema, dict) and "x-seed-rule" in schema:
            rule = str(schema["x-seed-rule"]).split()[0]
            break
    if rule is None:
        rule = _rule_from_path(path, kind)
    message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
    return Violation(rule=rule, check="response_schema", path=path, message=message,
                     expected=_small(error.validator_value), actual=_small(error.instance))


def _small(value: Any) -> Any:
    """A value a report can show whole; None for objects and long lists (50,000 images)."""
    if isinstance(value, dict) or (isinstance(value, list) and len(value) > 20):
        return None
    return value


def _rule_from_path(path: str, kind: BodyKind) -> str:
    """The rule of the enclosing object, for keywords whose schema names none."""
    if kind in ("error", "gateway_error"):
        return "SEED-S5"
    if "blockStorageMappingList" in path:
        return "SEED-S4"
    if "serverImageList" in path:
        return "SEED-S3"
    return "SEED-S2" if "." in path else "SEED-S1"
