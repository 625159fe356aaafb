"""Read an answer within a time and a size: no endpoint can hold a run or fill its memory.

`--timeout` bounds the whole request, headers and body: in the main thread an alarm
interrupts whatever the socket is doing when the time is up (an endpoint that dribbles a
byte a second cannot outlast it), and every read of the body checks the clock as well. The
body is read decoded (gzip and deflate undone) a slice at a time and refused past
`--max-body` bytes, so a compressed bomb costs at most the cap and one slice.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

from harness.core.errors import AnswerTooLarge, TargetTimeout

__all__ = ["DEFAULT_MAX_BODY", "Expired", "deadline", "read_body"]

DEFAULT_MAX_BODY = 16 * 2**20
"""16 MiB: a create answer is a few kilobytes; a list of 10,000 images about 20 MiB."""
_SLICE = 64 * 1024


class Expired(Exception):
    """The request's time ran out (raised by the alarm, turned into a TargetTimeout)."""


class _Raw(Protocol):
    def read1(self, amt: int | None = None, *, decode_content: bool | None = None) -> bytes: ...


@contextmanager
def deadline(seconds: float) -> Iterator[Callable[[], float]]:
    """A block that may not take longer than `seconds`; yields the time it has left.

    In the main thread an alarm raises `Expired` wherever the block is when the time is
    up; elsewhere only `read_body` checks, between reads.
    """
    end = time.monotonic() + seconds

    def left() -> float:
        return end - time.monotonic()

    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "setitimer"):
        yield left
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        raise Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield left
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_body(raw: _Raw, *, cap: int, left: Callable[[], float], what: str) -> bytes:
    """The decoded body, a slice at a time (`what` names the request in messages).

    TargetTimeout past the deadline, AnswerTooLarge past `cap` bytes.
    """
    body = bytearray()
    while True:
        if left() <= 0:
            raise TargetTimeout(f"{what} did not finish its answer in time ({len(body)} bytes"
                                " read)")
        piece = raw.read1(_SLICE, decode_content=True)
        if not piece:
            return bytes(body)
        body += piece
        if len(body) > cap:
            raise AnswerTooLarge(f"{what} answered more than {cap:,} bytes (after"
                                 " decompression); raise --max-body to read such answers")
