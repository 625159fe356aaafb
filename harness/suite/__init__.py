"""The conformance suite: pytest tests that drive a target through the session.

Run it with `ncp-harness run`, or `pytest --pyargs harness.suite --target simulator`.
"""

from pathlib import Path

__all__ = ["SUITE_DIR"]

SUITE_DIR = Path(__file__).resolve().parent
