"""MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file, MX pattern matching, and the generator.

Pure: the HTTPS fetch lives in wizard.lookup.https; this module only reads what it returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from wizard.core.domain import DomainError, normalize_domain
from wizard.core.findings import Finding, error, info, warning
from wizard.core.tags import cap_repeats, no_errors, read_tag_list
from wizard.core.tls_rpt import compose_tlsrpt

STS_PREFIX = re.compile(r"^v=STSv1\s*(;|$)")
_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MAX_MAX_AGE = 31_557_600  # RFC 8461 3.2: about one year
POLICY_PATH = "/.well-known/mta-sts.txt"
TESTING_MAX_AGE = 86_400  # one day while testing: a mistake is forgotten quickly
ENFORCE_MAX_AGE = 1_209_600  # two weeks once enforced


class StsMode(StrEnum):
    ENFORCE = "enforce"
    TESTING = "testing"
    NONE = "none"


def policy_host(domain: str) -> str:
    return f"mta-sts.{domain}"


def policy_url(domain: str) -> str:
    return f"https://{policy_host(domain)}{POLICY_PATH}"


# ---------------------------------------------------------------------------------------------- TXT record


@dataclass(frozen=True)
class StsRecord:
    """A parsed `_mta-sts` TXT record: its id (changes whenever the policy changes) and its problems."""

    text: str
    id: str | None
    problems: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        return no_errors(self.problems)


def is_sts_record(text: str) -> bool:
    """True for text starting with exactly `v=STSv1` (senders discard other TXT records at `_mta-sts`)."""
    return STS_PREFIX.match(text) is not None


def parse_sts_record(text: str) -> StsRecord:
    """Parse one `_mta-sts` record (`v=STSv1; id=20240601T000000;`); never raises."""
    tags, problems = read_tag_list(text, "MTA-STS record", "mta-sts.syntax")
    if not is_sts_record(text):
        problems.append(_record_syntax("The record must start with exactly v=STSv1;"))
    ids = [t.value for t in tags if t.name == "id"]
    if not ids:
        problems.append(_record_syntax("The record has no id= field."))
    elif len(ids) > 1:
        problems.append(_record_syntax("id= appears more than once."))
    elif not _ID.match(ids[0]):
        problems.append(_record_syntax(f"id={ids[0][:40]} must be 1 to 32 letters and digits."))
    record_id = ids[0] if len(ids) == 1 and _ID.match(ids[0]) else None
    return StsRecord(text, record_id, tuple(cap_repeats(problems)))


def _record_syntax(message: str) -> Finding:
    return error("mta-sts.syntax", message, "Publish v=STSv1; id=<letters and digits, new for every policy change>")


# ---------------------------------------------------------------------------------------------- policy file


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
        key, value = key.strip(), value.strip()
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
    if raw_age.isdigit() and len(raw_age) <= 10 and int(raw_age) <= MAX_MAX_AGE:
        max_age = int(raw_age)
    else:
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


# ---------------------------------------------------------------------------------------------- mx matching


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
            parsed.append((int(preference) if preference.isdigit() else 0, host))
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


# ---------------------------------------------------------------------------------------------- generator

GUIDANCE = (
    "MTA-STS affects only mail sent TO your corporate domain, from anyone. It does not change email your "
    "CIMcloud website sends to other domains; CIMcloud's relays already honour other domains' MTA-STS policies.",
    "Do not host the policy on your CIMcloud website: CIMcloud does not support it. Use a third-party MTA-STS "
    "hosting service (for example PowerDMARC, Mailhardener or URIports; CIMcloud endorses none of them) or a web "
    "server you run, reachable as mta-sts.<your domain> over HTTPS with a valid certificate.",
    "Start with mode: testing and TLS reports (TLS-RPT); switch to mode: enforce after a few weeks without "
    "failures. Every change to the policy file needs a new id in the _mta-sts TXT record.",
)


def new_policy_id(now: datetime | None = None) -> str:
    """A fresh id from the time (`20240601T120000`), alphanumeric as RFC 8461 requires."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%S")


def generate_policy(mode: StsMode, mx: Sequence[str], max_age: int | None = None) -> str:
    """The policy file text, CRLF line endings as RFC 8461 writes it."""
    age = max_age if max_age is not None else (ENFORCE_MAX_AGE if mode is StsMode.ENFORCE else TESTING_MAX_AGE)
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m.lower().rstrip('.')}" for m in mx), f"max_age: {age}"]
    return "\r\n".join(lines) + "\r\n"


@dataclass(frozen=True)
class StsPlan:
    """Everything the admin publishes for MTA-STS: the policy file and where, the TXT records, and the guidance."""

    policy_url: str
    policy: str
    records: tuple[tuple[str, str], ...]  # (name, TXT value): _mta-sts, and _smtp._tls when reports are wanted
    guidance: tuple[str, ...] = GUIDANCE


def plan_mta_sts(
    domain: str,
    mx: Sequence[str],
    mode: StsMode = StsMode.TESTING,
    report_to: Sequence[str] = (),
    now: datetime | None = None,
) -> StsPlan:
    """The policy (testing by default) covering the MX hosts, the `_mta-sts` TXT with a fresh id, and TLS-RPT.

    Raises ComposeError (from the TLS-RPT composer) for an unusable report address.
    """
    records = [(f"_mta-sts.{domain}", f"v=STSv1; id={new_policy_id(now)}")]
    if report_to:
        records.append((f"_smtp._tls.{domain}", compose_tlsrpt(report_to)))
    return StsPlan(policy_url(domain), generate_policy(mode, mx), tuple(records))
