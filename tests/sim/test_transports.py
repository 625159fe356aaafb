"""The simulator behind `responses`, its own transport adapter, a loopback server; `serve`."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.cli.serve import exposure_warning
from harness.contract.model import ACTION, BlockStorage, CreateImageRequest
from harness.contract.wire import encode
from harness.core.signing import sign
from harness.sim.core import Simulator
from harness.sim.inprocess import DEFAULT_BASE_URL, SimulatorAdapter, simulated
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from harness.spec.body import parse_body
from harness.targets.transport import simulator_target

ROOT = Path(__file__).resolve().parents[2]
REQUEST = CreateImageRequest("img-1", (BlockStorage(0, "1000001"),), response_format="json")


def _signed_get(base: str, action: str, query: str) -> requests.Response:
    creds = default_scenario().credentials
    assert creds is not None
    url = f"{base}/vserver/v2/{action}" + (f"?{query}" if query else "")
    return requests.get(url, headers=sign("GET", url, creds), timeout=10)


def test_in_process_answers_requests() -> None:
    with simulated() as sim:
        response = _signed_get(DEFAULT_BASE_URL, ACTION, encode(REQUEST))
        assert response.status_code == 200
        assert parse_body(response.content).kind == "success"
        assert sim.images.created_count == 1
        form = encode(CreateImageRequest("img-2", REQUEST.block_storages)).encode()
        creds = sim.credentials
        assert creds is not None
        url = f"{DEFAULT_BASE_URL}/vserver/v2/{ACTION}"
        posted = requests.post(url, data=form, timeout=10, headers={
            **sign("POST", url, creds), "Content-Type": "application/x-www-form-urlencoded"})
        assert posted.status_code == 200
        assert sim.images.created_count == 2


@pytest.mark.parametrize("query", [encode(REQUEST), encode(REQUEST).replace("img-1", "x"),
                                   "responseFormatType=json&blockStorageList.1.order=0", ""])
def test_the_adapter_answers_as_responses_does(query: str) -> None:
    """SimulatorAdapter answers as `responses` does, byte for byte.

    All but what differs on every request: the request id, the creation time.
    """
    answers = []
    for mounted in (False, True):
        simulator = Simulator()
        with simulated(DEFAULT_BASE_URL, simulator), requests.Session() as session:
            if mounted:
                session.mount(DEFAULT_BASE_URL, SimulatorAdapter(simulator))
            creds = simulator.credentials
            assert creds is not None
            url = f"{DEFAULT_BASE_URL}/vserver/v2/{ACTION}" + (f"?{query}" if query else "")
            response = session.get(url, headers=sign("GET", url, creds), timeout=10)
            headers = {k: v for k, v in response.headers.items() if k != "Date"}
            body = re.sub(rb'"(requestId|createDate)": "[^"]*"', b"", response.content)
            answers.append((response.status_code, response.reason, headers, body,
                            simulator.images.created_count))
    assert answers[0] == answers[1]


def test_the_embedded_target_sends_through_the_adapter() -> None:
    with simulator_target() as target:
        assert isinstance(target.session.get_adapter(target.base_url + "/x"), SimulatorAdapter)


def test_in_process_refuses_other_hosts() -> None:
    with simulated(), pytest.raises(requests.ConnectionError):
        requests.get("https://ncloud.apigw.ntruss.com/vserver/v2/getRegionList", timeout=5)


def test_loopback_server_answers_every_method() -> None:
    with running() as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert _signed_get(server.url, ACTION, encode(REQUEST)).status_code == 200
        for method in ("PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"):
            response = requests.request(method, f"{server.url}/vserver/v2/{ACTION}", timeout=10)
            assert (response.status_code, response.headers["Allow"]) == (405, "GET, POST")
        head = requests.head(f"{server.url}/vserver/v2/{ACTION}", timeout=10)
        assert head.status_code == 405
        assert requests.get(f"{server.url}/nowhere", timeout=10).status_code == 404


def test_loopback_server_refuses_big_bodies_without_reading_them() -> None:
    with running() as server:
        big = b"x" * (default_scenario().max_body_bytes + 1)
        response = requests.post(f"{server.url}/vserver/v2/{ACTION}", data=big, timeout=10)
        assert response.status_code == 413
        chunked = requests.post(f"{server.url}/vserver/v2/{ACTION}", timeout=10,
                                data=iter([b"serverImageName=a", b"&b=c"]))
        assert chunked.status_code == 401  # read in full, then refused for the signature


def test_concurrent_creates_get_unique_numbers() -> None:
    workers, each = 8, 15
    numbers: list[str] = []
    lock = threading.Lock()
    with running() as server:
        def work(index: int) -> None:
            with requests.Session() as session:
                for n in range(each):
                    request = CreateImageRequest(f"img-{index}-{n}", REQUEST.block_storages,
                                                 response_format="json")
                    creds = server.simulator.credentials
                    assert creds is not None
                    url = f"{server.url}/vserver/v2/{ACTION}?{encode(request)}"
                    response = session.get(url, headers=sign("GET", url, creds), timeout=30)
                    number = parse_body(response.content).inner["serverImageList"][0][
                        "serverImageNo"]
                    with lock:
                        numbers.append(number)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(numbers) == workers * each
        assert len(set(numbers)) == workers * each
        assert server.simulator.images.created_count == workers * each


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("NCLOUD_")})
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)  # also closes the pipes


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_its_url_and_stops_cleanly(
    served: tuple[subprocess.Popen[str], str], stop: signal.Signals,
) -> None:
    process, url = served
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
    assert _signed_get(url, "getRegionList", "").status_code == 200
    process.send_signal(stop)
    _, err = process.communicate(timeout=120)  # a safety net, not a speed bound
    assert process.returncode == 0
    assert "simulator stopped" in err
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")),
                    reason="the README's recipe uses curl and openssl")
def test_the_readme_curl_recipe_works(served: tuple[subprocess.Popen[str], str]) -> None:
    _, url = served
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = re.search(r"<!-- curl-recipe -->\n```sh\n(.*?)```", readme, re.DOTALL)
    assert recipe is not None, "README.md lost its curl recipe"
    script = recipe.group(1).replace("http://127.0.0.1:8080", url)
    script = "\n".join(line for line in script.splitlines()
                       if not line.startswith("ncp-harness serve"))
    bash = shutil.which("bash") or "/bin/bash"
    result = subprocess.run([bash, "-euc", script], capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    body = parse_body(result.stdout.encode())
    assert (body.kind, body.problems) == ("success", ())


def test_serve_refuses_a_busy_port() -> None:
    with running() as server:
        port = server.server_address[1]
        result = subprocess.run([sys.executable, "-m", "harness", "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert f"--port {port}: cannot listen" in result.stderr


@pytest.mark.parametrize(("address", "warns"), [("127.0.0.1", False), ("::1", False),
                                                  ("0.0.0.0", True),  # noqa: S104 - no bind
                                                  ("192.0.2.7", True)])
def test_serve_warns_when_not_on_loopback(address: str, warns: bool) -> None:
    # Tests listen on 127.0.0.1 only, so the warning is checked without binding elsewhere.
    warning = exposure_warning(address)
    assert (warning is not None) is warns
    if warning:
        assert "reachable from the network" in warning


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_serve_on_ipv6_and_a_run_against_it(tmp_path: Path) -> None:
    creds = default_scenario().credentials
    assert creds is not None
    process = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--host", "::1",
                                "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT,
                               env={k: v for k, v in os.environ.items()
                                    if not k.startswith("NCLOUD_")})
    assert process.stdout is not None
    try:
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://\[::1\]:\d+", url), url
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NCLOUD_", "HYPO"))}
        env.update(NCLOUD_API_GW=url, NCLOUD_ACCESS_KEY=creds.access_key,
                   NCLOUD_SECRET_KEY=creds.secret_key)
        result = subprocess.run([sys.executable, "-m", "harness", "run", "--target", "live",
                                 "--quiet", "-k", "covering or neighbour", "--report-dir",
                                 str(tmp_path)], env=env, capture_output=True, text=True,
                                timeout=300, check=False)
    finally:
        process.terminate()
        process.communicate(timeout=15)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"target live ({url})" in result.stdout  # the endpoint keeps its brackets
    assert "not a loopback address" not in result.stdout + result.stderr


@pytest.mark.parametrize("line", [b"GARBAGE\r\n\r\n", b"GET /x HTTP/1.1 extra\r\n\r\n",
                                  b"GET /vserver/v2/getRegionList HTTP/9.9\r\n\r\n",
                                  b"\xff\xfe\x00 / HTTP/1.1\r\n\r\n"])
def test_a_malformed_request_line_gets_the_gateways_400(line: bytes) -> None:
    with running() as server, socket.create_connection(
            ("127.0.0.1", server.server_address[1])) as conn:
        conn.sendall(line)
        conn.settimeout(30)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert parse_body(body).kind == "gateway_error"


@pytest.mark.slow
def test_serve_stops_on_ctrl_c_even_when_started_with_sigint_ignored() -> None:
    """A child of a CI runner or an xdist worker may inherit SIGINT ignored; serve still stops."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("NCLOUD_")},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # noqa: PLW1509
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    try:
        assert _signed_get(url, "getRegionList", "").status_code == 200
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)  # a safety net, not a speed bound
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 0
    assert "simulator stopped" in err
