"""One server image as a list answer gives it, reduced to what custody reads (pure).

`getServerImageList` rows, and the rows of a create answer, become `ImageRow`s here: the
number, the name, the create time (`2025-06-26T10:33:37+0900`, SEED-S3's style), the
status (`INIT` while it is being made, `CREAT`, `CREFL`) and the operation (`TERMT` while it
is being deleted). Status codes follow the ServerImage data type of the NCP API reference
(api.ncloud-docs.com, ja, updated 2026-09-17) and ncp-api.md section 9.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["BEING_CREATED", "TERMINATING", "ImageRow", "create_time", "rows_of"]

TERMINATING = frozenset({"TERMT"})
"""Status or operation codes of an image being deleted (NCP lists it a while longer)."""
BEING_CREATED = frozenset({"INIT"})
"""Status codes of an image still being created: it cannot be deleted yet."""


@dataclass(frozen=True)
class ImageRow:
    """One server image as a list answer gives it, reduced to what ownership reads."""

    number: str
    name: str
    create_date: str = ""
    status: str = ""
    operation: str = ""

    @property
    def created(self) -> float | None:
        """The create time in seconds since the epoch, None when absent or unreadable."""
        return create_time(self.create_date)

    @property
    def terminating(self) -> bool:
        """Being deleted: status or operation TERMT (ncp-api.md section 9)."""
        return self.status in TERMINATING or self.operation in TERMINATING

    @property
    def being_created(self) -> bool:
        """Still INIT: the service refuses to delete it until it is made."""
        return self.status in BEING_CREATED and not self.terminating


def create_time(text: str) -> float | None:
    """`2025-06-26T10:33:37+0900` (SEED-S3's style) as seconds since the epoch, else None."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        pass
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return None


def _code(value: Any) -> str:
    return str(value.get("code") or "") if isinstance(value, dict) else str(value or "")


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value)


def rows_of(images: Any) -> list[ImageRow]:
    """The readable rows of a `serverImageList` (anything else in it is skipped)."""
    if not isinstance(images, list):
        return []
    return [ImageRow(_text(i.get("serverImageNo")), _text(i.get("serverImageName")),
                     _text(i.get("createDate")), _code(i.get("serverImageStatus")),
                     _code(i.get("serverImageOperation")))
            for i in images if isinstance(i, dict) and _text(i.get("serverImageNo"))]
