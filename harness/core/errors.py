"""The two error families: our side is wrong (HarnessError) or the service broke the contract.

Every exception a user can see belongs to one of them, so the type alone says who is to
blame::

    Exception
    ├── HarnessError            the harness, its configuration or its caller is wrong
    │   ├── ConfigError         a file, flag or environment variable has a bad value
    │   │   └── CassetteError   a recorded cassette is corrupt: names the file and the place
    │   ├── SpecError           the OpenAPI description is missing or malformed
    │   ├── TargetError         the target cannot be used (unreachable, refuses the keys)
    │   │   ├── TargetTimeout   one request got no answer in time (that request fails)
    │   │   └── NotRecorded     a replayed cassette holds no answer to this request
    │   └── WireError           a value the wire codec cannot express
    └── AssertionError
        └── ContractViolation   the service answered something the contract forbids
            └── UnreadableBody  the body is neither JSON nor XML, or is hostile XML

Messages never carry an access key, a secret key or a signature.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AnswerTooLarge",
    "CassetteError",
    "ConfigError",
    "ContractViolation",
    "HarnessError",
    "NotRecorded",
    "SpecError",
    "TargetError",
    "TargetTimeout",
    "UnreadableBody",
    "Violation",
    "WireError",
]


class HarnessError(Exception):
    """The harness, its configuration or its caller is wrong; the service is not to blame."""


class ConfigError(HarnessError):
    """A configuration value (file, flag, environment variable) is wrong; the message names it."""


class CassetteError(ConfigError):
    """A HAR file (a cassette, or captured traffic) cannot be read; says which file and where."""

    def __init__(self, file: str, place: str, problem: str, *, kind: str = "cassette") -> None:
        self.file = file
        self.place = place
        self.problem = problem
        super().__init__(f"{kind} {file}, {place}: {problem}" if place
                         else f"{kind} {file}: {problem}")


class SpecError(HarnessError):
    """The OpenAPI description cannot be found, read or used."""


class TargetError(HarnessError):
    """The target cannot be used: unreachable, refusing our keys, or unreadable neighbours."""


class TargetTimeout(TargetError):
    """One request got no answer in time; it fails that request, not the run."""


class AnswerTooLarge(TargetError):
    """An answer longer than --max-body (after decompression): not read, the run stops."""


class NotRecorded(TargetError):
    """A replayed cassette has no recording of this request; it is counted, not failed."""


class WireError(HarnessError, ValueError):
    """A request value that the wire codec cannot express, or wire it cannot read."""


@dataclass(frozen=True)
class Violation:
    """One way in which the service broke the contract: rule, check, where, expected, actual."""

    rule: str | None
    check: str
    message: str
    path: str = ""
    expected: object = None
    actual: object = None
    clause: str | None = None
    """The rule's clause it breaks (SEED-R9.3), when the check knows it."""

    @property
    def key(self) -> tuple[str, str, str]:
        """Group duplicates of the same fault: same rule, same check, same place."""
        return (self.rule or "", self.check, self.path)

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        rule = f"[{self.rule}] " if self.rule else ""
        return f"{rule}{self.check}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Finding:
    """Not a violation, never a failure: the seed is silent, or the reference differs.

    Also a documented liberty a client took. Shares `path` and `message` with `Violation`.
    """

    cases: tuple[str, ...]
    """The open cases (U1), reference notes (REF-...) or request rules (REQ-5) it concerns."""
    message: str
    path: str = ""
    status: int | None = None
    """The status the service answered, for a finding about an answer."""

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"[{', '.join(self.cases)}]{where}: {self.message}"


class ContractViolation(AssertionError):
    """The service broke the contract; carries every `Violation` found in one answer."""

    def __init__(self, violations: list[Violation] | Violation) -> None:
        self.violations = [violations] if isinstance(violations, Violation) else list(violations)
        super().__init__("; ".join(str(v) for v in self.violations))


class UnreadableBody(ContractViolation):
    """The service answered a body that is neither JSON nor XML, or XML we refuse to expand."""

    def __init__(self, message: str, *, head: bytes = b"") -> None:
        self.head = head
        super().__init__(Violation(rule=None, check="body_readable", message=message))
