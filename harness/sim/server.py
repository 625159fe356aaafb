"""The simulator as a real HTTP server on loopback: `ncp-harness serve`, and tests' servers.

A threading server; every request goes to `Simulator.handle`, whatever its method. It
logs only method, path and status (never headers: they carry signatures), and reads at
most the scenario's body limit before answering 413.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from harness.sim.core import Simulator
from harness.sim.render import GATEWAY_CODES, SimResponse, gateway_error

__all__ = ["SimulatorServer", "running"]

_CHUNK_LINE_LIMIT = 1024
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class _Handler(BaseHTTPRequestHandler):
    """Hands every request, whatever its method, to the server's simulator."""

    server: SimulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "ncp-harness-simulator"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """HTTP-level errors (bad request line, URI too long) in the gateway's JSON shape.

        A request line too broken to name its HTTP version leaves the handler thinking it
        speaks HTTP/0.9, which has no headers: the answer goes out as HTTP/1.1 regardless.
        """
        del explain
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") in ("HTTP/0.9", None):
            self.request_version = "HTTP/1.1"
        self.command = getattr(self, "command", None) or "GET"
        self._send(gateway_error(code if code in GATEWAY_CODES else 400,
                                 message or "the request could not be read"))

    def parse_request(self) -> bool:
        """The stdlib's parse, and a method that is an HTTP token (RFC 9110), else a 400."""
        if not super().parse_request():
            return False
        if not _TOKEN.fullmatch(self.command or ""):
            self.send_error(400, "Bad request line: the method is not an HTTP token")
            return False
        return True

    def version_string(self) -> str:
        return self.server_version

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    def _answer(self) -> None:
        body, problem = self._read_body()
        if problem is not None:
            self.close_connection = True
            self._send(problem)
            return
        if self.server.should_drop():
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)  # the scenario's drop_every
            return
        target = self.path
        if not target.startswith("/"):  # absolute-form request target
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._send(self.server.simulator.handle(self.command, target, dict(self.headers), body))

    def _read_body(self) -> tuple[bytes, SimResponse | None]:
        limit = self.server.simulator.scenario.max_body_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b"", None
        if not raw.strip().isdigit():
            return b"", gateway_error(400, f"Content-Length {raw[:40]!r} is not a number")
        length = int(raw)
        if length > limit:
            return b"", gateway_error(413, f"the body is {length} bytes; at most {limit} are"
                                      " accepted")
        return self.rfile.read(length), None

    def _read_chunked(self, limit: int) -> tuple[bytes, SimResponse | None]:
        body = b""
        while True:
            line = self.rfile.readline(_CHUNK_LINE_LIMIT).split(b";")[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                return b"", gateway_error(400, "malformed chunked body")
            if size == 0:
                self.rfile.readline(_CHUNK_LINE_LIMIT)
                return body, None
            if len(body) + size > limit:
                return b"", gateway_error(413, f"the body is over {limit} bytes")
            body += self.rfile.read(size)
            self.rfile.readline(_CHUNK_LINE_LIMIT)

    def _send(self, response: SimResponse) -> None:
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        body = response.body if self.command != "HEAD" else b""
        # Headers and body in one write: two small writes meet delayed ACKs (40 ms each).
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        if self.server.verbose:
            super().log_message(format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        del size
        if self.server.verbose:
            path = str(getattr(self, "path", "") or "-").partition("?")[0]
            self.log_message('"%s %s" %s', self.command, path, code)


class SimulatorServer(ThreadingHTTPServer):
    """A threading HTTP server around one simulator."""

    daemon_threads = True

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0,
                 *, verbose: bool = False) -> None:
        self.simulator = simulator
        self.verbose = verbose
        self._requests = 0
        self._drop_lock = threading.Lock()
        if ":" in host:  # an IPv6 address: ::1, or [::1] as a URL writes it
            self.address_family = socket.AF_INET6
            host = host.strip("[]")
        super().__init__((host, port), _Handler)

    def should_drop(self) -> bool:
        """Whether the scenario wants this request's connection closed unanswered."""
        every = self.simulator.scenario.drop_every
        with self._drop_lock:
            self._requests += 1
            return bool(every) and self._requests % every == 0

    @property
    def url(self) -> str:
        """The base URL clients use: http://host:port."""
        host, port = self.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else host
        shown = f"[{text}]" if ":" in text else text
        return f"http://{shown}:{port}"


@contextmanager
def running(simulator: Simulator | None = None, host: str = "127.0.0.1",
            port: int = 0) -> Iterator[SimulatorServer]:
    """Serve a simulator on a background thread for the `with` block, then stop it."""
    server = SimulatorServer(simulator or Simulator(), host, port)
    thread = threading.Thread(target=server.serve_forever, name="ncp-simulator", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
