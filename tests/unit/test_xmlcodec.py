"""XML rendering: byte for byte what ElementTree renders, and read back to the same shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from harness.core.xmlcodec import from_xml, item_name, to_xml, xml_safe

LEAVES = st.none() | st.booleans() | st.integers() | st.text()
KEYS = st.text("abcdefgList", min_size=1, max_size=8)
TREES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(KEYS, inner, max_size=3), max_leaves=15)


def _reference(data: Mapping[str, Any]) -> bytes:
    """The ElementTree rendering the simulator's string builder must match."""
    def fill(element: ET.Element, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, child in value.items():
                if child is not None:
                    fill(ET.SubElement(element, key), child)
        elif isinstance(value, list):
            for child in value:
                fill(ET.SubElement(element, item_name(element.tag)), child)
        elif isinstance(value, bool):
            element.text = "true" if value else "false"
        else:
            element.text = xml_safe(str(value))

    (name, value), = data.items()
    root = ET.Element(name)
    fill(root, value)
    rendered: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return rendered


@given(st.dictionaries(KEYS, TREES, min_size=1, max_size=1))
def test_to_xml_is_byte_for_byte_elementtree(data: dict[str, Any]) -> None:
    assert to_xml(data) == _reference(data)


def test_a_rendered_body_reads_back() -> None:
    data = {"rootResponse": {"totalRows": 2, "serverImageList": [
        {"serverImageName": "a<b>&c", "isEncryptedVolume": False, "sharedLoginIdList": []},
        {"serverImageName": "", "blockStorageMappingList": [{"order": 0}]}]}}
    assert from_xml(to_xml(data)) == {"rootResponse": {"totalRows": "2", "serverImageList": [
        {"serverImageName": "a<b>&c", "isEncryptedVolume": "false", "sharedLoginIdList": []},
        {"serverImageName": "", "blockStorageMappingList": [{"order": "0"}]}]}}
