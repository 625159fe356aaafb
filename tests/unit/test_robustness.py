"""The response fuzzer: only legal bodies, no false alarm on a correct parser, every bug kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from examples.sdk_parser import parse as sdk_parse
from harness.checks.robustness import fuzz_parser, load_parser, misreads
from harness.cli.commands import main
from harness.core.errors import ConfigError
from harness.spec.body import parse_body
from harness.strategies.answers import LegalAnswer, legal_answers

READING = {"requestId": "0", "returnCode": "0", "returnMessage": "", "totalRows": 1,
           "serverImageList": [{"serverImageNo": "4294967296", "serverImageDescription": None,
                                "serverImageStatus": {"code": "INIT", "codeName": "creating"},
                                "blockStorageMappingList": [
                                    {"order": 0, "blockStorageSize": 10737418240,
                                     "isEncryptedVolume": False}]}]}


def correct_parse(body: bytes, response_format: str) -> Any:
    """A parser that reads bodies right: the harness's own, with XML coerced by the schema."""
    return parse_body(body).inner


@given(legal_answers())
def test_every_generated_body_is_legal_and_read_right_by_a_correct_parser(
        answer: LegalAnswer) -> None:
    parsed = parse_body(answer.body)
    assert parsed.format == answer.format
    assert parsed.kind == "success"
    assert parsed.problems == ()
    assert misreads(parsed.inner, answer.reading) == []


def test_a_correct_parser_raises_no_false_alarm() -> None:
    report = fuzz_parser(correct_parse, max_examples=150)
    assert report.ok, [f.lines()[0] for f in report.failures]
    assert report.examples >= 150


@pytest.mark.slow
def test_every_habit_of_the_sdk_style_parser_is_found_and_shrunk() -> None:
    report = fuzz_parser(sdk_parse, max_examples=300)  # the CLI's default
    kinds = {(f.kind, f.format, f.where.split(" at ")[0]) for f in report.failures}
    assert kinds == {
        ("crash", "json", "KeyError"),        # an absent optional field indexed
        ("crash", "json", "TypeError"),       # the snapshot number quoted: legal (SEED-S4)
        ("crash", "json", "OverflowError"),   # an instance number beyond int32
        ("crash", "xml", "AttributeError"),   # an absent optional element dereferenced
        ("crash", "xml", "OverflowError"),
        ("misread", "xml", "serverImageList[].blockStorageMappingList[].isEncryptedVolume"),
    }
    for failure in report.failures:
        body = failure.body.encode("utf-8")
        assert parse_body(body).problems == ()  # the minimal body is one the contract allows
        if failure.kind == "crash":  # the same exception again, from the minimal body
            name = failure.where.split(" at ")[0]
            with pytest.raises((KeyError, TypeError, OverflowError, AttributeError)) as caught:
                sdk_parse(body, failure.format)
            assert type(caught.value).__name__ == name
        else:  # bool("false") is True: the shrunk body has one unencrypted volume
            assert b"<isEncryptedVolume>false</isEncryptedVolume>" in body
            (image,) = sdk_parse(body, "xml")["serverImageList"]
            assert [m["isEncryptedVolume"] for m in image["blockStorageMappingList"]] == [True]
    overflow = next(f for f in report.failures if f.where.startswith("OverflowError")
                    and f.format == "json")
    assert "2147483648" in overflow.detail  # shrunk to the first number past int32


@pytest.mark.parametrize(("got", "expected"), [
    ({"serverImageList": [{"serverImageNo": 4294967296}]}, []),
    ({"serverImageList": [{"serverImageNo": 2**32 % 2**31}]},
     ["serverImageList[].serverImageNo"]),
    ({"serverImageList": [{"serverImageStatus": "INIT"}]}, []),
    ({"serverImageList": [{"serverImageStatus": "CREAT"}]},
     ["serverImageList[].serverImageStatus"]),
    ({"serverImageList": [{"serverImageDescription": ""}]}, []),
    ({"serverImageList": [{"blockStorageMappingList": [{"isEncryptedVolume": "false"}]}]},
     ["serverImageList[].blockStorageMappingList[].isEncryptedVolume"]),
    ({"serverImageList": [{"blockStorageMappingList": [{"blockStorageSize": "10737418240"}]}]},
     ["serverImageList[].blockStorageMappingList[].blockStorageSize"]),
    ({"serverImageList": [{"blockStorageMappingList": []}]},
     ["serverImageList[].blockStorageMappingList"]),
    ({"createServerImageFromSnapshotResponse": {"totalRows": 1}}, []),
    ({"totalRows": True}, ["totalRows"]),
], ids=["id-as-int", "id-wrapped-int32", "code-as-str", "code-wrong", "empty-is-none",
        "bool-as-text", "size-as-text", "list-short", "wrapped", "bool-for-int"])
def test_misreads_compare_only_what_was_read(got: dict[str, Any],
                                            expected: list[str]) -> None:
    assert [path for path, _ in misreads(got, READING)] == expected


def test_a_field_the_contract_does_not_have_is_the_callers_mistake() -> None:
    with pytest.raises(ConfigError, match=r"serverImageList\[0\]\.sizeGb, which is not a field"):
        misreads({"serverImageList": [{"sizeGb": 10}]}, READING)


@pytest.mark.parametrize(("spec", "message"), [
    ("examples.sdk_parser", "is not module:function"),
    ("no_such_module_here:parse", "cannot import no_such_module_here"),
    ("examples.sdk_parser:nope", "has no function 'nope'"),
])
def test_load_parser_says_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_parser(spec)


def test_the_command_reports_failures_and_passes_a_correct_parser(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz-parser", "examples.sdk_parser:parse", "--response-format", "json",
                 "--max-examples", "60"]) == 1
    captured = capsys.readouterr()
    assert "crash (json) KeyError at sdk_parser.py" in captured.out
    assert '"createServerImageFromSnapshotResponse": {' in captured.out  # the body, indented
    assert "found after" in captured.err  # progress, on stderr
    (tmp_path / "good_parser.py").write_text(
        "from harness.spec.body import parse_body\n\n\n"
        "def parse(body, response_format):\n    return parse_body(body).inner\n",
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["fuzz-parser", "good_parser:parse", "--max-examples", "40"]) == 0
    assert "0 kind(s) of failure" in capsys.readouterr().out
    assert main(["fuzz-parser", "good_parser", "--max-examples", "40"]) == 2


HOSTILE_PARSER = '''
def parse(body, response_format):
    if response_format == "json":
        raise BaseExceptionGroup("boom \\x1b]0;pwned\\x07 \\x1b[2J", [SystemExit(3)])
    raise ExceptionGroup("group \\u202e", [ValueError("inner")])
'''


def test_a_parser_that_raises_anything_is_a_finding_about_it_not_a_crash_of_ours(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "hostile_parser.py").write_text(HOSTILE_PARSER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["fuzz-parser", "hostile_parser:parse", "--max-examples", "5"]) == 1
    out, err = capsys.readouterr()
    assert "crash (json) BaseExceptionGroup at hostile_parser.py" in out
    assert "crash (xml) ExceptionGroup at hostile_parser.py" in out
    for raw in ("\x1b", "\x07", "\u202e"):  # the parser's escapes reach no terminal raw
        assert raw not in out + err
    assert "\\x1b]0;pwned" in out  # shown, visibly
    assert main(["fuzz-parser", "hostile_parser:parse", "--max-examples", "5",
                 "--format", "json"]) == 1
    assert "\x1b" not in capsys.readouterr().out
