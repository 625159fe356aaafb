"""Feed a client's response parser legal bodies; report each way it crashes or misreads.

The parser under test is any `parse(body: bytes, response_format: str) -> Mapping` that
returns what it read in the contract's field names (`serverImageList`, `serverImageNo`,
`blockStorageMappingList`, ...), with or without the `<action>Response` wrapper, and any
subset of the fields: only what it returns is compared. Instance numbers may come back as
`str` or `int`, a code/codeName pair as the pair or as its code; an empty text and `None`
are the same. Sizes and counts must be `int`, flags `bool`.

`fuzz_parser` looks for one failure at a time with `hypothesis.find`, shrinks it to a
minimal body, and goes on looking for a failure of another kind until it finds none: a
kind is a crash (exception type and the line it came from) or a misread (the field, list
positions left out), per format. Every body it feeds is legal: `harness.spec.body` accepts it.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
import xml.etree.ElementTree as ET  # lays out XML we generated; parsing is defusedxml's
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any, cast

import defusedxml.ElementTree as SafeET
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample

from harness.contract.model import ACTION
from harness.core.errors import ConfigError
from harness.core.plain import one_line
from harness.strategies.answers import Format, LegalAnswer, legal_answers

__all__ = ["FuzzReport", "ParserFailure", "fuzz_parser", "load_parser", "misreads"]

Parser = Callable[[bytes, str], Any]

_IDS = frozenset({"serverImageNo", "blockStorageSnapshotInstanceNo", "requestId", "returnCode"})
_INTS = frozenset({"totalRows", "order", "blockStorageSize", "iops", "throughput"})
_BOOLS = frozenset({"isEncryptedVolume"})
_SHOWN = 200


@dataclass(frozen=True)
class ParserFailure:
    """One kind of failure and the minimal legal body that shows it."""

    kind: str
    """`crash` or `misread`."""
    format: Format
    where: str
    """`OverflowError at sdk_parser.py:41`, or the field path of a misread."""
    detail: str
    body: str

    @property
    def signature(self) -> tuple[str, str, str]:
        """What makes two failures the same kind."""
        return self.kind, self.format, self.where

    def lines(self) -> list[str]:
        """The failure as text: what, where, and the minimal body (indented to be read)."""
        return [f"{self.kind} ({self.format}) {self.where}: {self.detail}",
                *(f"    {line}" for line in _indented(self.body, self.format).splitlines())]


@dataclass(frozen=True)
class FuzzReport:
    """What a parser was fed and every kind of failure found."""

    examples: int
    failures: tuple[ParserFailure, ...]

    @property
    def ok(self) -> bool:
        """No crash and no misread."""
        return not self.failures


def fuzz_parser(
    parse: Parser,
    *,
    formats: tuple[Format, ...] = ("json", "xml"),
    max_examples: int = 300,
    seed: int = 0,
    max_failures: int = 20,
    progress: Callable[[ParserFailure, int], None] | None = None,
) -> FuzzReport:
    """Fuzz `parse` with legal success bodies; each failure kind shrunk to a minimal body.

    `progress` hears of each new failure kind as it is found, with the bodies fed so far.
    """
    found: dict[tuple[str, str, str], ParserFailure] = {}
    calls = 0

    def new_failure(answer: LegalAnswer) -> bool:
        nonlocal calls
        calls += 1
        return any(f.signature not in found for f in _failures(parse, answer))

    config = settings(max_examples=max_examples, database=None, deadline=None,
                      phases=(Phase.generate, Phase.shrink),
                      suppress_health_check=list(HealthCheck))
    while len(found) < max_failures:
        try:
            minimal = find(legal_answers(formats), new_failure, settings=config,
                           random=Random(seed + len(found)))  # noqa: S311 - reproducible draws
        except NoSuchExample:
            break
        for failure in _failures(parse, minimal):
            if failure.signature not in found:
                found[failure.signature] = failure
                if progress is not None:
                    progress(failure, calls)
    ordered = sorted(found.values(), key=lambda f: (f.format, f.kind, f.where))
    return FuzzReport(calls, tuple(ordered))


def load_parser(spec: str) -> Parser:
    """The function `module:function` names; the current directory is searched too."""
    module_name, _, function = spec.partition(":")
    if not module_name or not function:
        raise ConfigError(f"{spec!r} is not module:function (e.g. examples.sdk_parser:parse)")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name} for {spec}: {exc}") from None
    parse = getattr(module, function, None)
    if not callable(parse):
        raise ConfigError(f"{module_name} has no function {function!r}")
    return cast("Parser", parse)


def _failures(parse: Parser, answer: LegalAnswer) -> list[ParserFailure]:
    try:
        got = parse(answer.body, answer.format)
    except KeyboardInterrupt:
        raise  # the person at the keyboard, not the parser
    except BaseException as exc:  # noqa: BLE001 - anything the parser raises is the finding
        # groups, SystemExit and the like included: the parser's, never the harness's crash
        return [ParserFailure("crash", answer.format, _origin(exc), _short(exc), answer.text)]
    return [ParserFailure("misread", answer.format, path, problem, answer.text)
            for path, problem in misreads(got, answer.reading)]


def misreads(got: Any, reading: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each field `got` holds that differs from the reading: (path without positions, why)."""
    out: list[tuple[str, str]] = []
    if isinstance(got, Mapping) and list(got) == [f"{ACTION}Response"]:
        got = got[f"{ACTION}Response"]
    _compare(got, dict(reading), "", "", out)
    return out


def _compare(got: Any, truth: Any, path: str, generic: str, out: list[tuple[str, str]]) -> None:
    if isinstance(truth, dict) and not (isinstance(got, str) and "code" in truth):
        if not isinstance(got, Mapping):
            out.append((generic or "(top)", f"read {_show(got)}, expected an object"))
            return
        for key, value in got.items():
            if key not in truth:
                raise ConfigError(f"the parser returned {path}{'.' if path else ''}{key!s:.80},"
                                  " which is not a field of the contract here; return the"
                                  f" contract's field names: {', '.join(sorted(truth))}")
            _compare(value, truth[key], f"{path}.{key}".lstrip("."),
                     f"{generic}.{key}".lstrip("."), out)
        return
    if isinstance(truth, list):
        if not isinstance(got, list | tuple) or len(got) != len(truth):
            out.append((generic, f"read {_show(got)}, expected a list of {len(truth)}"))
            return
        for index, (item, expected) in enumerate(zip(got, truth, strict=True)):
            _compare(item, expected, f"{path}[{index}]", f"{generic}[]", out)
        return
    if not _same(got, truth, generic.rsplit(".", 1)[-1]):
        out.append((generic, f"{path} read as {_show(got)}, the body says {_show(truth)}"))


def _same(got: Any, truth: Any, field: str) -> bool:
    if isinstance(truth, dict):  # a code/codeName pair read as its code
        return bool(got == truth["code"])
    if field in _IDS and truth is not None:
        return isinstance(got, str | int) and not isinstance(got, bool) and str(got) == truth
    if field in _INTS:
        return type(got) is int and got == truth
    if field in _BOOLS:
        return got is truth
    if truth is None or isinstance(truth, str):
        return (got is None or isinstance(got, str)) and (got or "") == (truth or "")
    return bool(got == truth)


def _origin(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    return f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno}"


def _short(exc: BaseException) -> str:
    text = one_line(str(exc) or type(exc).__name__)  # the parser's words, escapes visible
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _indented(body: str, fmt: Format) -> str:
    """The body laid out one field per line; the same data, another layout."""
    if fmt == "json":
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    root = SafeET.fromstring(body.encode("utf-8"))
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode")
