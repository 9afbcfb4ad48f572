"""Findings and check results: the one shape every check reports in."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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


@dataclass
class CheckResult:
    """What one check found for one domain (or one DKIM selector).

    `details` holds the check's own JSON-ready fields (`record`, `lookups`, ...);
    they are printed between `status` and `findings`.
    """

    check: str
    findings: list[Finding] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        return status_of(self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            **self.details,
            "findings": [f.to_json() for f in self.findings],
        }
