"""Endpoints that do not play fair, for the safety tests: liars, colleagues, deep answers.

They lie in create answers, list images that are not the run's, make images under the
run's names while it runs, make images for requests they refuse (at once or later), and
answer with what no parser survives. `Run` is one session against one of them, torn down
as `ncp-harness run` tears down.

Each is a `Simulator` whose `handle` does something to create requests (and only to them):
the neighbour actions stay correct, so discovery and cleanup meet a service that looks
real. They record what the run asked of them (every request target) for the assertions.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from harness.contract.model import ACTION
from harness.contract.oracle import Outcome, judge
from harness.contract.wire import decode
from harness.custody.budget import SharedBudget
from harness.custody.ledger import Ledger
from harness.run.failures import Failure, HarnessFault
from harness.run.runlog import RunLog
from harness.run.runsetup import clean
from harness.run.session import ConformanceSession
from harness.sim import SimResponse, Simulator
from harness.sim.inprocess import DEFAULT_BASE_URL, simulated
from harness.sim.scenario import Scenario
from harness.sim.server import running
from harness.sim.state import KST, Image, StoredMapping
from harness.strategies.valid import valid_probes
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget

BASE = (StoredMapping(0, None, None, 10 * 2**30, "CB1"),)


def _params(target: str, body: bytes) -> dict[str, str]:
    query = target.partition("?")[2]
    pairs = decode(query) + decode(body.decode("utf-8", "replace"))
    return dict(reversed(pairs))  # the first value of a key wins, as the simulator reads


class Watched(Simulator):
    """Notes every request target it is asked (method, path and query) for the assertions."""

    def __init__(self, scenario: Scenario | None = None, **kwargs: object) -> None:
        super().__init__(scenario, **kwargs)  # type: ignore[arg-type]
        self.seen: list[str] = []
        self._seen_lock = threading.Lock()
        self._busy = 0
        self._quiet = threading.Condition(self._seen_lock)
        self._answering = threading.Event()
        self._answering.set()

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        with self._seen_lock:
            self.seen.append(f"{method} {target} {body.decode('utf-8', 'replace')}")
            self._busy += 1
        try:
            if f"/{ACTION}" in target:
                assert self._answering.wait(timeout=300), "creates held for 300 s"
                return self.create(method, target, headers, body)
            return super().handle(method, target, headers, body)
        finally:
            with self._quiet:
                self._busy -= 1
                self._quiet.notify_all()

    def hold_creates(self, held: bool) -> None:
        """Hold every create unanswered until `hold_creates(False)`; then it is carried out.

        A client that gives up waiting gives up on every one of them, however busy the
        machine: no race between its timeout and the service's speed. Loopback only: held
        in-process, the client would wait on itself.
        """
        if held:
            self._answering.clear()
        else:
            self._answering.set()

    def idle(self) -> None:
        """Wait until no request is being handled (one the client gave up on included)."""
        with self._quiet:
            assert self._quiet.wait_for(lambda: self._busy == 0, timeout=300), "still busy"

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        """A create request; subclasses do their mischief here."""
        return super().handle(method, target, headers, body)

    def colleague_makes(self, name: str, *, ago: timedelta = timedelta(0)) -> Image:
        """A colleague creates an image named `name` on the same account (CREAT at once)."""
        return self.images.create(name, None, BASE, created=datetime.now(KST) - ago,
                                  status="CREAT")


class CopyingColleague(Watched):
    """A colleague who makes an image under the name of every create the run sends.

    `before`: right before the request is handled (so two images share the name when the
    request is accepted); otherwise after a refusal: `lag` seconds after its answer, as its
    createDate says (a person reads the name somewhere, then types it).
    """

    def __init__(self, scenario: Scenario | None = None, *, before: bool = False,
                 lag: float = 30.0, shorter_than: int = 31) -> None:
        super().__init__(scenario)
        self.before = before
        self.lag = lag
        self.shorter_than = shorter_than
        """Only names shorter than this are copied (8: those too short for the run's tag)."""
        self.theirs: list[str] = []

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        name = _params(target, body).get("serverImageName", "")
        if len(name) >= self.shorter_than:
            return super().create(method, target, headers, body)
        if self.before and name:
            self.theirs.append(self.colleague_makes(name).number)
        answer = super().create(method, target, headers, body)
        if not self.before and name and answer.status >= 400:
            self.theirs.append(self.colleague_makes(name, ago=-timedelta(seconds=self.lag))
                               .number)
        return answer


def _json(answer: SimResponse) -> dict[str, object] | None:
    try:
        data = json.loads(answer.body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class Liar(Watched):
    """Create answers (JSON) that name other images than the one made.

    `mode`: "older" adds an image that existed before the run to the list; "colleague"
    swaps the new image's number for that of an image a colleague has just made under the
    same name (the answer looks perfect; the listing tells the truth); "inventory" swaps it
    for a number that existed before the run; "no-number" leaves serverImageNo out.
    """

    def __init__(self, scenario: Scenario | None = None, *, mode: str) -> None:
        super().__init__(scenario)
        self.mode = mode
        self.theirs: list[str] = []

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        answer = super().create(method, target, headers, body)
        data = _json(answer)
        if answer.status != 200 or data is None:
            return answer
        inner = data[f"{ACTION}Response"]
        assert isinstance(inner, dict)
        images = inner["serverImageList"]
        assert isinstance(images, list)
        older = dict(images[0], serverImageNo=min(self.images.numbers()))
        if self.mode == "older":
            images.append(older)
            inner["totalRows"] = len(images)
        elif self.mode == "inventory":
            images[0] = older
        elif self.mode == "no-number":
            images[0] = {k: v for k, v in images[0].items() if k != "serverImageNo"}
        else:
            theirs = self.colleague_makes("colleague-image")
            self.theirs.append(theirs.number)
            images[0] = dict(images[0], serverImageNo=theirs.number)
        return SimResponse(200, answer.headers, json.dumps(data).encode())


class Deep(Watched):
    """Answers every create with JSON nested 100,000 levels deep (a parser's recursion limit)."""

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        del method, target, headers, body
        depth = 100_000
        return SimResponse(200, {"Content-Type": "application/json"},
                           b'{"a":' * depth + b"1" + b"}" * depth)


class Unkillable(Watched):
    """deleteServerImage answers 200 but the image stays, and is not terminating."""

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        if "/deleteServerImage" in target:
            self.seen.append(f"{method} {target}")
            return SimResponse(200, {"Content-Type": "application/json"},
                               b'{"deleteServerImageResponse": {"returnCode": "0"}}')
        return super().handle(method, target, headers, body)


class TimesOutAtTheGateway(Watched):
    """Makes the image, then the gateway answers 504 Endpoint Timeout in its place."""

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        super().create(method, target, headers, body)
        return SimResponse(504, {"Content-Type": "application/json"},
                           b'{"error":{"errorCode":"510","message":"Endpoint Timeout"}}')


class Echo(Watched):
    """A gateway that writes back what it was sent: keys and signatures, in every form.

    It knows the secret key too (it is the simulator's), so it echoes that as well. Create
    answers carry the secrets in returnMessage and the image name, plain, percent-encoded
    and JSON-escaped; every fifth create gets a body that is not UTF-8 with the secrets in
    it; every seventh an unreadable HTML page quoting the headers; 401s quote them in their
    message; list answers carry them in a header.
    """

    def __init__(self, scenario: Scenario | None = None) -> None:
        super().__init__(scenario)
        self.heard: set[str] = set()
        self._creates = 0

    def _secrets(self, headers: Mapping[str, str]) -> list[str]:
        sent = [v for k, v in headers.items() if k.lower().startswith("x-ncp-")
                and not k.lower().endswith("timestamp")]
        creds = self.scenario.credentials
        with self._seen_lock:
            self.heard.update(sent)
        return [*sent, *((creds.secret_key,) if creds else ())]

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        answer = super().handle(method, target, headers, body)
        echoed = " ".join(self._secrets(headers))
        if answer.status == 401:
            data = {"error": {"errorCode": "200", "message": f"Authentication Failed: {echoed}",
                              "details": quote(echoed, safe="")}}
            return SimResponse(401, answer.headers, json.dumps(data).encode())
        return SimResponse(answer.status, {**answer.headers, "X-Echo": quote(echoed)},
                           answer.body)

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        answer = super().create(method, target, headers, body)
        secrets = self._secrets(headers)
        echoed = " ".join(secrets)
        self._creates += 1
        if self._creates % 5 == 0:
            return SimResponse(200, {"Content-Type": "application/json"},
                               b"\xff\xfe{" + echoed.encode() + b"}")
        if self._creates % 7 == 0:
            return SimResponse(200, {"Content-Type": "text/html"},
                               f"<html><pre>{echoed}</pre>".encode())
        data = _json(answer)
        if data is None:
            return answer
        inner = data.get(f"{ACTION}Response") or data.get("responseError")
        if isinstance(inner, dict):
            inner["returnMessage"] = f"{echoed} {quote(echoed, safe='')}"
            for image in inner.get("serverImageList") or []:
                image["serverImageName"] = secrets[0]
                image["serverImageDescription"] = json.dumps(secrets)
        return SimResponse(answer.status, answer.headers,
                           json.dumps(data).replace("/", "\\/").encode())


FORGED = "\x1b[2J\x1b[H\r\nPASSED: the contract held\x07\x9b31m\u202egnp.exe\x00"
"""What a hostile service writes where text goes: clear the screen, forge a verdict line."""


class Forger(Watched):
    """Refuses every create with a message built to take over a terminal and break XML."""

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        del method, target, headers, body
        data = {"responseError": {"returnCode": "24000", "returnMessage": FORGED}}
        return SimResponse(400, {"Content-Type": "application/json"},
                           json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"))


class RawServer:
    """A loopback TCP server (127.0.0.1) that answers each connection with a script.

    The script is a list of (bytes, seconds to wait after them); `sent` counts the bytes
    that reached the socket before the client hung up, so a test can tell the client
    stopped reading without measuring any time.
    """

    def __init__(self, script: list[tuple[bytes, float]]) -> None:
        self.script = script
        self.sent = 0
        self.accepted = threading.Event()
        """Set once a client's request has been read: it is waiting for the answer now."""
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # a script's pauses end with the test
        self._server.close()
        self._thread.join(timeout=30)

    def _serve(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)  # the request; whatever it is
            self.accepted.set()
            try:
                for data, wait in self.script:
                    conn.sendall(data)
                    self.sent += len(data)
                    if wait and self._stop.wait(wait):
                        break
            except OSError:
                pass  # the client hung up: what we wanted to see
        self.finished.set()


def dribble(head: bytes, body: bytes, *, every: float) -> list[tuple[bytes, float]]:
    """A script that sends `head` at once, then `body` a byte at a time."""
    return [(head, 0.0), *((body[i:i + 1], every) for i in range(len(body)))]


class MakesThenAnswers(Watched):
    """Carries out every create, then answers each one it accepted with something else.

    `status`, `body` and `content_type` are what the run gets in place of the success: a
    400 refusal, a plain 500, a proxy's HTML 504 page, an empty or garbled body. The image
    is made all the same.
    """

    def __init__(self, status: int, body: bytes = b"", content_type: str = "application/json",
                 scenario: Scenario | None = None) -> None:
        super().__init__(scenario)
        self.status, self.body, self.content_type = status, body, content_type

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        answer = super().create(method, target, headers, body)
        if answer.status != 200:
            return answer
        return SimResponse(self.status, {"Content-Type": self.content_type}, self.body)


REFUSAL = json.dumps({"responseError": {"returnCode": "24000", "returnMessage":
                                        "Invalid parameter"}}).encode()
GATEWAY_PAGE = (b"<html><head><title>504 Gateway Time-out</title></head><body><center>"
                b"<h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>")


class Clock:
    """This machine's time plus whatever `sleep` skipped: a run that waits without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += max(0.0, seconds)


class LateImage(Watched):
    """Refuses every valid create with a 400, and makes its image `lag` seconds later.

    The image is dated when the request came (its createDate is inside the request's
    window; `dated_late`: when it shows) but shows in listings only `lag` seconds after the
    refusal, by `clock`: a backend that finishes what its front end said it would not do.
    """

    def __init__(self, clock: Clock, lag: float, scenario: Scenario | None = None, *,
                 dated_late: bool = False) -> None:
        super().__init__(scenario)
        self.clock, self.lag = clock, lag
        self.dated_late = dated_late
        """Date the image when it shows, not when the request came (after the answer)."""
        self.due: list[tuple[float, str, datetime]] = []
        self.made: list[str] = []

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        params = _params(target, body)
        pairs = decode(target.partition("?")[2]) + decode(body.decode("utf-8", "replace"))
        if judge(pairs, self.scenario.account).outcome is not Outcome.ACCEPT:
            return super().create(method, target, headers, body)
        now = self.clock()
        with self._seen_lock:
            self.due.append((now + self.lag, params.get("serverImageName", ""),
                             datetime.fromtimestamp(now, KST)))
        return SimResponse(400, {"Content-Type": "application/json"}, REFUSAL)

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes = b"") -> SimResponse:
        if "/getServerImage" in target:
            with self._seen_lock:
                ready = [d for d in self.due if d[0] <= self.clock()]
                self.due = [d for d in self.due if d[0] > self.clock()]
            for due, name, created in ready:
                when = datetime.fromtimestamp(due, KST) if self.dated_late else created
                self.made.append(self.images.create(name, None, BASE, created=when,
                                                    status="CREAT").number)
        return super().handle(method, target, headers, body)


TAG = "t4g0"


class Run:
    """One session against one simulator, in-process, and what its teardown reported."""

    def __init__(self, simulator: Simulator, stack: ExitStack, tmp_path: Path, *,
                 max_creates: int | None = None, loopback: bool = False,
                 clock: Clock | None = None, settle: float = 0.0, tag: str = TAG,
                 seed: int = 7) -> None:
        self.simulator = simulator
        url = DEFAULT_BASE_URL
        if loopback:  # answers that never arrive need a real socket
            url = stack.enter_context(running(simulator)).url
            if isinstance(simulator, Watched):  # a failed test must not leave creates held
                stack.callback(simulator.hold_creates, False)
        else:
            stack.enter_context(simulated(DEFAULT_BASE_URL, simulator))
        self.target = HttpTarget(url, simulator.credentials, name="live")
        stack.callback(self.target.close)
        self.log = RunLog("live", self.target.endpoint, "dev", seed)
        self.budget = (SharedBudget(tmp_path / f"budget-{tag}.json", max_creates)
                       if max_creates is not None else None)
        self.ledger = Ledger(tmp_path / "ledger.jsonl")
        timing = {"clock": clock, "sleep": clock.sleep} if clock is not None else {}
        self.session = ConformanceSession(self.target, discover(self.target), self.log,
                                          ledger=self.ledger, max_creates=max_creates,
                                          budget=self.budget, name_tag=tag, settle=settle,
                                          **timing)  # type: ignore[arg-type]
        self.before = simulator.images.numbers()

    def valid(self, cls: str = "mixed", examples: int = 6) -> None:
        assert self.session.exercise(valid_probes(self.session.account, cls), "t",
                                     max_examples=examples) is None

    def answered_in(self, fmt: str, examples: int) -> Failure | HarnessFault | None:
        """Exercise valid requests that ask for `fmt` answers (the liars lie in JSON only).

        Drawn as such, not hoped for among both formats: the test must not hang on the draws.
        """
        probes = valid_probes(self.session.account, "format-given").filter(
            lambda p: p.response_format == fmt)
        return self.session.exercise(probes, "t", max_examples=examples)

    def unanswered(self, held: bool) -> None:
        """Creates answered only after the client gave up on them (False: answered again)."""
        if held:
            assert isinstance(self.simulator, Watched)
            assert self.target.endpoint.startswith("http://127.0.0.1"), "loopback only"
        if isinstance(self.simulator, Watched):
            self.simulator.hold_creates(held)
        self.target.timeout = 0.05 if held else 30.0

    def teardown(self, wait: float = 5.0) -> None:
        self.unanswered(held=False)
        clean(self.session, wait)

    @property
    def left(self) -> set[str]:
        """Numbers of the images that exist now and did not before the run."""
        return self.simulator.images.numbers() - self.before


HICCUP = json.dumps({"responseError": {"returnCode": "1000", "returnMessage":
                                       "Please try your call again later."}}).encode()


class Hiccups(Watched):
    """Answers creates with NCP's 500/1000 "try your call again later" instead of a verdict.

    `refusals_only`: only the creates it refuses (the rest are carried out and answered);
    otherwise every create, carried out or not.
    """

    def __init__(self, scenario: Scenario | None = None, *, refusals_only: bool) -> None:
        super().__init__(scenario)
        self.refusals_only = refusals_only

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        answer = super().create(method, target, headers, body)
        if self.refusals_only and answer.status < 400:
            return answer
        return SimResponse(500, {"Content-Type": "application/json"}, HICCUP)


class OtherXmlErrors(Watched):
    """Refuses every create with an XML error shape other than the one the harness assumes."""

    def create(self, method: str, target: str, headers: Mapping[str, str],
               body: bytes) -> SimResponse:
        del method, target, headers, body
        return SimResponse(400, {"Content-Type": "application/xml"},
                           b"<?xml version='1.0'?><responseError><code>24001</code>"
                           b"<message>no such snapshot</message></responseError>")
