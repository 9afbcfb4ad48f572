"""The Domains page's pure parts: reading what the admin typed, and a quick scan of what each domain has today.

No Qt here: the scan only awaits a Source (the lookup layer), the parsing is plain text work.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from wizard.checks.spf import spf_result
from wizard.core.answers import Answer, Outcome, Source
from wizard.core.findings import CheckResult
from wizard.core.names import DomainError, normalize_domain
from wizard.core.spf.compose import CIMCLOUD_INCLUDE

_SEPARATORS = re.compile(r"[\n,;]+")


@dataclass(frozen=True)
class EntryError:
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
            domain = normalize_domain(entry, allow_email=True)
        except DomainError as exc:
            errors.append(EntryError(entry.strip(), exc.reason))
            continue
        if domain not in domains:
            domains.append(domain)
    return domains, errors


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
    domain: str
    spf: Presence
    dmarc: Presence
    dkim: Presence


def _failure(answer: Answer) -> Presence:
    return Presence(False, f"could not check ({answer.outcome}{': ' + answer.detail if answer.detail else ''})", True)


def _prefixed(answer: Answer, prefix: str, missing: str) -> Presence:
    if answer.outcome.is_failure:
        return _failure(answer)
    records = [t for t in answer.texts if t.lower().startswith(prefix)]
    if not records:
        return Presence(False, missing)
    if len(records) > 1:
        return Presence(True, f"{len(records)} records (there should be one): " + " | ".join(records))
    return Presence(True, records[0])


def _spf(result: CheckResult) -> Presence:
    """Whether the domain's SPF record authorizes CIMcloud, as the spf check decides it (tree + check_host())."""
    details = result.details
    record = details.get("record")
    failures = [f.message for f in result.findings if f.code == "spf.lookup-failed"]
    if record is None:
        if failures:
            return Presence(False, "could not check: " + failures[0], True)
        return Presence(False, "no SPF record")
    records = details.get("records", [record])
    shown = " | ".join(records)
    auth = details.get("authorization", {})
    reason = str(auth.get("reason", ""))
    if len(records) > 1:
        return Presence(True, f"{len(records)} SPF records (there should be one): {shown}", attention=True)
    if details.get("authorized"):
        return Presence(True, f"CIMcloud authorized: {shown}", detail=reason)
    if failures:
        return Presence(True, f"SPF exists, could not confirm CIMcloud: {shown}", True, detail=failures[0])
    if auth.get("path") or CIMCLOUD_INCLUDE in shown.lower():
        return Presence(True, f"SPF exists, CIMcloud listed but not authorized: {shown}", attention=True, detail=reason)
    return Presence(True, f"SPF exists, CIMcloud not included yet: {shown}", attention=True, detail=reason)


def _dkim(answer: Answer, selector_name: str) -> Presence:
    """With a known record name, whether it has a key; else whether anything exists under _domainkey."""
    if answer.outcome.is_failure:
        return _failure(answer)
    if selector_name:
        keys = [t for t in answer.texts if "p=" in t]  # v=DKIM1 is optional, p= is not
        return Presence(True, keys[0]) if keys else Presence(False, "the CIMcloud DKIM record is not published yet")
    if answer.outcome is Outcome.NXDOMAIN:
        return Presence(False, "no DKIM keys published")
    return Presence(True, "DKIM keys are published (the record name CIMcloud sends is still needed)")


async def scan_domain(source: Source, domain: str, dkim_name: str = "") -> DomainScan:
    """What the resolver says today about the domain's SPF (and whether it authorizes CIMcloud), DMARC and DKIM
    records, asked concurrently."""
    dkim_host = dkim_name or f"_domainkey.{domain}"
    spf, dmarc, dkim = await asyncio.gather(
        spf_result(source, domain, CIMCLOUD_INCLUDE),
        source.resolve(f"_dmarc.{domain}", "TXT"),
        source.resolve(dkim_host, "TXT"),
    )
    return DomainScan(
        domain,
        _spf(spf),
        _prefixed(dmarc, "v=dmarc1", "no DMARC record"),
        _dkim(dkim, dkim_name),
    )


async def scan_domains(source: Source, domains: list[tuple[str, str]]) -> list[DomainScan]:
    """Scan (domain, DKIM record name or "") pairs concurrently."""
    return list(await asyncio.gather(*(scan_domain(source, d, name) for d, name in domains)))
