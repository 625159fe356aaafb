"""Build the shipped cassettes: `python -m tests.cassettes --write` (after changing the suite).

Two sets live in `harness/cassettes/`:

* `simulator/`: a whole conformance run recorded from the embedded simulator (default
  scenario, fixed seed, 5 examples per test): every rule, both formats, both methods.
* `seed-example/`: the seed page's own example exchange (`seed-example.har`), and
  `session.har`, the neighbour answers of the account that example implies (snapshot
  111114697: 10 GB, KVM, bootable, CB1), served by the simulator. The page masks digits
  and letters with `*`; they are written as `1` (`*****4697` -> `111114697`,
  `test-***` -> `test-111`), and its response shows no headers, so the JSON Content-Type
  is assumed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.recording.cassette import SESSION, SHIPPED_CASSETTE, Recorder
from harness.recording.har import Exchange, dump_entry, dump_har
from harness.recording.redaction import Redactor
from harness.sim.scenario import parse_scenario
from harness.targets.discovery import discover
from harness.targets.transport import simulator_target

SIMULATOR_SET = SHIPPED_CASSETTE
SEED_SET = SHIPPED_CASSETTE.parent / "seed-example"
SEED_RESPONSE = Path(__file__).parent / "fixtures" / "seed_example_response.json"
SIMULATOR_SEED = 20261127
SIMULATOR_EXAMPLES = 5
SEED_URL = ("https://ncloud.apigw.ntruss.com/vserver/v2/createServerImageFromSnapshot"
            "?regionCode=KR&serverImageName=test-111&blockStorageList.1.order=0"
            "&blockStorageList.1.snapshotInstanceNo=111114697&responseFormatType=json")
SEED_ACCOUNT = {
    "regions": ["KR"],
    "verify_signatures": False,
    "snapshots": [{"instance_no": "111114697", "name": "test-111", "size_gb": 10,
                   "bootable": True, "hypervisor": "KVM", "status": "CREAT",
                   "volume_type": "CB1"}],
}


def seed_example_exchange() -> Exchange:
    """The seed page's example request and response, masked characters written as 1."""
    body = SEED_RESPONSE.read_text(encoding="utf-8").replace("test-***", "test-111")
    return Exchange(
        method="GET", url=SEED_URL,
        request_headers=(("x-ncp-apigw-timestamp", "REDACTED"),
                         ("x-ncp-iam-access-key", "REDACTED"),
                         ("x-ncp-apigw-signature-v2", "REDACTED")),
        request_body=b"", status=200, reason="OK",
        response_headers=(("Content-Type", "application/json;charset=UTF-8"),),
        response_body=json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8"),
        label="seed:example", rules=("SEED-R4", "SEED-R5", "SEED-R10"), test="seed-example")


def seed_example_har() -> str:
    """`seed-example.har`: the page's exchange, labelled with where it came from."""
    meta = {"source": "seed-page", "page": "createServerImageFromSnapshot.ja.txt",
            "masking": "the page's '*' characters are written as '1'"}
    return dump_har([dump_entry(seed_example_exchange())], meta,
                    "The example exchange of the seed page (createServerImageFromSnapshot,"
                    " VPC Server API v2): request as printed, response as printed; masked"
                    " characters written as 1; Content-Type assumed (the page shows none).")


def write_seed_set(directory: Path = SEED_SET) -> None:
    """The seed example and the neighbour answers of the account it implies."""
    shutil.rmtree(directory, ignore_errors=True)
    Recorder.prepare(directory)
    scenario = parse_scenario(SEED_ACCOUNT, source="the account the seed example implies")
    with simulator_target(scenario) as target:
        recorder = Recorder(directory, Redactor.of(target.credentials), {
            "source": "simulator", "scenario": scenario.source, "endpoint": target.endpoint,
            "profile": "dev", "seed": SIMULATOR_SEED, "max_examples": 1})
        target.recorder = recorder
        discover(target)
        recorder.flush(SESSION)
    (directory / "seed-example.har").write_text(seed_example_har(), encoding="utf-8")


def write_simulator_set(directory: Path = SIMULATOR_SET) -> int:
    """A whole conformance run recorded from the simulator; the run's exit code.

    The run is a fresh `ncp-harness` process, as a user's replay will be: Hypothesis mixes
    string constants of the loaded local modules into what it draws, so a recording made
    from inside this module (or with `python -m harness`) would draw requests a plain
    replay never asks for.
    """
    shutil.rmtree(directory, ignore_errors=True)
    command = [str(Path(sys.executable).with_name("ncp-harness")), "record",
               "--target", "simulator", "--out", str(directory),
               "--seed", str(SIMULATOR_SEED), "--max-examples", str(SIMULATOR_EXAMPLES),
               "--profile", "dev", "--quiet",
               "--report-dir", tempfile.mkdtemp(prefix="ncp-harness-record-")]
    return subprocess.run(command, check=False).returncode


def _main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="rewrite both shipped sets")
    if not parser.parse_args().write:
        parser.print_help()
        return 0
    write_seed_set()
    return write_simulator_set()


if __name__ == "__main__":
    raise SystemExit(_main())
