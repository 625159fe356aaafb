"""Custody: an answer closes nothing but a proven image; a listing settles the rest."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from harness.core.answer import Answer
from harness.core.imagerow import ImageRow
from harness.core.skew import Skew
from harness.custody import keeper as custody_module
from harness.custody.keeper import Custody, kind_of, new_record
from harness.custody.ownership import Claim

ANSWER = json.dumps({"createServerImageFromSnapshotResponse": {
    "requestId": "00000000-0000-4000-8000-000000000001", "returnCode": "0",
    "returnMessage": "success", "totalRows": 0, "serverImageList": []}}).encode()


class Clock:
    """A clock that moves only when told: no test here waits on the machine's."""

    def __init__(self, now: float = 1796198400.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def custody(clock: Clock | None = None, settle: float = 0.0) -> Custody:
    skew = Skew(-0.5, 0.5)  # measured: the service's clock within half a second of ours
    return Custody(new_record("http://127.0.0.1:1", "KR", frozenset({"100"})), skew=skew,
                   settle=settle, clock=clock or Clock())


def answer(status: int, body: bytes = b"") -> Answer:
    return Answer(status, {}, body)


def row(number: str, name: str, at: float) -> ImageRow:
    date = datetime.fromtimestamp(at).astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    return ImageRow(number, name, date, "INIT")


def _interrupt(*_: object, **__: object) -> Claim:
    raise KeyboardInterrupt


def test_an_interrupt_while_an_answer_is_read_leaves_the_attempt_to_be_looked_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A Ctrl-C that lands after the answer arrived but before its image is recorded: the
    # create may well have made an image, so teardown must still look for it.
    keeper = custody()
    attempt = keeper.begin("img-abcd001", "KR", unique=True)
    monkeypatch.setattr(custody_module, "claim", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        keeper.answered(attempt, answer(200, ANSWER))
    assert [a.serial for a in keeper.state().pending] == [attempt.serial]


@pytest.mark.parametrize(("status", "body", "kind"), [
    (400, b'{"responseError": {"returnCode": "24000"}}', "refused"),
    (500, b"Internal Server Error", "refused"),
    (500, b'{"responseError": {"returnCode": "1000"}}', "transient"),
    (504, b"<html><body>504 Gateway Time-out</body></html>", "lost"),
    (503, b"", "lost"),
    (200, b"\xff garbage", "unproven"),
])
def test_every_answer_but_a_proven_success_leaves_the_create_pending(
        status: int, body: bytes, kind: str) -> None:
    keeper = custody()
    attempt = keeper.begin("img-abcd001", "KR", unique=True)
    assert kind_of(answer(status, body)) == kind
    assert keeper.answered(attempt, answer(status, body)).number is None
    (pending,) = keeper.state().pending
    assert (pending.kind, pending.status) == (kind, status)
    assert pending.span.closed is (kind != "lost")  # a gateway timeout: the service may go on
    assert keeper.holding() == [pending]


def test_a_listing_gives_units_back_only_after_settling_and_finds_what_refusals_made() -> None:
    clock = Clock()
    keeper = custody(clock, settle=5.0)
    clean = keeper.begin("img-abcd001", "KR", unique=True)
    keeper.answered(clean, answer(400))
    dirty = keeper.begin("img-abcd002", "KR", unique=True)
    keeper.answered(dirty, answer(400))
    made = row("201", "img-abcd002", clock.now)
    early = keeper.look("KR", [made], started=clock.now + 1)
    assert early.released == []  # not settled yet: nothing shows that it made nothing
    assert [(a.serial, image.number) for a, image in early.found] == [(dirty.serial, "201")]
    assert [a.serial for a, _ in keeper.side_effects] == [dirty.serial]
    clock.now += 6
    later = keeper.look("KR", [made], started=clock.now)
    assert [a.serial for a in later.released] == [clean.serial]
    assert keeper.holding() == []
    assert [a.serial for a in keeper.state().pending] == [clean.serial]  # looked at once more


def test_an_image_that_shows_after_its_unit_came_back_is_charged_again() -> None:
    clock = Clock()
    keeper = custody(clock)
    late = keeper.begin("img-abcd001", "KR", unique=True)
    keeper.answered(late, answer(400))
    assert [a.serial for a in keeper.look("KR", [], started=clock.now).released] == [1]
    clock.now += 30
    seen = keeper.look("KR", [row("201", "img-abcd001", clock.now - 30)], started=clock.now)
    assert [a.serial for a in seen.recharged] == [late.serial]
    assert "201" in keeper.owned
    # A copy of the name made well after the answer is never the run's; but a slow service
    # could have made it, so its unit stays held.
    other = keeper.begin("img-abcd002", "KR", unique=True)
    keeper.answered(other, answer(400))
    copy = row("202", "img-abcd002", clock.now + 60)
    seen = keeper.look("KR", [copy], started=clock.now + 61)
    assert (seen.found, seen.released) == ([], [])
    assert [a.serial for a in keeper.holding()] == []  # held, and nothing to wait for
    assert "202" not in keeper.owned
