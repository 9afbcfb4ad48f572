"""The MTA-STS policy file (RFC 8461 3.2) and matching MX hosts against its patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wizard.core.findings import Finding, error, info, warning
from wizard.core.mta_sts.record import MAX_MAX_AGE, TESTING_MAX_AGE, StsMode
from wizard.core.names import DomainError, normalize_domain
from wizard.core.tags import ascii_number, cap_repeats, no_errors

_WSP = " \t"
_KEY = re.compile(r"[A-Za-z0-9_.-]{1,32}\Z")


@dataclass(frozen=True)
class StsPolicy:
    """A parsed policy file. mx holds the patterns as written (lower-case, no trailing dot)."""

    text: str
    version: str | None = None
    mode: StsMode | None = None
    mx: tuple[str, ...] = ()
    max_age: int | None = None
    problems: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        return no_errors(self.problems)


def decode_policy(body: bytes) -> tuple[str | None, Finding | None]:
    """The policy text, or a finding when the body is not text (NUL bytes, not UTF-8)."""
    if b"\x00" in body:
        return None, _policy_syntax("The policy file is binary data (it contains NUL bytes), not text.")
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, _policy_syntax(f"The policy file is not UTF-8 text (byte {exc.start + 1}).")


def parse_policy(text: str) -> StsPolicy:
    """Parse `key: value` lines (CRLF or LF); never raises. Required: version, mode, max_age, and mx unless none."""
    problems: list[Finding] = []
    values: dict[str, str] = {}
    mx: list[str] = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key, value = key.strip(_WSP), value.strip(_WSP)  # RFC 8461 3.2: *WSP, not any Unicode space
        if not colon or not _KEY.match(key):
            problems.append(_policy_syntax(f"Line {number} ({line[:60]!r}) is not a `key: value` line."))
        elif key == "mx":
            problems += _mx_problems(number, value)
            mx.append(value.lower().rstrip("."))
        elif key in values and key in ("version", "mode", "max_age"):
            problems.append(_policy_syntax(f"Line {number}: {key} appears more than once."))
        else:
            values.setdefault(key, value)
    version, mode, max_age = _required(values, mx, problems)
    return StsPolicy(text, version, mode, tuple(mx), max_age, tuple(cap_repeats(problems)))


def _required(
    values: dict[str, str], mx: list[str], problems: list[Finding]
) -> tuple[str | None, StsMode | None, int | None]:
    version = values.get("version")
    if version != "STSv1":
        problems.append(_policy_syntax(f"version must be STSv1 (found {version!r})."))
    mode: StsMode | None = None
    try:
        mode = StsMode(values.get("mode", ""))
    except ValueError:
        problems.append(_policy_syntax(f"mode must be enforce, testing or none (found {values.get('mode')!r})."))
    max_age: int | None = None
    raw_age = values.get("max_age", "")
    # RFC 8461 3.2: sts-policy-max-age-value = 1*10(DIGIT), ASCII digits only ("max_age: ²" is not a number)
    max_age = ascii_number(raw_age, MAX_MAX_AGE) if len(raw_age) <= 10 else None
    if max_age is None:
        problems.append(_policy_syntax(f"max_age must be a number of seconds up to {MAX_MAX_AGE} (found {raw_age!r})."))
    if not mx and mode is not StsMode.NONE:
        problems.append(_policy_syntax("The policy lists no mx: lines, so it covers no mail server."))
    if max_age is not None and max_age < TESTING_MAX_AGE and mode is StsMode.ENFORCE:
        problems.append(
            warning(
                "mta-sts.short-max-age",
                f"max_age is {max_age} seconds; senders forget an enforced policy that quickly.",
                f"Use at least {TESTING_MAX_AGE} (a day); RFC 8461 suggests weeks.",
            )
        )
    return version, mode, max_age


def _mx_problems(number: int, pattern: str) -> list[Finding]:
    host = pattern[2:] if pattern.startswith("*.") else pattern
    try:
        normalize_domain(host)
    except DomainError as exc:
        return [_policy_syntax(f"Line {number}: mx {pattern[:60]!r} is not a host name or *.domain ({exc.reason}).")]
    return []


def _policy_syntax(message: str) -> Finding:
    return error("mta-sts.policy-syntax", message, "Fix the policy file: see the example the wizard generates.")


def mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 4.1: exact, or `*.example.com` matching exactly one more label (`mx1.example.com`)."""
    pattern = pattern.lower().rstrip(".")
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest == pattern[2:]
    return pattern == host


def uncovered_mx(patterns: Iterable[str], hosts: Iterable[str]) -> list[str]:
    """The MX hosts no pattern covers (in the order given)."""
    pattern_list = list(patterns)
    return [h for h in hosts if not any(mx_matches(p, h) for p in pattern_list)]


def mx_hosts(values: Iterable[str]) -> list[str]:
    """Host names from MX presentation values (`10 mx1.example.com.`), by preference; the null MX `.` dropped."""
    parsed = []
    for value in values:
        preference, _, host = value.partition(" ")
        host = host.strip().rstrip(".").lower()
        if host:
            parsed.append((ascii_number(preference, 65535) or 0, host))
    return [h for _, h in sorted(parsed)]


def policy_findings(policy: StsPolicy, hosts: Sequence[str]) -> list[Finding]:
    """The policy's own problems, the mode, and every MX host the policy does not cover."""
    findings = list(policy.problems)
    if policy.mode is StsMode.TESTING:
        findings.append(
            info(
                "mta-sts.testing",
                "The policy is in testing mode: senders report TLS failures but still deliver.",
                "Once TLS reports show no failures for a few weeks, change mode: testing to mode: enforce.",
            )
        )
    elif policy.mode is StsMode.NONE:
        findings.append(info("mta-sts.mode-none", "The policy is mode: none (MTA-STS withdrawn).", ""))
    missing = uncovered_mx(policy.mx, hosts) if policy.mode is not StsMode.NONE else []
    if missing:
        severity = error if policy.mode is StsMode.ENFORCE else warning
        findings.append(
            severity(
                "mta-sts.mx-mismatch",
                f"The policy does not cover the MX host(s) {', '.join(missing)}; senders enforcing it "
                "would refuse to deliver there.",
                "Add " + ", ".join(f"mx: {h}" for h in missing) + " to the policy file, then change the id.",
            )
        )
    return findings
