"""The Domains page's pure parts: reading what the admin typed, and a quick scan of what each domain has today.

No Qt here: the scan runs the same checks `check` runs (dns, spf, dmarc, dkim) and reads their typed results;
the parsing is plain text work.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wizard.checks import CheckOptions, Result, entries, run_domain
from wizard.checks.dkim import DkimResult
from wizard.checks.dmarc import DmarcResult
from wizard.checks.dnscheck import DnsResult
from wizard.checks.spf import SpfResult
from wizard.core.answers import Answer, Outcome
from wizard.core.findings import Finding, Severity
from wizard.core.names import DomainError, normalize_domain

from wizard.ui.plain import authorization_text, plain_detail

if TYPE_CHECKING:
    from wizard.lookup.lookup import Lookup

_SEPARATORS = re.compile(r"[\n,;]+")
# "Acme Orders <orders@acme-parts.test>": the From line as CIMcloud's settings show it; the address is inside <>.
_DISPLAY_NAME = re.compile(r"^[^<>]*<([^<>]+)>\s*$")


@dataclass(frozen=True)
class EntryError:
    """A line of the domain list that is not a domain, and why."""

    text: str
    reason: str


def parse_domains(text: str) -> tuple[list[str], list[EntryError]]:
    """Domains from lines (or comma-separated entries); an email address gives its domain; duplicates dropped."""
    domains: list[str] = []
    errors: list[EntryError] = []
    for entry in _SEPARATORS.split(text):
        if not entry.strip():
            continue
        try:
            domain = normalize_domain(address_of(entry), allow_email=True)
        except DomainError as exc:
            errors.append(EntryError(entry.strip(), exc.reason))
            continue
        if domain not in domains:
            domains.append(domain)
    return domains, errors


def address_of(entry: str) -> str:
    """The address of a From line with a display name ("Acme Orders <orders@acme.example>"), else the entry."""
    match = _DISPLAY_NAME.match(entry.strip())
    return match.group(1).strip() if match else entry


def missing_domains(scans: list[DomainScan]) -> list[str]:
    """The domains DNS says do not exist (a typo, usually): the Domains page holds Next until they are fixed."""
    return [scan.domain for scan in scans if not scan.exists]


@dataclass(frozen=True)
class Presence:
    """One record kind on one domain today: found (with the record), absent, or not checkable.

    attention: found, but not yet what CIMcloud needs (an SPF record that does not authorize CIMcloud);
    detail: the reasoning behind the short text, for a tooltip.
    """

    found: bool
    text: str  # the record when found, otherwise what the lookup said, in plain words
    failed: bool = False
    attention: bool = False
    detail: str = ""


@dataclass(frozen=True)
class DomainScan:
    """What the first scan found for one domain: whether SPF, DMARC and DKIM records are there."""

    domain: str
    spf: Presence
    dmarc: Presence
    dkim: Presence
    exists: bool = True  # False when the dns check says the domain does not exist (a typo, usually)


NO_SUCH_DOMAIN = Presence(False, "no such domain: check the spelling", failed=True)


def _first(findings: tuple[Finding, ...], code: str) -> Finding | None:
    return next((f for f in findings if f.code == code), None)


def _failure(answer: Answer) -> Presence:
    detail = plain_detail(answer.detail) if answer.detail else str(answer.outcome)
    return Presence(False, f"could not check: {detail}", True)


def spf_presence(result: Result | None) -> Presence:
    """Whether the domain's SPF record authorizes CIMcloud, as the spf check decided it (tree + check_host())."""
    if not isinstance(result, SpfResult) or result.analysis is None:
        return _crashed(result)
    failure = _first(result.findings, "spf.lookup-failed")
    if result.record is None:
        if failure is not None:
            return Presence(False, "could not check: " + plain_detail(failure.message), True)
        return Presence(False, "no SPF record")
    shown = " | ".join(result.records)
    auth = result.authorization
    reason = authorization_text(result.domain, auth) if auth is not None else ""  # plain words, for the tooltip
    if len(result.records) > 1:
        return Presence(True, f"{len(result.records)} SPF records (there should be one): {shown}", attention=True)
    if result.authorized:
        return Presence(True, f"CIMcloud authorized: {shown}", detail=reason)
    if failure is not None:
        return Presence(
            True, f"SPF exists, could not confirm CIMcloud: {shown}", True, detail=plain_detail(failure.message)
        )
    if result.listed:
        return Presence(True, f"SPF exists, CIMcloud listed but not authorized: {shown}", attention=True, detail=reason)
    return Presence(True, f"SPF exists, CIMcloud not included yet: {shown}", attention=True, detail=reason)


def dmarc_presence(result: Result | None) -> Presence:
    """The DMARC record that applies, as the dmarc check found it; its error findings need attention."""
    if not isinstance(result, DmarcResult) or result.discovery is None:
        return _crashed(result)
    discovery = result.discovery
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    failure = _first(result.findings, "dmarc.lookup-failed")
    if discovery.record is None:
        if failure is not None and failure.severity is Severity.ERROR:
            return Presence(False, "could not check: " + plain_detail(failure.message), True)
        multiple = _first(result.findings, "dmarc.multiple")
        if multiple is not None:
            return Presence(True, multiple.message, attention=True, detail=multiple.fix)
        return Presence(False, "no DMARC record", detail=errors[0].message if errors else "")
    text = discovery.record.text
    if errors:
        return Presence(True, text, attention=True, detail=errors[0].message)
    return Presence(True, text)


def dkim_presence(result: Result | None, answer: Answer | None) -> Presence:
    """With a known record name, the dkim check's verdict on it; else whether anything exists under _domainkey."""
    if answer is not None:
        if answer.outcome.is_failure:
            return _failure(answer)
        if answer.outcome is Outcome.NXDOMAIN:
            return Presence(False, "no DKIM keys published")
        return Presence(True, "DKIM keys are published (the record name CIMcloud sends is still needed)")
    if not isinstance(result, DkimResult) or result.verification is None:
        return _crashed(result)
    verification = result.verification
    if verification.record is None:
        return Presence(False, "the CIMcloud DKIM record is not published yet")
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    if errors:
        return Presence(True, verification.record, attention=True, detail=errors[0].message)
    return Presence(True, verification.record)


def _crashed(result: Result | None) -> Presence:
    detail = result.findings[0].message if result is not None and result.findings else ""
    return Presence(False, "could not check", True, detail=detail)


async def scan_domain(
    lookup: Lookup, domain: str, dkim_name: str = "", options: CheckOptions | None = None
) -> DomainScan:
    """What each domain has today (SPF and whether it authorizes CIMcloud, DMARC, DKIM), from the checks that
    `check` runs with the same options; the checks run concurrently."""
    options = options or CheckOptions()
    if dkim_name and not any(name == dkim_name for name, _ in options.dkim_records):
        options = dataclasses.replace(options, dkim_selectors=(dkim_name,))
    only = ("dns", "spf", "dmarc", "dkim") if dkim_name else ("dns", "spf", "dmarc")
    options = dataclasses.replace(options, only=only)  # everything else as given: the include, records, proofs
    keys = None if dkim_name else lookup.resolve(f"_domainkey.{domain}", "TXT")
    results, answer = await asyncio.gather(run_domain(domain, lookup, options), keys or _none())
    dns = results.get("dns")
    if isinstance(dns, DnsResult) and dns.no_such_domain:
        return DomainScan(domain, NO_SUCH_DOMAIN, NO_SUCH_DOMAIN, NO_SUCH_DOMAIN, exists=False)
    dkim = entries(results.get("dkim"))
    return DomainScan(
        domain,
        spf_presence(_one(results.get("spf"))),
        dmarc_presence(_one(results.get("dmarc"))),
        dkim_presence(dkim[0] if dkim else None, answer),
    )


async def _none() -> None:
    return None


def _one(output: object) -> Result | None:
    return output if isinstance(output, Result) else None


async def scan_domains(
    lookup: Lookup, domains: list[tuple[str, str]], options: dict[str, CheckOptions] | None = None
) -> list[DomainScan]:
    """Scan (domain, DKIM record name or "") pairs concurrently, each with its domain's check options."""
    given = options or {}
    run = lookup.for_run()  # one run for the whole scan: a zone the domains share (a vendor's) is found once
    return list(await asyncio.gather(*(scan_domain(run, d, name, given.get(d)) for d, name in domains)))
