"""Examples per second, end to end, against a plain schemathesis loop; and peak memory.

    python benchmarks/throughput.py [--examples 2000] [--rounds 3] [--memory 1000,20000]

Three loops over the same action, each generating, encoding, sending and checking:

* harness, in-process: `ConformanceSession.exchange` (oracle verdict, wire encoding,
  signing, `requests` through the simulator's transport adapter, as `ncp-harness run`
  mounts it, every check, the run log) over
  a mix of valid requests and one breaker per seed rule;
* harness, loopback HTTP: the same against the simulator served on 127.0.0.1;
* baseline: schemathesis generating the action's POST cases from the same OpenAPI file and
  calling `case.call_and_validate` against the same simulator through the same adapter
  (without signature checks, so its cases reach the action).

Then the harness's in-process loop again in fresh processes for each count in --memory,
shaped as a nightly run (properties of 2,000 examples, one session, one simulator),
reporting the peak resident memory of each (VmHWM: on Linux ru_maxrss carries the parent's
peak into the child). What grows with the run: the simulated account (every image the run
creates stays until cleanup, as on a real account) and the signatures sent (kept so that
no answer, however late, can echo one).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from harness.contract.model import ACTION
from harness.contract.probe import Probe
from harness.run.profiles import PROFILES
from harness.run.runlog import RunLog
from harness.run.session import ConformanceSession
from harness.sim.core import Simulator
from harness.sim.inprocess import DEFAULT_BASE_URL, SimulatorAdapter, simulated
from harness.sim.scenario import default_scenario
from harness.sim.server import running
from harness.spec.openapi import generation_view
from harness.strategies.breaking import BREAKABLE, breaking_probes
from harness.strategies.valid import valid_probes
from harness.targets.discovery import discover
from harness.targets.transport import HttpTarget

NIGHTLY = PROFILES["nightly"].max_examples
"""Examples a property at most in a nightly run: the memory runs are shaped the same."""


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, database=None, deadline=None,
                    phases=(Phase.generate,), suppress_health_check=list(HealthCheck))


def _mix(session: ConformanceSession) -> st.SearchStrategy[Probe]:
    account = session.current_account  # the account the session judges: one oracle call
    return st.one_of(valid_probes(account, "mixed"), valid_probes(account, "base+new"),
                     *(breaking_probes(account, rule) for rule in BREAKABLE))


@contextmanager
def _session(url: str | None) -> Iterator[ConformanceSession]:
    simulator = Simulator()
    if url is None:
        with simulated(DEFAULT_BASE_URL, simulator):
            target = HttpTarget(DEFAULT_BASE_URL, simulator.credentials, name="simulator")
            target.session.mount(DEFAULT_BASE_URL, SimulatorAdapter(simulator))  # as the run
            yield ConformanceSession(target, discover(target),
                                     RunLog("simulator", DEFAULT_BASE_URL, "ci", 1))
            target.close()
        return
    with running(simulator) as server:
        target = HttpTarget(server.url, simulator.credentials, name="simulator")
        yield ConformanceSession(target, discover(target), RunLog("simulator", url, "ci", 1))
        target.close()


def harness_loop(examples: int, *, http: bool, per_property: int | None = None,
                 ) -> tuple[int, float]:
    """(examples, seconds) of the harness's own loop, in-process or over loopback HTTP.

    With `per_property`, the examples are spread over properties of that many each, as a
    nightly run does (2,000 a property), all against one session and one simulator.
    """
    with _session("http" if http else None) as session:
        count = 0
        started = time.perf_counter()
        while count < examples:
            batch = min(examples - count, per_property or examples)

            @_settings(batch)
            @given(_mix(session))
            def loop(probe: Probe) -> None:
                nonlocal count
                session.exchange(probe)
                count += 1

            loop()
        return count, time.perf_counter() - started


def schemathesis_loop(examples: int) -> tuple[int, float]:
    """(examples, seconds) of schemathesis calling and validating POST cases."""
    scenario = replace(default_scenario(), verify_signatures=False)
    operation = schemathesis.openapi.from_dict(generation_view())[
        f"/vserver/v2/{ACTION}"]["POST"]
    count = 0
    simulator = Simulator(scenario)
    with simulated(DEFAULT_BASE_URL, simulator), requests.Session() as http:
        http.mount(DEFAULT_BASE_URL, SimulatorAdapter(simulator))  # as the harness's session

        @_settings(examples)
        @given(operation.as_strategy())
        def loop(case: Any) -> None:
            nonlocal count
            try:
                case.call_and_validate(base_url=DEFAULT_BASE_URL, session=http)
            except BaseException as exc:  # a failed check (a BaseExceptionGroup) is one example too
                if isinstance(exc, KeyboardInterrupt):
                    raise
            count += 1

        started = time.perf_counter()
        loop()
        return count, time.perf_counter() - started


def own_peak_kib() -> int:
    """This process's own peak RSS in KiB.

    Linux's ru_maxrss survives exec: a child started from this benchmark would report at
    least the parent's peak at the fork. VmHWM belongs to the process image, so it does not.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return next(int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmHWM:"))


def peak_memory(examples: int) -> int:
    """Peak RSS in MiB of a fresh process running the in-process loop for `examples`."""
    code = ("import sys; sys.path.insert(0, 'benchmarks');"
            "from throughput import harness_loop, own_peak_kib;"
            f"harness_loop({examples}, http=False, per_property={NIGHTLY});"
            "print(own_peak_kib())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603
                            check=True, cwd=Path(__file__).resolve().parent.parent)
    return int(result.stdout.strip().splitlines()[-1]) // 1024


def _rate(name: str, measure: Callable[[], tuple[int, float]]) -> float:
    count, seconds = measure()
    rate = count / seconds
    print(f"{name:34} {count:6} examples in {seconds:6.1f} s = {rate:6.0f} examples/s",
          flush=True)
    return rate


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> int:
    """Measure the three loops, print the ratios, then peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--memory", default="1000,20000",
                        help="example counts for the peak-memory runs ('' to skip)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the three loops, interleaved; medians are reported"
                        " (a busy machine moves single runs by a third)")
    args = parser.parse_args()
    inprocs, https, bases, ratios = [], [], [], []
    for _ in range(args.rounds):
        inprocs.append(_rate("harness, in-process",
                             lambda: harness_loop(args.examples, http=False)))
        https.append(_rate("harness, loopback HTTP",
                           lambda: harness_loop(args.examples, http=True)))
        bases.append(_rate("schemathesis call_and_validate",
                           lambda: schemathesis_loop(args.examples)))
        ratios.append(inprocs[-1] / bases[-1])
    print(f"\nmedians of {args.rounds} rounds: in-process {_median(inprocs):.0f}, loopback HTTP"
          f" {_median(https):.0f} (goal: 300), schemathesis {_median(bases):.0f} examples/s;"
          f" in-process / schemathesis {_median(ratios):.1f}x (goal: 3x; rounds:"
          f" {', '.join(f'{r:.1f}x' for r in ratios)})")
    for count in (int(c) for c in args.memory.split(",") if c):
        print(f"peak memory, {count:6} examples in-process (nightly-shaped):"
              f" {peak_memory(count):5} MiB", flush=True)
    print(f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python"
          f" {sys.version.split()[0]}, peak RSS of this process {own_peak_kib() // 1024} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
