"""The simulator's server images: created, looked at, deleted; safe across threads.

The scenario's existing images are there from the start, in status CREAT. A new image
is INIT in the create answer; once `ready_after_looks` answers of
getServerImageList/getServerImageDetail have included it and `ready_after_seconds` have
passed since it was created (real images take minutes to hours), it is CREAT. An INIT
image cannot be deleted. A deleted image stays listed, CREAT with operation TERMT
("terminating"), for `gone_after_looks` more answers, as real deletions do. Numbers are
handed out in order under a lock, so none repeats.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

__all__ = ["EXISTING_FIRST_NO", "KST", "PUBLIC_IMAGES", "Image", "ImageStore", "StoredMapping",
           "public_images"]

KST = timezone(timedelta(hours=9))
EXISTING_FIRST_NO = 1_900_001
"""Numbers of the scenario's existing images, below those the simulator hands out."""
PUBLIC_FIRST_NO = 100_001
PUBLIC_IMAGES = (("ubuntu-22.04-base", "KVM", False), ("rocky-8.10-base", "KVM", False),
                 ("centos-7.8-64", "XEN", True))
"""NCP's own images an unfiltered getServerImageList lists on a real account, too."""
_PUBLIC_NAMES = {"KVM": ("ubuntu-22.04-base", "rocky-8.10-base", "ubuntu-24.04-base"),
                 "XEN": ("centos-7.8-64", "centos-7.3-64"),
                 "RHV": ("rocky-8.10-rhv", "centos-7.8-rhv", "ubuntu-20.04-rhv")}


def public_images(hypervisors: tuple[str, ...]) -> tuple[tuple[str, str, bool], ...]:
    """NCP's public images of those hypervisors, in order: (name, hypervisor, older shape).

    The default ("KVM", "KVM", "XEN") is PUBLIC_IMAGES; a XEN image is an older one (listed
    without a mapping list), as on a real account.
    """
    seen: Counter[str] = Counter()
    out = []
    for hypervisor in hypervisors:
        names = _PUBLIC_NAMES[hypervisor]
        index = seen[hypervisor]
        seen[hypervisor] += 1
        name = names[index % len(names)] + (f"-{index}" if index >= len(names) else "")
        out.append((name, hypervisor, hypervisor == "XEN"))
    return tuple(out)


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
    preexisting: bool = False
    operation: str = "NULL"
    gone_after: int | None = None
    """Looks left before a deleted (terminating) image disappears."""
    image_type: str = "SELF"
    """SELF (the account's) or NCP (one of NCP's own public images)."""
    hypervisor: str = "KVM"
    old_shape: bool = False
    """An older public image: listed without a mapping list, lifecycle phase or category."""


class ImageStore:
    """The images of one simulated account."""

    def __init__(self, *, first_no: int, ready_after_looks: int, gone_after_looks: int = 0,
                 existing: tuple[str, ...] = (), public: tuple[str, ...] = (),
                 ready_after_seconds: float = 0.0,
                 clock: Callable[[], float] = time.time) -> None:
        """`public`: the hypervisors of NCP's public images to list too (none: no public)."""
        self._lock = threading.Lock()
        self._next = first_no
        self._first = first_no
        self._ready_after = ready_after_looks
        self.ready_after_seconds = ready_after_seconds
        """How long a new image takes to be made (a test may change it on the way)."""
        self._clock = clock
        self._gone_after = gone_after_looks
        self._images: dict[str, Image] = {}
        self._names: Counter[str] = Counter()
        base = StoredMapping(0, None, None, 10 * 2**30, "CB1")
        for offset, name in enumerate(existing):
            number = str(EXISTING_FIRST_NO + offset)
            self._images[number] = Image(number, name, None, (base,), status="CREAT",
                                         preexisting=True)
            self._names[name] += 1
        for offset, (name, hypervisor, old) in enumerate(public_images(public)):
            number = str(PUBLIC_FIRST_NO + offset)
            self._images[number] = Image(
                number, name, None, () if old else (base,), status="CREAT", preexisting=True,
                image_type="NCP", hypervisor=hypervisor, old_shape=old,
                created=datetime(2021, 3, 2, 11, 0, tzinfo=KST))
            self._names[name] += 1

    @property
    def created_count(self) -> int:
        """How many images this simulator created that are neither gone nor terminating."""
        with self._lock:
            return sum(1 for image in self._images.values()
                       if not image.preexisting and image.gone_after is None)

    @property
    def ever_created(self) -> int:
        """How many images this simulator has created in its life, deleted or not."""
        with self._lock:
            return self._next - self._first

    def numbers(self) -> set[str]:
        """The numbers of every image that exists now and is not terminating."""
        with self._lock:
            return {n for n, image in self._images.items() if image.gone_after is None}

    def create(self, name: str, description: str | None,
               mappings: tuple[StoredMapping, ...], *, created: datetime | None = None,
               status: str = "INIT") -> Image:
        """Add an image (INIT unless told otherwise) and return it.

        `created` backdates it: a test's colleague made it before the run's request.
        """
        with self._lock:
            image = Image(str(self._next), name, description, mappings,
                          created or datetime.now(KST), status=status)
            self._next += 1
            self._images[image.number] = image
            self._names[name] += 1
            return _snapshot_of(image)

    def look(self, numbers: list[str] | None = None, name: str | None = None) -> list[Image]:
        """Images (all, or those numbered/named), each counting one more look."""
        with self._lock:
            found = []
            for image in list(self._images.values()):
                if numbers is not None and image.number not in numbers:
                    continue
                if name is not None and image.name != name:
                    continue
                if image.gone_after is not None:
                    if image.gone_after <= 0:
                        self._forget([image])
                        continue
                    image.gone_after -= 1
                elif self._ready(image):
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
                if image.image_type != "SELF":
                    return [], f"server image {number} is NCP's, not the account's"
                if image.status != "CREAT" and not self._ready(image):
                    return [], f"server image {number} is still being created (INIT)"
            gone = [self._images[n] for n in dict.fromkeys(numbers)]
            for image in gone:
                image.status, image.operation = "CREAT", "TERMT"
                image.gone_after = image.gone_after if image.gone_after is not None else (
                    self._gone_after)
            answer = [_snapshot_of(image) for image in gone]
            if not self._gone_after:
                self._forget(gone)
            return answer, None

    def _ready(self, image: Image) -> bool:
        """Whether a new image is made: looked at enough, and old enough (the lock is held)."""
        return image.looks >= self._ready_after and (
            self._clock() - image.created.timestamp() >= self.ready_after_seconds)

    def _forget(self, images: list[Image]) -> None:
        """Drop images for good (the lock is held)."""
        for image in images:
            self._images.pop(image.number, None)
        self._names.subtract(image.name for image in images)
        self._names += Counter()  # drop names whose count fell to zero

    def names(self) -> AbstractSet[str]:
        """Names of the images that exist, as a live read-only view (no copy per request)."""
        return self._names.keys()


def _snapshot_of(image: Image) -> Image:
    return Image(image.number, image.name, image.description, image.mappings, image.created,
                 image.looks, image.status, image.preexisting, image.operation,
                 image.gone_after, image.image_type, image.hypervisor, image.old_shape)
