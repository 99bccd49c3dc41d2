"""The publisher's exception tree and the diagnostics that stages collect.

Stages never print or exit: they collect :class:`Diagnostic` values (so an editor sees every
mistake of a build at once, like a compiler) and the orchestrator raises :class:`BuildError`
between stages when any of them is an error. Only the CLI turns these into text and exit codes.
Every message reads ``path:line: what was wrong: expected X, got Y``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about one place in the site's sources."""

    path: str
    line: int
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{where}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(path: str, line: int, problem: str, expected: str, found: str) -> Diagnostic:
    """Build an error in the house style: what was wrong, what was expected, what was found."""
    return Diagnostic(path, line, f"{problem}: expected {expected}, got {found}")


def warning(path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, message, Severity.WARNING)


class PortalError(Exception):
    """Base of every error the publisher raises on purpose."""


class UsageError(PortalError):
    """The command line itself is wrong (exit status 2)."""


class BuildError(PortalError):
    """The site's sources are wrong; carries every error found so far (exit status 1)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.path, d.line, d.message))
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def __reduce__(self):  # crosses process boundaries from render workers intact
        return (BuildError, (self.diagnostics,))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


class OutputError(PortalError):
    """The output folder cannot be written safely (exit status 1)."""
