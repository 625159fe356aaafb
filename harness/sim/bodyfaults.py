"""What a faulty service does to its answer bodies: renamed roots, bent fields, bare errors.

Small functions the catalogue of `harness.sim.faults` builds its `shape` and `echo` faults
from: each reshapes a create answer (as JSON data, whichever format it is sent in) or
replaces an error body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.contract.account import GIB
from harness.sim.render import Format

__all__ = [
    "capital_bool",
    "description_trimmed",
    "drop_last_mapping",
    "each_mapping",
    "inner_of",
    "json_error",
    "json_only",
    "name_short",
    "on_image",
    "on_inner",
    "plain_error",
    "renamed_root",
    "set_if_present",
    "size_in_gb",
    "wrong_snapshot",
    "xml_only",
]

Data = dict[str, Any]


def inner_of(data: Data) -> Data:
    """The object inside the answer's root (createServerImageFromSnapshotResponse)."""
    inner: Data = next(iter(data.values()))
    return inner


def _first_image(data: Data) -> Data:
    images = inner_of(data).get("serverImageList")
    image: Data = images[0] if isinstance(images, list) and images else {}
    return image


def renamed_root(fmt_hit: Format) -> Callable[[Data, Format], Data]:
    """The success root renamed getServerImageListResponse, in one format."""
    def reshape(data: Data, fmt: Format) -> Data:
        return {"getServerImageListResponse": inner_of(data)} if fmt == fmt_hit else data
    return reshape


def each_mapping(change: Callable[[Data], None], only: Format | None = None,
                  ) -> Callable[[Data, Format], Data]:
    """Change every block storage mapping of the image (in one format, or both)."""
    def reshape(data: Data, fmt: Format) -> Data:
        if only is None or fmt == only:
            for mapping in _first_image(data).get("blockStorageMappingList") or []:
                change(mapping)
        return data
    return reshape


def on_inner(change: Callable[[Data, Format], None]) -> Callable[[Data, Format], Data]:
    """Change the wrapper object, in place."""
    def reshape(data: Data, fmt: Format) -> Data:
        change(data, fmt)
        return data
    return reshape


def on_image(change: Callable[[Data], None]) -> Callable[[Data, Format], Data]:
    """Change the first image of serverImageList, in place."""
    def reshape(data: Data, fmt: Format) -> Data:  # noqa: ARG001 - both formats
        change(_first_image(data))
        return data
    return reshape


def set_if_present(target: Data, key: str, value: Any) -> None:
    """Set `key` where the service sends it at all."""
    if key in target:
        target[key] = value


def json_only(change: Callable[[Data], None]) -> Callable[[Data, Format], None]:
    """Apply `change` to the wrapper of JSON answers only."""
    def apply(data: Data, fmt: Format) -> None:
        if fmt == "json":
            change(inner_of(data))
    return apply


def xml_only(change: Callable[[Data], None]) -> Callable[[Data, Format], None]:
    """Apply `change` to the wrapper of XML answers only."""
    def apply(data: Data, fmt: Format) -> None:
        if fmt == "xml":
            change(inner_of(data))
    return apply


def size_in_gb(mapping: Data) -> None:
    """A mapping's blockStorageSize in GB, not bytes."""
    mapping["blockStorageSize"] = int(mapping["blockStorageSize"]) // GIB


def capital_bool(mapping: Data) -> None:
    """IsEncryptedVolume spelled True/False."""
    mapping["isEncryptedVolume"] = str(mapping["isEncryptedVolume"]).capitalize()


def wrong_snapshot(image: Data) -> None:
    """The first mapping names the next snapshot number."""
    for mapping in image.get("blockStorageMappingList") or []:
        number = mapping.get("blockStorageSnapshotInstanceNo")
        if number is not None:
            mapping["blockStorageSnapshotInstanceNo"] = int(number) + 1
            return


def drop_last_mapping(image: Data) -> None:
    """One mapping fewer than requested."""
    mappings = image.get("blockStorageMappingList")
    if mappings:
        mappings.pop()


def name_short(image: Data) -> None:
    """The echoed name loses its last character."""
    set_if_present(image, "serverImageName", str(image.get("serverImageName", ""))[:-1])


def description_trimmed(image: Data) -> None:
    """The echoed description loses its surrounding spaces."""
    if isinstance(image.get("serverImageDescription"), str):
        image["serverImageDescription"] = image["serverImageDescription"].strip()


def plain_error(body: bytes, fmt: Format) -> tuple[bytes, str]:  # noqa: ARG001
    """An error body of plain text."""
    return b"Bad Request", "text/plain;charset=UTF-8"


def json_error(body: bytes, fmt: Format) -> tuple[bytes, str]:
    """A JSON error body where XML was asked."""
    if fmt != "xml":
        return body, "application/json;charset=UTF-8"
    return (b'{"responseError": {"returnCode": "24000", "returnMessage": "refused"}}',
            "application/json;charset=UTF-8")
