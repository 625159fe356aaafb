"""What every command shares: its exit codes, printing for a person, a scenario by path."""

from __future__ import annotations

from typing import TextIO

from harness.core.plain import one_line
from harness.core.scrub import SECRETS
from harness.sim.scenario import Scenario, load_scenario, site_scenario

__all__ = ["EXIT_CONTRACT", "EXIT_INCOMPLETE", "EXIT_OK", "EXIT_OWED", "EXIT_USAGE", "say",
           "scenario_at"]

EXIT_OK = 0
EXIT_CONTRACT = 1
EXIT_USAGE = 2
EXIT_OWED = 3
"""cleanup: images are still being created after the wait; settle them again later."""
EXIT_INCOMPLETE = 3
"""run: no violation in what was sent, but the run did not judge all it set out to."""


def say(*parts: object, sep: str = " ", file: TextIO | None = None, flush: bool = False) -> None:
    """Print for a person: service and file text as plain lines, no escapes, no secret."""
    text = sep.join(str(part) for part in parts)
    print("\n".join(SECRETS.text(one_line(line)) for line in text.split("\n")),
          file=file, flush=flush)


def scenario_at(path: str | None, site: str | None = None) -> Scenario:
    """The scenario in that file, or the site's (--site, NCLOUD_SITE; else the default)."""
    return load_scenario(path) if path else site_scenario(site)
