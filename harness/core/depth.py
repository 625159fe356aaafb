"""How deep a document the harness reads may nest: deeper is refused with a message.

Every answer and every file the harness reads (HAR, ledger, summary.json, scenario) is
JSON, XML or TOML that its code then walks recursively. A document nested thousands of
levels deep would end in a RecursionError traceback somewhere in that code; this module
refuses it first. The deepest document the harness has reason to read (a HAR entry with
a success body) nests about 12 levels; `MAX_DEPTH` leaves room and refuses the rest.
"""

from __future__ import annotations

import json
import tomllib
import xml.etree.ElementTree as ET
from typing import Any

__all__ = ["MAX_DEPTH", "TooDeep", "check_depth", "check_element_depth", "json_document",
           "toml_document"]

MAX_DEPTH = 64


class TooDeep(ValueError):
    """A document nests deeper than MAX_DEPTH (the message says so; callers name the file)."""

    def __init__(self) -> None:
        super().__init__(f"nested deeper than {MAX_DEPTH} levels; not read")


def check_depth(value: Any) -> Any:
    """`value` itself, or TooDeep when its lists and objects nest deeper than MAX_DEPTH."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise TooDeep
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return value


def check_element_depth(root: ET.Element) -> ET.Element:
    """`root` itself, or TooDeep when its elements nest deeper than MAX_DEPTH."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise TooDeep
        stack.extend((child, depth + 1) for child in element)
    return root


def json_document(text: str | bytes) -> Any:
    """json.loads, refusing nesting deeper than MAX_DEPTH (TooDeep) instead of recursing."""
    try:
        return check_depth(json.loads(text))
    except RecursionError:
        raise TooDeep from None


def toml_document(text: str) -> dict[str, Any]:
    """tomllib.loads, refusing nesting deeper than MAX_DEPTH (TooDeep)."""
    try:
        return check_depth(tomllib.loads(text))  # type: ignore[no-any-return]
    except RecursionError:
        raise TooDeep from None
