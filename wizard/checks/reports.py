"""The reports check: DMARC aggregate reports read, each source named by the sending service whose SPF
include authorizes it (check_host() against the include), and the next DMARC stage recommended."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wizard.core.answers import Source, shared
from wizard.core.dmarc.aggregate import AggregateReport, ReportError, other_domain, read_report_file
from wizard.core.dmarc.rollout import CIMCLOUD, ReportsSummary, report_domain, summarise
from wizard.core.findings import Finding
from wizard.core.spf.evaluate import SpfResult, check_host
from wizard.core.spf.services import SpfService

if TYPE_CHECKING:
    from wizard.lookup.lookup import Lookup

MAX_CONCURRENT = 8  # check_host() evaluations at once: the reports may list hundreds of IPs


@dataclass(frozen=True)
class ReportsOutcome:
    """The summary (None when no file could be used) and the findings about the files themselves."""

    summary: ReportsSummary | None
    file_findings: tuple[Finding, ...]

    @property
    def findings(self) -> list[Finding]:
        return [*self.file_findings, *(self.summary.findings if self.summary else ())]


def read_reports(files: Sequence[tuple[str, bytes]]) -> tuple[list[AggregateReport], list[Finding]]:
    """Every report in the files; a refused file becomes a finding, the others are still read."""
    reports: list[AggregateReport] = []
    findings: list[Finding] = []
    for name, data in files:
        try:
            reports += read_report_file(name, data)
        except ReportError as exc:
            findings.append(exc.finding)
    return reports, findings


async def check_reports(
    files: Sequence[tuple[str, bytes]], lookup: Lookup, services: Sequence[SpfService], domain: str | None = None
) -> ReportsOutcome:
    reports, findings = await asyncio.to_thread(read_reports, files)
    return await summarise_reports(reports, findings, lookup, services, domain)


async def summarise_reports(
    reports: Sequence[AggregateReport],
    findings: list[Finding],
    lookup: Lookup,
    services: Sequence[SpfService],
    domain: str | None = None,
) -> ReportsOutcome:
    """The summary of one domain's reports (the most common domain when none is given), sources named."""
    findings = list(findings)
    if not reports:
        return ReportsOutcome(None, tuple(findings))
    domain = domain or report_domain(reports)
    findings += [other_domain(r, domain) for r in reports if r.domain != domain]
    mine = [r for r in reports if r.domain == domain]
    if not mine:
        return ReportsOutcome(None, tuple(findings))
    ips = sorted({row.source_ip for r in mine for row in r.rows})
    named = await identify(shared(lookup), ips, services)
    return ReportsOutcome(summarise(mine, domain, named), tuple(findings))


async def identify(source: Source, ips: Sequence[str], services: Sequence[SpfService]) -> dict[str, str | None]:
    """The service whose SPF include passes for each IP (CIMcloud first), or None: check_host() per include."""
    known = sorted((s for s in services if s.include), key=lambda s: s.name != CIMCLOUD)
    limit = asyncio.Semaphore(MAX_CONCURRENT)

    async def service_of(ip: str) -> str | None:
        for service in known:
            assert service.include is not None
            async with limit:
                evaluation = await check_host(source, ip, service.include)
            if evaluation.result is SpfResult.PASS:
                return service.name
        return None

    names = await asyncio.gather(*(service_of(ip) for ip in ips))
    return dict(zip(ips, names, strict=True))
