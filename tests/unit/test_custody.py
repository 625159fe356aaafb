"""Custody: an interrupt at any moment of closing an attempt leaves it for teardown."""

from __future__ import annotations

import json

import pytest

from harness.core.ownership import Claim
from harness.run import custody as custody_module
from harness.run.custody import Custody

ANSWER = json.dumps({"createServerImageFromSnapshotResponse": {
    "requestId": "00000000-0000-4000-8000-000000000001", "returnCode": "0",
    "returnMessage": "success", "totalRows": 0, "serverImageList": []}}).encode()


def _interrupt(*_: object, **__: object) -> Claim:
    raise KeyboardInterrupt


def test_an_interrupt_while_an_answer_is_read_leaves_the_attempt_to_be_looked_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A Ctrl-C that lands after the answer arrived but before its image is recorded: the
    # create may well have made an image, so teardown must still look for it by name.
    custody = Custody("http://127.0.0.1:1", "KR", frozenset())
    attempt = custody.begin("img-abcd001", "KR", unique=True)
    monkeypatch.setattr(custody_module, "claim", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        custody.answered(attempt, 200, ANSWER)
    assert [a.serial for a in custody.state().lost] == [attempt.serial]


def test_a_closed_attempt_is_not_looked_for_twice() -> None:
    custody = Custody("http://127.0.0.1:1", "KR", frozenset())
    lost = custody.begin("img-abcd001", "KR", unique=True)
    custody.no_answer(lost)
    unproven = custody.begin("img-abcd002", "KR", unique=True)
    custody.answered(unproven, 200, ANSWER)  # a success naming no image
    refused = custody.begin("img-abcd003", "KR", unique=True)
    custody.answered(refused, 400, b"")
    state = custody.state()
    assert [a.serial for a in state.lost] == [lost.serial]
    assert [a.serial for a in state.unidentified] == [unproven.serial]
