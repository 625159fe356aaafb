"""The ledger: what a run still owes, replayed from its lines, however the run ended."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.core.signing import Credentials
from harness.custody.ledger import Ledger, RunRecord, ledger_key
from harness.custody.ownership import Attempt, Owned, Window

RUN = RunRecord("r1", "http://a", "KR", "t4g0", 1000.0, frozenset({"100"}))


def attempt(serial: int, name: str = "", *, unique: bool = True) -> Attempt:
    return Attempt(serial, name or f"abct4g000{serial}", "KR", 1000.0 + serial, unique)


def test_a_run_owes_what_it_made_and_did_not_delete_and_every_create_not_settled(
        tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.jsonl")
    ledger.run(RUN)
    for serial in range(1, 6):
        ledger.intent(RUN, attempt(serial))
    refused = replace(attempt(1), status=400, kind="refused",
                      window=Window(999.0, 1002.5, measured=True))
    ledger.answered(RUN, refused)  # refused: still owed until a listing settles it
    ledger.cleared(RUN, 1)  # its unit came back; the create is looked at again at teardown
    ledger.created(RUN, Owned("201", "abct4g0002", "KR", "2026-12-02T17:00:00+0900", 1002.0, 2,
                              unique=True))
    ledger.created(RUN, Owned("203", "abct4g0003", "KR", "", 1003.0, 3))
    ledger.deleted(RUN, "203", "terminating")
    ledger.answered(RUN, replace(attempt(4), status=200, kind="unproven",
                                 window=Window(1003.0, 1005.0, measured=False)))
    state = ledger.state()  # 5: sent, never answered
    (run,) = state.runs
    assert run.record == RUN
    assert [image.number for image in run.owned] == ["201"]
    assert run.owned[0].create_date == "2026-12-02T17:00:00+0900"
    assert run.owned[0].unique
    assert [(a.serial, a.kind) for a in run.pending] == [(1, "refused"), (4, "unproven"),
                                                         (5, "")]
    assert run.pending[0] == refused
    assert run.pending[2] == attempt(5)
    assert run.released == {1}
    ledger.resolved(RUN, 1, "none-found")
    ledger.resolved(RUN, 4, "recovered")
    ledger.resolved(RUN, 5, "none-found")
    ledger.deleted(RUN, "201")
    assert not ledger.state().owes


def test_a_run_of_the_first_sealed_format_closed_a_create_with_its_refusal(
        tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    ledger = Ledger(path)
    ledger.run(replace(RUN, format=1))
    ledger.intent(RUN, attempt(1))
    ledger.intent(RUN, attempt(2))
    ledger.answered(RUN, replace(attempt(1), status=400, kind="refused"))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    del lines[0]["format"]  # as that format wrote it
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    (run,) = Ledger(path).state().runs
    assert run.record.format == 1
    assert [a.serial for a in run.pending] == [2]


def test_a_live_run_is_marked_alive_until_its_process_lets_go(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.jsonl")
    other = Ledger(tmp_path / "l.jsonl")  # another reader of the same file
    assert not other.alive("r1")
    ledger.hold("r1")
    assert other.alive("r1")
    other.release("r1")  # not its run: a live run's mark stays
    assert other.alive("r1")
    ledger.release("r1")
    assert not other.alive("r1")
    assert not list((tmp_path / "l.jsonl.locks").iterdir())


def test_a_torn_last_line_is_skipped_a_corrupt_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    ledger = Ledger(path)
    ledger.run(RUN)
    ledger.created(RUN, Owned("201", "a", "KR"))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"event": "created", "endp')
    assert [i.number for i in ledger.state().runs[0].owned] == ["201"]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n")
    ledger.deleted(RUN, "201")
    with pytest.raises(ConfigError, match=r"line 3 is not a ledger record"):
        ledger.state()


def test_old_lines_and_lines_of_unknown_runs_are_listed_never_acted_on(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    lines = [{"event": "created", "endpoint": "http://a", "serverImageNo": "7", "name": "x"},
             {"event": "created", "endpoint": "http://a", "serverImageNo": "8", "name": "y"},
             {"event": "deleted", "endpoint": "http://a", "serverImageNo": "8"},
             {"event": "intent", "endpoint": "http://a", "name": "z"},
             {"event": "intent", "endpoint": "http://a", "name": "w"},
             {"event": "resolved", "endpoint": "http://a", "names": ["w"]},
             {"event": "created", "run": "nobody", "endpoint": "http://a",
              "serverImageNo": "9"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    state = Ledger(path).state()
    assert state.runs == []
    assert state.owes
    text = "\n".join(state.unprovable)
    assert "serverImageNo 7 ('x')" in text
    assert "serverImageNo 8" not in text
    assert "named 'z'" in text
    assert "named 'w'" not in text
    assert "1 line(s) name a run whose `run` line is missing" in text


def test_no_ledger_owes_nothing(tmp_path: Path) -> None:
    assert not Ledger(tmp_path / "none.jsonl").state().owes


def test_a_sealed_ledger_acts_only_on_lines_its_key_pair_sealed(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    key = ledger_key(Credentials("access-0001", "secret-0001"))
    ledger = Ledger(path, key)
    ledger.run(RUN)
    ledger.created(RUN, Owned("201", "abct4g0002", "KR"))
    ledger.created(RUN, Owned("202", "abct4g0003", "KR"))
    lines = path.read_text(encoding="utf-8").splitlines()
    edited = json.loads(lines[2])
    edited["serverImageNo"] = "999"  # by hand: the seal no longer holds
    path.write_text("\n".join([*lines[:2], json.dumps(edited)]) + "\n", encoding="utf-8")
    (run,) = Ledger(path, key).state().runs
    assert [image.number for image in run.owned] == ["201"]
    assert "line(s) 3: not sealed by a run holding this key pair" in "\n".join(
        Ledger(path, key).state().unprovable)
    other = Ledger(path, ledger_key(Credentials("access-0002", "secret-0002"))).state()
    assert other.runs == []  # written with other keys: nothing is acted on
    assert "line(s) 1, 2, 3" in "\n".join(other.unprovable)
    assert "secret-0001" not in path.read_text(encoding="utf-8")


def test_a_refusal_whose_image_was_found_marks_the_run_as_making_images_for_refusals(
        tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.jsonl")
    ledger.run(RUN)
    ledger.intent(RUN, attempt(1))
    ledger.intent(RUN, attempt(2))
    ledger.answered(RUN, replace(attempt(2), status=200, kind="unproven"))
    ledger.created(RUN, Owned("202", "abct4g0002", "KR", serial=2, recovered=True))
    assert not ledger.state().runs[0].refusals_made_images  # a success's image: no lesson
    ledger.answered(RUN, replace(attempt(1), status=400, kind="refused"))
    ledger.created(RUN, Owned("201", "abct4g0001", "KR", serial=1, recovered=True))
    assert ledger.state().runs[0].refusals_made_images
