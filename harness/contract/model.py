"""Typed values of a createServerImageFromSnapshot request, as a caller means it.

These values say what a well-formed request contains; they do not promise that the
request is valid (the oracle decides that). Wire that no such value can produce
(duplicate keys, gaps in `N`, junk indexes) is expressed as raw parameter pairs instead,
see `harness.contract.wire`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACTION", "NEIGHBOUR_ACTIONS", "READ_ACTIONS", "BlockStorage", "CreateImageRequest",
           "Params"]

ACTION = "createServerImageFromSnapshot"
READ_ACTIONS = ("getRegionList", "getBlockStorageSnapshotInstanceList",
                "getBlockStorageVolumeTypeList", "getServerImageList")
"""The list actions a run reads before its first create (discovery, preflight, the suite)."""
NEIGHBOUR_ACTIONS = (*READ_ACTIONS, "getServerImageDetail", "deleteServerImage")
"""Every action around the create the harness calls (ncp-api.md section 5); one home."""

Params = tuple[tuple[str, str], ...]
"""Raw wire parameters: ordered (key, value) pairs, duplicates allowed, already decoded."""


@dataclass(frozen=True, slots=True)
class BlockStorage:
    """One `blockStorageList.N` entry (SEED-R4..R9); `None` means the key is not sent."""

    order: int | None = None
    snapshot_instance_no: str | None = None
    size_gb: int | None = None
    volume_type: str | None = None
    empty: bool | None = None

    @property
    def is_base(self) -> bool:
        """The base (boot) storage has order 0 (SEED-R4)."""
        return self.order == 0


@dataclass(frozen=True, slots=True)
class CreateImageRequest:
    """A createServerImageFromSnapshot request; `None` fields are not sent.

    `block_storages` are sent in order as `blockStorageList.1`, `blockStorageList.2`, ...
    """

    server_image_name: str | None
    block_storages: tuple[BlockStorage, ...] = ()
    region_code: str | None = None
    description: str | None = None
    response_format: str | None = None
