"""Render the README's example report (`pip install -e '.[docs]'`, then run this module).

Runs the simulator twice (a clean night, then a night where it wrongly accepts invalid
names and descriptions), compares them with `ncp-harness report --compare`, and renders
the first page of report.html, as first seen (folded parts folded), to
reports/example-report.png with PyMuPDF (no browser).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pymupdf

from benchmarks.report_height import as_first_seen
from harness.contract.oracle import Outcome, Verdict
from harness.sim import Simulator, actions
from harness.sim.scenario import default_scenario
from harness.sim.server import running

OUT = Path(__file__).parent.parent / "reports" / "example-report.png"
NCP_HARNESS = str(Path(sys.executable).with_name("ncp-harness"))


def _nights(root: Path) -> Path:
    creds = default_scenario().credentials
    assert creds is not None
    env = {**os.environ, "NCLOUD_ACCESS_KEY": creds.access_key,
           "NCLOUD_SECRET_KEY": creds.secret_key}
    common = ["--quiet", "--seed", "5", "--max-examples", "20"]
    with running(Simulator()) as server:
        env["NCLOUD_API_GW"] = server.url
        subprocess.run([NCP_HARNESS, "run", "--target", "live", *common, "--report-dir",
                        str(root / "2026-11-26")], env=env, check=True)
    # night two: the service accepts everything (the fault is for this process only)
    setattr(actions, "judge", lambda params, account: Verdict(Outcome.ACCEPT))  # noqa: B010
    with running(Simulator()) as server:
        env["NCLOUD_API_GW"] = server.url
        subprocess.run([NCP_HARNESS, "run", "--target", "live", *common, "-k",
                        "not SEED-R4 and not SEED-R7", "--report-dir",
                        str(root / "2026-11-27")], env=env, check=False)
    subprocess.run([NCP_HARNESS, "report", "--report-dir", str(root / "2026-11-27"),
                    "--compare", str(root / "2026-11-26")], check=False)
    return root / "2026-11-27" / "report.html"


def _render(page: Path, out: Path) -> None:
    story = pymupdf.Story(html=as_first_seen(page.read_text(encoding="utf-8"),
                                               charts=True))
    pdf = out.with_suffix(".pdf")
    writer = pymupdf.DocumentWriter(str(pdf))
    rect = pymupdf.Rect(0, 0, 900, 1500)
    more = True
    while more:
        device = writer.begin_page(rect)
        more, _ = story.place(pymupdf.Rect(20, 20, 880, 1480))
        story.draw(device)
        writer.end_page()
    writer.close()
    with pymupdf.open(str(pdf)) as document:
        document[0].get_pixmap(dpi=96).save(str(out))
    pdf.unlink()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        _render(_nights(Path(tmp)), OUT)
    sys.stdout.write(f"rewrote {OUT} (a tracked file: see `git diff --stat` before committing"
                     " it)\n")
