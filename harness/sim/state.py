"""The simulator's server images: created, looked at, deleted; safe across threads.

A new image is INIT in the create answer; after `ready_after_looks` answers of
getServerImageList/getServerImageDetail that include it, it is CREAT. An INIT image cannot
be deleted. Numbers are handed out in order under a lock, so none repeats.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

__all__ = ["KST", "Image", "ImageStore", "StoredMapping"]

KST = timezone(timedelta(hours=9))


@dataclass(frozen=True, slots=True)
class StoredMapping:
    """One block storage of an image, as the mapping list reports it."""

    order: int
    snapshot_no: str | None
    snapshot_name: str | None
    size_bytes: int
    volume_type: str


@dataclass
class Image:
    """A server image the simulator created."""

    number: str
    name: str
    description: str | None
    mappings: tuple[StoredMapping, ...]
    created: datetime = field(default_factory=lambda: datetime.now(KST))
    looks: int = 0
    status: str = "INIT"


class ImageStore:
    """The images of one simulated account."""

    def __init__(self, *, first_no: int, ready_after_looks: int) -> None:
        self._lock = threading.Lock()
        self._next = first_no
        self._ready_after = ready_after_looks
        self._images: dict[str, Image] = {}

    def create(self, name: str, description: str | None,
               mappings: tuple[StoredMapping, ...]) -> Image:
        """Add an image in status INIT and return it."""
        with self._lock:
            image = Image(str(self._next), name, description, mappings)
            self._next += 1
            self._images[image.number] = image
            return _snapshot_of(image)

    def look(self, numbers: list[str] | None = None, name: str | None = None) -> list[Image]:
        """Images (all, or those numbered/named), each counting one more look."""
        with self._lock:
            found = []
            for image in self._images.values():
                if numbers is not None and image.number not in numbers:
                    continue
                if name is not None and image.name != name:
                    continue
                if image.looks >= self._ready_after:
                    image.status = "CREAT"
                image.looks += 1
                found.append(_snapshot_of(image))
            return found

    def delete(self, numbers: list[str]) -> tuple[list[Image], str | None]:
        """Delete all of `numbers`, or none of them and say why."""
        with self._lock:
            for number in numbers:
                image = self._images.get(number)
                if image is None:
                    return [], f"serverImageNo {number!r} does not exist"
                if image.status != "CREAT" and image.looks < self._ready_after:
                    return [], f"server image {number} is still being created (INIT)"
            return [_snapshot_of(self._images.pop(n)) for n in dict.fromkeys(numbers)], None

    def names(self) -> frozenset[str]:
        """Names of the images that exist now."""
        with self._lock:
            return frozenset(image.name for image in self._images.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._images)


def _snapshot_of(image: Image) -> Image:
    return Image(image.number, image.name, image.description, image.mappings, image.created,
                 image.looks, image.status)
