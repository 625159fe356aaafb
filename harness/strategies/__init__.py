"""Hypothesis strategies that drive a conformance run, all built for one account's state.

* `valid`: requests valid by construction, one strategy per combination class;
* `breaking`: for each seed rule, valid requests with exactly that rule broken;
* `open_cases`: requests in each unspecified case (U1..U10, UH1..UH4), run as findings;
* `wirefuzz`: raw wire (duplicates, junk indexes, odd escapes, trap characters, huge values).

Every strategy yields a `Probe`: what to send, how, and which rules it exercises.
"""

from harness.contract.probe import Probe

__all__ = ["Probe"]
