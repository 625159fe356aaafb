"""No endpoint or file can hold a run, fill its memory or end it in a traceback.

(Issue 15, item 1.) Whole-request timeouts, a cap on answers after decompression, paging
that ends, nesting that is refused.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from harness.core.bounded import DEFAULT_MAX_BODY
from harness.core.errors import AnswerTooLarge, TargetTimeout
from harness.sim import SimResponse, Simulator
from harness.sim.inprocess import DEFAULT_BASE_URL, simulated
from harness.sim.scenario import default_scenario
from harness.spec.body import MAX_PROBLEMS, parse_body
from harness.targets.imagelist import every_image
from harness.targets.paging import MAX_PAGES
from harness.targets.transport import HttpTarget
from tests.hostile import RawServer, dribble

CREDS = default_scenario().credentials
JSON_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n")


def _target(url: str, **kwargs: float) -> HttpTarget:
    target = HttpTarget(url, CREDS, max_retries=0)
    for name, value in kwargs.items():
        setattr(target, name, value)
    return target


def test_a_body_dribbled_a_byte_at_a_time_is_cut_at_the_timeout() -> None:
    body = b'{"getRegionListResponse": {"regionList": []}}' * 10
    with RawServer(dribble(JSON_HEAD % len(body), body, every=0.05)) as server:
        target = _target(server.url, timeout=0.5)
        with pytest.raises(TargetTimeout, match=r"getRegionList on .* did not"):
            target.call("getRegionList")
        target.close()
        server.finished.wait(60)
    assert server.sent < len(body)  # it stopped reading long before the end


def test_headers_dribbled_a_byte_at_a_time_are_cut_at_the_timeout() -> None:
    head = JSON_HEAD % 2 + b"{}"
    with RawServer([(head[i:i + 1], 0.05) for i in range(len(head))]) as server:
        target = _target(server.url, timeout=0.5)
        with pytest.raises(TargetTimeout, match=r"did not answer within 0\.5 s"):
            target.call("getRegionList")
        target.close()
        server.finished.wait(60)
    assert server.sent < len(head)


def test_a_body_past_the_cap_is_refused_before_it_is_all_read() -> None:
    body = b" " * (64 * 2**20)
    with RawServer([(JSON_HEAD % len(body), 0.0), (body, 0.0)]) as server:
        target = _target(server.url, max_body=2**20)
        with pytest.raises(AnswerTooLarge, match=r"more than 1,048,576 bytes .*--max-body"):
            target.call("getRegionList")
        target.close()
        server.finished.wait(60)
    assert server.sent < len(body) + 200


def _gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    zeros = b"\0" * 2**20
    return b"".join([*(packer.compress(zeros) for _ in range(size // 2**20)), packer.flush()])


def test_a_compressed_bomb_costs_the_cap_not_what_it_expands_to() -> None:
    bomb = _gzip_bomb(512 * 2**20)  # half a GiB, about half a MB on the wire
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(bomb))
    with RawServer([(head + bomb, 0.0)]) as server:
        target = _target(server.url)
        tracemalloc.start()
        try:
            with pytest.raises(AnswerTooLarge):
                target.call("getRegionList")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        target.close()
    assert len(bomb) < 2**20
    assert peak < 4 * DEFAULT_MAX_BODY  # the cap and a slice, not 512 MiB


DEEP_JSON = '{"log": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}"


@pytest.mark.parametrize(("name", "args"), [
    ("deep.har", ("check-traffic", "{file}")),
    ("cassette/deep.har", ("run", "--target", "fixtures", "--cassette", "{dir}")),
    ("ledger.jsonl", ("cleanup", "--ledger", "{file}")),
    ("report/summary.json", ("report", "--report-dir", "{dir}")),
    ("scenario.json", ("judge", "--scenario", "{file}", "serverImageName=abc")),
    ("scenario.toml", ("judge", "--scenario", "{file}", "serverImageName=abc")),
])
def test_an_input_file_nested_too_deep_is_refused_with_exit_2(
        tmp_path: Path, name: str, args: tuple[str, ...]) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".toml"):
        path.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    else:
        path.write_text(DEEP_JSON.replace("\n", " ") + "\n", encoding="utf-8")
    argv = [a.format(file=path, dir=path.parent) for a in args]
    result = subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True,
                            text=True, timeout=120, check=False, cwd=tmp_path)
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    assert "RecursionError" not in result.stdout + result.stderr
    assert str(path.name) in result.stdout + result.stderr


def test_an_answer_listing_ten_thousand_broken_images_keeps_fifty_faults() -> None:
    image = {"serverImageNo": "1", "serverImageName": 7, "blockStorageMappingList": "none"}
    body = json.dumps({"createServerImageFromSnapshotResponse": {
        "requestId": "x", "returnCode": "0", "returnMessage": "success", "totalRows": 10_000,
        "serverImageList": [dict(image, serverImageNo=str(n)) for n in range(10_000)]}})
    parsed = parse_body(body.encode())
    assert len(parsed.problems) == MAX_PROBLEMS + 1
    assert parsed.problems[-1].message.startswith("more schema faults than the 50 listed")
    assert all(p.actual is None or not isinstance(p.actual, list) for p in parsed.problems)


class _Endless(Simulator):
    """getServerImageList pages never run out: every page holds new images, no totalRows."""

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        if "/getServerImageList" not in target:
            return super().handle(method, target, headers, body)
        page = int(re.search(r"pageNo=(\d+)", target).group(1))  # type: ignore[union-attr]
        rows = [{"serverImageNo": str(page * 10 + i), "serverImageName": f"i{page}x{i}"}
                for i in range(10)]
        data = {"getServerImageListResponse": {"returnCode": "0", "serverImageList": rows}}
        return SimResponse(200, {"Content-Type": "application/json"}, json.dumps(data).encode())


def test_pages_that_never_run_out_stop_at_the_cap() -> None:
    scenario = replace(default_scenario(), verify_signatures=False)
    with simulated(DEFAULT_BASE_URL, _Endless(scenario)):
        target = HttpTarget(DEFAULT_BASE_URL, scenario.credentials)
        listing = every_image(target, "KR", page_size=10, max_pages=7)
    assert MAX_PAGES == 1000  # the documented cap; 7 here to keep the test short
    assert not listing.complete
    assert len(listing.rows) == 70
    assert "still had rows after 7 pages of 10" in listing.problem


@pytest.mark.parametrize("command", [
    ["run", "--target", "live", "--yes", "--request-timeout", "0.5"],
    ["preflight", "--request-timeout", "0.5"],
])
def test_the_pre_run_check_and_preflight_wait_no_longer_than_the_request_timeout(
        command: list[str]) -> None:
    """A dribbling gateway: the first getRegionList is cut at --request-timeout, once."""
    assert CREDS is not None
    body = b'{"getRegionListResponse": {"regionList": []}}' * 10
    with RawServer(dribble(JSON_HEAD % len(body), body, every=0.05)) as server:
        env = {"NCLOUD_API_GW": server.url, "NCLOUD_ACCESS_KEY": CREDS.access_key,
               "NCLOUD_SECRET_KEY": CREDS.secret_key, "PATH": "/usr/bin:/bin"}
        done = subprocess.run([sys.executable, "-m", "harness", *command], env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        server.finished.wait(60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "did not answer within 0.5 s" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert server.sent < len(body)  # the answer was cut, not read to its end


@pytest.mark.parametrize(("command", "stop", "ignored"), [
    (["preflight"], signal.SIGINT, False),
    (["preflight"], signal.SIGTERM, False),
    (["preflight", "--format", "json"], signal.SIGINT, True),  # a `&` job: SIGINT ignored
])
def test_every_command_stops_on_a_signal_with_one_line_and_exit_2(
        command: list[str], stop: signal.Signals, ignored: bool) -> None:
    assert CREDS is not None
    argv = command
    with RawServer([(b"", 120.0)]) as server:  # reads the request and never answers
        env = {"NCLOUD_API_GW": server.url, "NCLOUD_ACCESS_KEY": CREDS.access_key,
               "NCLOUD_SECRET_KEY": CREDS.secret_key, "PATH": "/usr/bin:/bin"}
        before = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignored else None
        try:  # a child inherits an ignored SIGINT, as a `&` job in a script does
            process = subprocess.Popen([sys.executable, "-m", "harness", *argv], env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
        finally:
            if ignored:
                signal.signal(signal.SIGINT, before)
        assert server.accepted.wait(120), "the command never asked"
        process.send_signal(stop)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 2, out + err
    assert "interrupted (Ctrl-C or SIGTERM)" in err
    assert "Traceback" not in out + err
    if "json" in argv:
        assert json.loads(out) == {"error": "interrupted", "exit": 2}
