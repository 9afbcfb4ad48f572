"""Findings: the one shape every rule reports in (a stable code, a severity, the message and the fix)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    """One thing a check noticed: a stable dotted code, what is wrong, and how to fix it."""

    code: str
    severity: Severity
    message: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "fix": self.fix,
        }


class FindingError(ValueError):
    """Input that cannot be used at all; `finding` says why in plain words (its message is the exception's)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def error(code: str, message: str, fix: str = "") -> Finding:
    return Finding(code, Severity.ERROR, message, fix)


def warning(code: str, message: str, fix: str = "") -> Finding:
    return Finding(code, Severity.WARNING, message, fix)


def info(code: str, message: str, fix: str = "") -> Finding:
    return Finding(code, Severity.INFO, message, fix)


def status_of(findings: list[Finding]) -> Status:
    """fail when any finding is an error, warn when any is a warning, else pass."""
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return Status.FAIL
    if Severity.WARNING in severities:
        return Status.WARN
    return Status.PASS


def finding_lines(findings: Iterable[Finding], indent: str = "  ") -> list[str]:
    """Findings as every command prints them: severity, code and message, then the fix."""
    lines = []
    for finding in findings:
        lines.append(f"{indent}{finding.severity.upper():<7} {finding.code}: {finding.message}")
        if finding.fix:
            lines.append(f"{indent}        fix: {finding.fix}")
    return lines
