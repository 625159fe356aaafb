"""How tall report.html is on screen, with its folded parts folded (`pip install -e '.[docs]'`).

    python benchmarks/report_height.py [REPORT_DIR_OR_HTML ...] [--width 1100]

Lays each page out with PyMuPDF's HTML engine (no browser) at the report's width, as a
reader first sees it: every `<details>` shows its summary line only, each chart is as
tall as its SVG says. Prints the height in pixels and in 1,000-pixel screens. With no
argument it runs the default job (`ncp-harness run`, the simulator, seed 7) into a
temporary directory and measures that: the passing report the README's first command
writes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pymupdf

_FOLDED = re.compile(r"(<details[^>]*>\s*<summary>(?:(?!<details).)*?</summary>)"
                     r"(?:(?!<details).)*?</details>", re.S)
_SVG = re.compile(r"<svg[^>]*?height=\"(\d+)\".*?</svg>", re.S)
SCREEN = 1000


def as_first_seen(html: str, *, charts: bool = False) -> str:
    """The page with every `<details>` folded; charts kept, or blocks of their height.

    The layout engine measures an inline SVG as nothing, hence the blocks for a height.
    """
    while True:
        folded = _FOLDED.sub(lambda m: m.group(1).replace("<details", "<DETAILS")
                             + "</DETAILS>", html)
        if folded == html:
            break
        html = folded
    return html if charts else _SVG.sub(
        lambda m: f'<div style="height:{m.group(1)}px"></div>', html)


def height(html: str, width: int) -> float:
    """The laid-out height of `html` in pixels at `width`."""
    story = pymupdf.Story(html=as_first_seen(html))
    total, more = 0.0, True
    while more:
        more, filled = story.place(pymupdf.Rect(0, 0, width, 4000))
        story.draw(None)
        total += filled[3]
    return total


def _default_report(directory: Path) -> Path:
    command = [sys.executable, "-m", "harness", "run", "--quiet", "--seed", "7",
               "--report-dir", str(directory)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - ours
    return directory / "report.html"


def main() -> None:
    """Measure the pages given, or the default job's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", type=Path)
    parser.add_argument("--width", type=int, default=1100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pages = [p / "report.html" if p.is_dir() else p for p in args.pages] or [
            _default_report(Path(tmp))]
        for page in pages:
            tall = height(page.read_text(encoding="utf-8"), args.width)
            print(f"{page}: {tall:,.0f} px at {args.width} px wide,"
                  f" {tall / SCREEN:.1f} screens of {SCREEN} px")


if __name__ == "__main__":
    main()
