"""XML bodies to the JSON shape and back; parsing goes through defusedxml only.

Ncloud's XML wraps every list twice (`<serverImageList><serverImage>..</serverImage>
</serverImageList>`): an element whose name ends in `List` is a list of its children,
even with one child or none. Every other element with children is an object; a leaf is
text. Text stays text here: `harness.spec.body` coerces it to the schema's types. Rendering replaces
characters XML 1.0 cannot carry (most C0 controls, lone surrogates) with U+FFFD.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # the parse error's type; parsing is defusedxml's
from collections.abc import Mapping
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET

from harness.core.depth import TooDeep, check_element_depth
from harness.core.errors import UnreadableBody

__all__ = ["XML_INVALID", "from_xml", "item_name", "to_xml", "xml_safe", "xml_skeleton"]

XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry at all, not even as character references."""


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return XML_INVALID.sub("\ufffd", text)


def item_name(list_name: str) -> str:
    """The element of one row of a list: serverImageList -> serverImage."""
    return list_name[: -len("List")] if list_name.endswith("List") else "item"


def from_xml(body: bytes) -> dict[str, Any]:
    """Parse an XML body into `{root: value}`; hostile or broken XML raises UnreadableBody."""
    root = _parse(body)
    return {_local(root.tag): _value(root)}


def xml_skeleton(body: bytes, *, most: int = 300) -> str:
    """The element names of an XML body, nested, without text: `<a><b/><c/></a>`.

    What a body's shape is, with nothing the service said in it (no value can carry a
    secret or a control character). Hostile or broken XML raises UnreadableBody.
    """
    out = _skeleton(_parse(body))
    return out if len(out) <= most else out[:most] + "..."


def _skeleton(element: ET.Element) -> str:
    children = list(element)
    tag = _local(element.tag)
    if not children:
        return f"<{tag}/>"
    return f"<{tag}>{''.join(_skeleton(c) for c in children)}</{tag}>"


def _parse(body: bytes) -> ET.Element:
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except defusedxml.DTDForbidden:
        raise UnreadableBody("XML body refused: it declares a DTD (<!DOCTYPE>), which could"
                             " expand entities or fetch external files", head=body[:80]) from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise UnreadableBody(f"XML body refused: {type(exc).__name__}, an entity declaration"
                             " or external reference that would be expanded",
                             head=body[:80]) from None
    except ET.ParseError as exc:
        raise UnreadableBody(f"XML body is not well formed ({exc}); it begins"
                             f" {body[:80]!r}", head=body[:80]) from None
    try:
        check_element_depth(root)
    except TooDeep as exc:
        raise UnreadableBody(f"XML body {exc}; it begins {body[:80]!r}",
                             head=body[:80]) from None
    return root


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _value(element: ET.Element) -> Any:
    name = _local(element.tag)
    children = list(element)
    if name.endswith("List") and (children or not (element.text or "").strip()):
        return [_value(child) for child in children]
    if not children:
        return element.text or ""
    result: dict[str, Any] = {}
    for child in children:
        key = _local(child.tag)
        value = _value(child)
        if key in result:  # a repeated element outside a *List: keep every value
            prior = result[key]
            result[key] = [*prior, value] if isinstance(prior, list) else [prior, value]
        else:
            result[key] = value
    return result


def to_xml(data: Mapping[str, Any]) -> bytes:
    """Render `{root: value}` as Ncloud renders it: lists wrapped twice, values as text.

    The bytes are exactly ElementTree's (`tostring(..., xml_declaration=True)`), built as
    one string: the simulator renders every XML answer, and this is its hot path.
    """
    if len(data) != 1:
        raise ValueError(f"an XML body has exactly one root; got keys {sorted(data)}")
    (root_name, value), = data.items()
    out = [_DECLARATION]
    _render(root_name, value, out)
    return "".join(out).encode("utf-8")


_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"


def _render(tag: str, value: Any, out: list[str]) -> None:
    if isinstance(value, Mapping):
        children = [(k, v) for k, v in value.items() if v is not None]
        if not children:
            out.append(f"<{tag} />")
            return
        out.append(f"<{tag}>")
        for key, child in children:
            _render(key, child, out)
        out.append(f"</{tag}>")
    elif isinstance(value, list):
        if not value:
            out.append(f"<{tag} />")
            return
        out.append(f"<{tag}>")
        item = item_name(tag)
        for child in value:
            _render(item, child, out)
        out.append(f"</{tag}>")
    else:
        text = ("true" if value else "false") if isinstance(value, bool) else xml_safe(str(value))
        if text:
            escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            out.append(f"<{tag}>{escaped}</{tag}>")
        else:
            out.append(f"<{tag} />")
