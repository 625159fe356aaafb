"""How to send one probe again by hand: an ncp-harness command and a curl line, no secret."""

from __future__ import annotations

from harness.contract.probe import Probe
from harness.core.plain import shell_word
from harness.core.signing import SIGNATURE_V2

__all__ = ["reproduction"]


def reproduction(probe: Probe, *, run_target: str, endpoint: str, path: str,
                 scenario_path: str | None = None, fault: str | None = None) -> tuple[str, ...]:
    """The command, the curl line and a note for a probe a run sent to `run_target`.

    `path` is the request target the probe was sent to (path, and the query of a GET);
    a replayed cassette's probe is resent to the service it was recorded from.
    """
    replaying = run_target == "fixtures"
    target = "live" if replaying else run_target
    command = ["ncp-harness", "send", "--target", target, "--method", probe.method]
    if scenario_path and run_target == "simulator":
        command += ["--scenario", scenario_path]
    if fault and run_target == "simulator":
        command += ["--fault", fault]  # the same faulty simulator, or the bug is not there
    command.append(probe.wire)
    base = ("$NCLOUD_API_GW" if replaying else endpoint
            if run_target != "simulator" else "http://127.0.0.1:8080")
    signing = (f'-H "x-ncp-apigw-timestamp: $TS" -H "x-ncp-iam-access-key: $ACCESS"'
               f' -H "{SIGNATURE_V2}: $SIG"')
    if probe.method == "GET":
        curl = f"curl -sS {_quote_url(base, path)} {signing}"
    else:
        curl = (f"curl -sS -X POST {_quote_url(base, path)} --data-raw"
                f" {shell_word(probe.wire)} {signing}")
    serve = "ncp-harness serve --port 8080" + (f" --fault {fault}" if fault else "")
    note = ("# TS, ACCESS, SIG: see README 'Run it as an HTTP server'"
            + (f" (start `{serve}` first)" if run_target == "simulator" else ""))
    return (" ".join(shell_word(part) for part in command), curl, note)


def _quote_url(base: str, path: str) -> str:
    """The URL for a shell; a `$VARIABLE` base stays expandable."""
    if base.startswith("$"):
        return f'"{base}"{shell_word(path)}'
    return shell_word(base + path)
