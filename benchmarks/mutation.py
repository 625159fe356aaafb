"""The mutation score: run the suite against each named simulator fault and see it found.

    python benchmarks/mutation.py [--profile ci] [--seeds 3] [--fault NAME ...] [--json FILE]
                                  [--max-creates N] [--scenario FILE]

About 40 minutes on 2 cores for all 76 faults and three clean runs
(`--fault forgets-SEED-R9.3`, repeatable, runs only the ones named; `--forgets` only the 29
that forget one clause each).

For each fault of `harness.sim.faults`, a simulator with that one bug is served on
127.0.0.1 and `ncp-harness run --target live --profile ci` is pointed at it over HTTP, in a
fresh process. The table says whether the run failed, which rule ids its violations cite
(`right` when they include the rule the fault breaks), the seconds to the first answer
that broke the contract, and the size in bytes of the shrunk counterexample that cites
that rule. A fault that forgets one clause (`forgets-SEED-R9.3`) is blamed right when a
violation names that clause. Then the clean simulator is run with several seeds: any
violation there is a false alarm. Last, the mutation score and the median time to detect.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.contract.clauses import CLAUSES
from harness.sim.core import Simulator
from harness.sim.faults import FAULTS, Fault
from harness.sim.scenario import Scenario, load_scenario
from harness.sim.server import running

CREDENTIALS = {"NCLOUD_ACCESS_KEY": "ncp-harness-simulator-access-key",
               "NCLOUD_SECRET_KEY": "ncp-harness-simulator-secret-key"}


@dataclass
class Outcome:
    """One run against one simulator."""

    fault: str
    blames: str
    detected: bool
    blamed: list[str]
    right: bool
    first_failure_s: float | None
    counterexample_bytes: int | None
    duration_s: float
    sent: int
    verdict: str = ""


@dataclass(frozen=True)
class Setting:
    """How every run of the table is made: profile, budget, and the simulator's scenario."""

    profile: str
    max_creates: int
    scenario: Scenario | None = None


def run_against(fault: Fault | None, setting: Setting, seed: int, workdir: Path) -> Outcome:
    """Serve the simulator (with `fault`), run the suite at it over HTTP, read summary.json."""
    name = fault.name if fault else "clean"
    report = workdir / f"{name}-{seed}"
    with running(Simulator(setting.scenario, fault=fault)) as server:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NCLOUD_", "HYPOTHESIS", "PYTEST_"))}
        env.update(CREDENTIALS, NCLOUD_API_GW=server.url)
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603 - our own command line
            [sys.executable, "-m", "harness", "run", "--target", "live", "--profile",
             setting.profile, "--seed", str(seed), "--max-creates", str(setting.max_creates),
             "--quiet", "--report-dir", str(report)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        duration = time.monotonic() - started
    if not (report / "summary.json").is_file():  # the run could not start or crashed: say so
        said = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1][:120]
        return Outcome(name, fault.blames if fault else "", detected=False, blamed=[],
                       right=False, first_failure_s=None, counterexample_bytes=None,
                       duration_s=round(duration, 1), sent=0, verdict=f"no summary: {said}")
    summary: dict[str, Any] = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    violations = summary["violations"]
    blamed = sorted({v["rule"] or "-" for v in violations}
                    | {v["clause"] for v in violations if v.get("clause")})
    expected = fault.blames if fault else ""
    # A clause's fault is blamed right on that clause (or on one it cannot be broken without).
    right = {expected, *(CLAUSES[expected].with_ if expected in CLAUSES else ())}
    citing = [v for v in violations if right & {v["rule"], v.get("clause")}] or violations
    size = min((len(v["request"].encode("utf-8")) for v in citing), default=None)
    return Outcome(name, expected, bool(violations), blamed, bool(right & set(blamed)),
                   summary["run"].get("first_violation_s"), size, round(duration, 1),
                   summary["counts"].get("sent", 0), summary["verdict"])


def _row(o: Outcome) -> str:
    first = "-" if o.first_failure_s is None else f"{o.first_failure_s:.2f}"
    size = "-" if o.counterexample_bytes is None else str(o.counterexample_bytes)
    mark = ("ERROR" if o.verdict.startswith("no summary") else "right" if o.right
            else ("WRONG" if o.detected else "MISSED"))
    blamed = ", ".join(o.blamed) or "-"
    if len(blamed) > 40:
        blamed = blamed[:37] + "..."
    return (f"{o.fault:32} {o.blames:10} {'yes' if o.detected else 'NO':4} {mark:6} "
            f"{blamed:40} {first:>6} {size:>6}")


def main() -> int:
    """Run every fault (or those named) and the clean simulator; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci", choices=("dev", "ci", "nightly"))
    parser.add_argument("--seeds", type=int, default=3, help="clean runs (false alarms)")
    parser.add_argument("--seed", type=int, default=20261127, help="the faults' runs' seed")
    parser.add_argument("--fault", action="append", default=None, metavar="NAME",
                        help="only this fault (repeatable)")
    parser.add_argument("--forgets", action="store_true",
                        help="only the faults that forget one clause each")
    parser.add_argument("--json", metavar="FILE", help="also write every outcome as JSON")
    parser.add_argument("--max-creates", type=int, default=1_000_000, metavar="N",
                        help="every run's create budget (default: as good as none; 25 is a"
                        " live run's default, whose plan buys the covering set first)")
    parser.add_argument("--scenario", metavar="FILE",
                        help="the simulator's scenario (default: the packaged one), e.g."
                        " benchmarks/reference-hiccups.toml")
    args = parser.parse_args()
    setting = Setting(args.profile, args.max_creates,
                      load_scenario(args.scenario) if args.scenario else None)
    faults = [f for f in FAULTS if (args.fault is None or f.name in args.fault)
              and (not args.forgets or f.name.startswith("forgets-"))]
    with tempfile.TemporaryDirectory(prefix="ncp-mutation-") as tmp:
        workdir = Path(tmp)
        print(f"{'fault':32} {'breaks':10} {'det':4} {'blame':6} {'rules blamed':40}"
              f" {'first':>6} {'bytes':>6}")
        outcomes = []
        for fault in faults:
            outcome = run_against(fault, setting, args.seed, workdir)
            outcomes.append(outcome)
            print(_row(outcome), flush=True)
        clean = [run_against(None, setting, args.seed + i, workdir)
                 for i in range(args.seeds)]
    detected = [o for o in outcomes if o.detected]
    right = [o for o in outcomes if o.right]
    alarms = sum(len(o.blamed) for o in clean)
    times = [o.first_failure_s for o in detected if o.first_failure_s is not None]
    print()
    print(f"mutation score: {len(right)}/{len(outcomes)} detected with the right rule"
          f" ({len(detected)} detected at all), profile {args.profile}, over HTTP")
    print(f"false alarms on the clean simulator: {alarms} in {len(clean)} runs"
          f" (seeds {args.seed}..{args.seed + args.seeds - 1},"
          f" {sum(o.sent for o in clean)} requests; verdicts:"
          f" {', '.join(o.verdict for o in clean) or '-'})")
    print(f"budget: --max-creates {args.max_creates}; scenario: {args.scenario or 'default'}")
    if times:
        print(f"time to detect: median {statistics.median(times):.2f} s, mean"
              f" {statistics.mean(times):.2f} s, max {max(times):.1f} s (from the start of"
              " the run to the first answer that broke the contract)")
    print(f"run time: {sum(o.duration_s for o in outcomes + clean):.0f} s in all;"
          f" {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python"
          f" {sys.version.split()[0]}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"faults": [asdict(o) for o in outcomes], "clean": [asdict(o) for o in clean]},
            indent=2), encoding="utf-8")
    return 0 if len(right) == len(outcomes) and alarms == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
