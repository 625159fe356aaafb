"""Answers shaped as NCP's published reference shows them are judged without a false alarm.

tests/fixtures/reference holds response bodies transcribed from the reference's examples
and data-type pages, each naming its page, language and date, plus the variants the pages
allow (issue 16, items 2 to 7). Every one parses with no violation, raises exactly the
findings its header names, and the create answers keep the contract when checked against
the request that would have made them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.checks.response import Answer, check_answer, is_transient, reference_findings
from harness.contract.account import GIB, Account, Snapshot
from harness.contract.model import ACTION, BlockStorage, CreateImageRequest
from harness.contract.oracle import Outcome, judge
from harness.contract.probe import Probe
from harness.contract.volumetypes import learn
from harness.spec.body import parse_body

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "reference"
HEADERS = ("page", "language", "updated", "action", "status", "kind", "notes")


@dataclass(frozen=True)
class Example:
    """One transcribed answer and what its header says of it."""

    name: str
    headers: dict[str, str]
    body: bytes

    @property
    def notes(self) -> set[str]:
        return set(self.headers["notes"].split())


def _read(path: Path) -> Example:
    head, _, body = path.read_bytes().partition(b"\n\n")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8").splitlines():
        key, _, value = line.removeprefix("# ").partition(":")
        headers[key.strip()] = value.strip()
    return Example(path.name, headers, body)


EXAMPLES = [_read(p) for p in sorted(CORPUS.glob("*.body"))]


def _ids(examples: list[Example]) -> list[str]:
    return [e.name for e in examples]


def test_the_corpus_covers_every_action_the_harness_reads() -> None:
    actions = {e.headers["action"] for e in EXAMPLES}
    assert actions >= {ACTION, "getBlockStorageSnapshotInstanceList", "getRegionList",
                       "getBlockStorageVolumeTypeList", "getServerImageList",
                       "deleteServerImage"}
    assert {e.headers["kind"] for e in EXAMPLES} == {"success", "error", "gateway_error"}


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids(EXAMPLES))
def test_each_example_names_its_source(example: Example) -> None:
    assert set(HEADERS) <= set(example.headers), example.name
    assert example.headers["page"].startswith("https://")
    assert example.headers["language"] in {"en", "ja", "ko"}
    assert example.headers["updated"][:4].isdigit()


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids(EXAMPLES))
def test_each_example_parses_with_no_violation(example: Example) -> None:
    parsed = parse_body(example.body, action=example.headers["action"])
    assert parsed.kind == example.headers["kind"]
    assert parsed.problems == (), [p.message for p in parsed.problems]
    found = {case for f in reference_findings(parsed, int(example.headers["status"]))
             for case in f.cases}
    assert found == example.notes


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.headers["status"] >= "500"],
                         ids=_ids([e for e in EXAMPLES if e.headers["status"] >= "500"]))
def test_service_failures_are_transient_not_violations(example: Example) -> None:
    answer = Answer(int(example.headers["status"]), {"Content-Type": "application/json"},
                    example.body)
    assert is_transient(answer)


def _rows(example: Example) -> list[Any]:
    inner = parse_body(example.body, action=example.headers["action"]).inner
    rows: list[Any] = inner["blockStorageVolumeTypeList"]
    return rows


VOLUME_TYPES = [e for e in EXAMPLES if e.headers["action"] == "getBlockStorageVolumeTypeList"]


@pytest.mark.parametrize("example", VOLUME_TYPES, ids=_ids(VOLUME_TYPES))
def test_volume_type_limits_are_learned_in_bytes_from_every_spelling(example: Example) -> None:
    learned = learn(_rows(example))
    assert learned.unit == "bytes"
    for row in _rows(example):
        code = row["blockStorageVolumeType"]["code"]
        if code in learned.limits.volume_types:  # SSD and HDD are no request code (SEED-R8)
            assert learned.limits.volume_types[code].min_gb * GIB == row["minVolumeSize"]
        flag = next(row[k] for k in ("isBaseStorageAvailable", "isBasicStorageAvailable",
                                     "isAvailableBase") if k in row)
        assert learned.base_usable[code] is flag


def _request_for(image: dict[str, Any]) -> tuple[CreateImageRequest, Account]:
    """The request that would have made `image`, and an account holding its snapshots."""
    storages, snapshots = [], []
    for mapping in image["blockStorageMappingList"]:
        size = mapping["blockStorageSize"] // GIB
        vtype = mapping["blockStorageVolumeType"]["code"]
        snap = str(mapping.get("blockStorageSnapshotInstanceNo") or "")
        if snap:
            snapshots.append(Snapshot(snap, size * GIB, bootable=True, volume_type=vtype))
        if mapping["order"] == 0:
            storages.append(BlockStorage(0, snap))
        elif snap:
            storages.append(BlockStorage(mapping["order"], snap))
        else:
            storages.append(BlockStorage(mapping["order"], None, size, vtype, empty=True))
    request = CreateImageRequest(image["serverImageName"], tuple(storages),
                                 response_format="json")
    return request, Account(tuple(snapshots))


CREATES = [e for e in EXAMPLES if e.headers["action"] == ACTION
           and e.headers["kind"] == "success"]


@pytest.mark.parametrize("example", CREATES, ids=_ids(CREATES))
def test_a_create_answer_as_the_reference_shows_it_keeps_the_contract(
        example: Example) -> None:
    image = parse_body(example.body).inner["serverImageList"][0]
    request, account = _request_for(image)
    fmt = "xml" if example.body.lstrip().startswith(b"<") else "json"
    request = CreateImageRequest(request.server_image_name, request.block_storages,
                                 response_format=fmt)
    probe = Probe.of(request, "GET", "reference corpus", ("SEED-R4",))
    verdict = judge(probe.params, account)
    assert verdict.outcome is Outcome.ACCEPT, verdict.breaches
    content_type = "application/xml" if fmt == "xml" else "application/json"
    result = check_answer(probe, verdict, Answer(200, {"Content-Type": content_type},
                                                 example.body), account)
    assert result.violations == (), [v.message for v in result.violations]
    assert {c for f in result.findings for c in f.cases} == example.notes


def _variants_scenario(tmp_path: Path) -> Path:
    text = (Path(__file__).parents[2] / "harness" / "scenarios" / "default.toml").read_text(
        encoding="utf-8")
    assert "reference_variants = false" in text
    path = tmp_path / "variants.toml"
    path.write_text(text.replace("reference_variants = false", "reference_variants = true"),
                    encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPOTHESIS"))}
    return subprocess.run([sys.executable, "-m", "harness", "run", "--quiet",
                           "--max-examples", "10", *args], capture_output=True, text=True,
                          timeout=600, check=False, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("seed", ["1", "2"])
def test_a_service_answering_in_the_references_other_shapes_passes(
        tmp_path: Path, seed: str) -> None:
    reports = tmp_path / "reports"
    result = _run("--scenario", str(_variants_scenario(tmp_path)), "--seed", seed,
                  "--report-dir", str(reports))
    assert result.returncode == 0, result.stdout[-3000:]
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    cases = {c for f in summary["findings"] for c in f["cases"]}
    assert {"REF-mapping-iops", "REF-requestId-empty"} <= cases


@pytest.mark.slow
def test_every_rule_is_still_enforced_on_those_shapes(tmp_path: Path) -> None:
    result = _run("--scenario", str(_variants_scenario(tmp_path)), "--seed", "1",
                  "--fault", "ignores-size-limits", "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 1, result.stdout[-3000:]
    assert "SEED-R7" in result.stdout
